#!/usr/bin/env bash
# Build LeadForge's container image without a Docker daemon, and write its SBOMs and the audit of the lock.
#
#   container/build.sh [--variant cli|visual|all] [--out DIR] [TAG]
#
# TAG defaults to the package version. Builds $IMAGE:TAG (the CLI: core + `serve` extra + git, under 100 MB) and,
# with --variant visual or all (the default), $IMAGE:TAG-visual (+ the `visual` extra and Chromium). Writes to DIR
# (default dist/):
#   leadforge-<version>-py3-none-any.whl     the wheel the image was built from
#   leadforge-<version>.wheel.cdx.json       CycloneDX SBOM of the wheel with its locked core dependencies
#   leadforge-<TAG>.image.cdx.json           CycloneDX SBOM of the image's venv (-visual too for that variant)
#   leadforge-<TAG>.image.json               reference, id, size in bytes, container tool, base
#   leadforge-<version>.pip-audit.json       pip-audit of every locked runtime dependency (all extras)
#
# Environment:
#   IMAGE           image name (default ghcr.io/leadforge/leadforge)
#   CONTAINER_TOOL  buildah, podman or docker (default: the first one installed, in that order)
#   BASE_IMAGE      the base to build FROM (default: the public python image; where it cannot be pulled,
#                   a base made here with mmdebstrap from this machine's apt sources, cached by its package list)
#   STORAGE_DRIVER, BUILDAH_ISOLATION  buildah's storage and isolation (default: the store's driver, overlay
#                   where the kernel allows, else vfs; chroot isolation: works as root without user namespaces)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-ghcr.io/leadforge/leadforge}"
PUBLIC_BASE="docker.io/library/python:3.11-slim-bookworm"
VARIANT=all
OUT=dist
TAG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) VARIANT="$2"; shift 2 ;;
    --variant=*) VARIANT="${1#*=}"; shift ;;
    --out) OUT="$2"; shift 2 ;;
    --out=*) OUT="${1#*=}"; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) TAG="$1"; shift ;;
  esac
done
case "$VARIANT" in cli|visual|all) ;; *) echo "build.sh: --variant must be cli, visual or all" >&2; exit 2 ;; esac

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' scripts/leadforge/__init__.py)"
TAG="${TAG:-$VERSION}"
REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
CREATED="$(date -u -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)" +%Y-%m-%dT%H:%M:%SZ)"
UV="${UV:-$(command -v uv || echo .venv-tools/uv/bin/uv)}"
UV_VERSION="$("$UV" --version 2>/dev/null | awk '{print $2}')"
[ -n "$UV_VERSION" ] || die "uv not found: run ./setup.sh (installs it in .venv-tools/uv) or set UV"
mkdir -p "$OUT"
# this machine's CA bundle, for the build's downloads only (a TLS proxy's CA; see the Dockerfile)
CA_BUNDLE="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
[ -s "$CA_BUNDLE" ] || CA_BUNDLE=/dev/null

# ---- the container tool -----------------------------------------------------------------------------------
TOOL="${CONTAINER_TOOL:-}"
if [ -z "$TOOL" ]; then
  for candidate in buildah podman docker; do
    if command -v "$candidate" >/dev/null 2>&1; then TOOL="$candidate"; break; fi
  done
fi
[ -n "$TOOL" ] || die "no container tool: install buildah (apt-get install buildah), podman or docker"
# buildah's storage: the store's own driver (overlay where the kernel allows, as here; it is minutes faster than
# vfs), vfs where buildah cannot tell; chroot isolation works as root without user namespaces
if [ "$TOOL" = buildah ] && [ -z "${STORAGE_DRIVER:-}" ]; then
  STORAGE_DRIVER="$(buildah info --format '{{.store.GraphDriverName}}' 2>/dev/null || true)"
fi
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}" BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"
tool() {
  case "$TOOL" in
    buildah) buildah --storage-driver "$STORAGE_DRIVER" "$@" ;;
    *) "$TOOL" "$@" ;;
  esac
}
image_exists() {
  case "$TOOL" in
    docker) docker image inspect "$1" >/dev/null 2>&1 ;;
    *) tool inspect --type image "$1" >/dev/null 2>&1 ;;
  esac
}
build() {  # build ARGS... : the Dockerfile in this folder
  case "$TOOL" in
    buildah) buildah --storage-driver "$STORAGE_DRIVER" build --isolation "$BUILDAH_ISOLATION" --layers "$@" . ;;
    *) "$TOOL" build "$@" . ;;
  esac
}

# ---- the base ---------------------------------------------------------------------------------------------
# A Debian base made with mmdebstrap from this machine's apt sources (read from the apt configuration now;
# nothing of them is kept in the repository). Minimal: the essential set plus the given packages, without
# docs, man pages and locales. Cached as localhost/leadforge-base:<key>, the key being the package list,
# the suite and the sources, so a re-run reuses it.
debian_base() {  # packages...
  command -v mmdebstrap >/dev/null || die "the base $PUBLIC_BASE cannot be pulled and mmdebstrap is not installed: " \
    "apt-get install mmdebstrap, or set BASE_IMAGE"
  local suite sources=() file packages key ref
  suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [ -n "$suite" ] || die "cannot tell this machine's release (VERSION_CODENAME in /etc/os-release)"
  eval "$(apt-config shell ETC Dir::Etc/f SOURCELIST Dir::Etc::sourcelist/f SOURCEPARTS Dir::Etc::sourceparts/d)"
  for file in "${SOURCELIST:-}" "${SOURCEPARTS:-}"*.list "${SOURCEPARTS:-}"*.sources; do
    if [ -f "$file" ] && grep -qvE '^\s*(#|$)' "$file"; then sources+=("$file"); fi
  done
  [ "${#sources[@]}" -gt 0 ] || die "no apt sources configured on this machine (apt-config: ${SOURCELIST:-} ${SOURCEPARTS:-})"
  packages="python3 python3-venv ca-certificates binutils $*"
  key="$( { echo "$suite $packages"; cat "${sources[@]}"; sed -n '/^debian_base()/,/^}/p' "$0"; } | sha256sum | cut -c1-12)"
  ref="localhost/leadforge-base:$suite-$key"
  if image_exists "$ref"; then
    log "base: $ref (cached)"
  else
    log "base: mmdebstrap $suite with $packages"
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN
    mmdebstrap --quiet --variant=essential --include="${packages// /,}" --skip=output/dev \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
      "$suite" "$work/base.tar" "${sources[@]}" >&2
    case "$TOOL" in
      buildah)
        local ctr
        ctr="$(tool from --quiet scratch)"
        tool add --quiet "$ctr" "$work/base.tar" / >/dev/null
        tool config --cmd /bin/sh --label org.opencontainers.image.description="mmdebstrap $suite: $packages" "$ctr"
        tool commit --quiet --rm "$ctr" "$ref" >/dev/null ;;
      *) tool import "$work/base.tar" "$ref" >/dev/null ;;
    esac
  fi
  echo "$ref"
}

public_base_available() {
  image_exists "$PUBLIC_BASE" && return 0
  log "base: pulling $PUBLIC_BASE"
  tool pull --quiet "$PUBLIC_BASE" >/dev/null 2>&1
}

base_for() {  # variant -> the BASE build argument
  if [ -n "${BASE_IMAGE:-}" ]; then echo "$BASE_IMAGE"; return; fi
  if [ -z "${PUBLIC_OK:-}" ]; then
    if public_base_available; then PUBLIC_OK=yes; else PUBLIC_OK=no; log "base: $PUBLIC_BASE cannot be pulled; making one"; fi
  fi
  if [ "$PUBLIC_OK" = yes ]; then echo "$PUBLIC_BASE"; return; fi
  case "$1" in
    cli) debian_base git ;;
    visual) debian_base git chromium fonts-liberation libatomic1 ;;
  esac
}

# ---- build ------------------------------------------------------------------------------------------------
size_of() {  # the uncompressed size in bytes: the sum of the image's layers
  case "$TOOL" in
    docker) docker image inspect -f '{{.Size}}' "$1" ;;
    *) tool inspect --type image --format '{{.Manifest}}' "$1" |
         python3 -c 'import json, sys; print(sum(layer["size"] for layer in json.load(sys.stdin)["layers"]))' ;;
  esac
}
id_of() {
  case "$TOOL" in
    docker) docker image inspect -f '{{.Id}}' "$1" ;;
    *) tool inspect --type image --format '{{.FromImageID}}' "$1" ;;
  esac
}

build_variant() {  # cli|visual
  local variant="$1" base ref extras packages chromium suffix="" started
  started=$(date +%s)
  base="$(base_for "$variant")"
  case "$variant" in
    cli) extras="serve"; packages="git ca-certificates"; chromium="" ;;
    visual) extras="serve visual"; packages="git ca-certificates chromium fonts-liberation libatomic1"
            chromium=/usr/lib/chromium/chromium; suffix="-visual" ;;
  esac
  ref="$IMAGE:$TAG$suffix"
  local args=(--secret "id=ca-bundle,src=$CA_BUNDLE" --build-arg "BASE=$base" --build-arg "UV_VERSION=$UV_VERSION" --build-arg "EXTRAS=$extras"
              --build-arg "RUNTIME_PACKAGES=$packages" --build-arg "CHROMIUM=$chromium"
              --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" --build-arg "CREATED=$CREATED")
  log "image: $ref FROM $base"
  # the labels that change with every commit also go on the command line: a cached layer never keeps old ones
  build "${args[@]}" --label "org.opencontainers.image.version=$VERSION" --label "org.opencontainers.image.revision=$REVISION" \
    --label "org.opencontainers.image.created=$CREATED" --label "org.opencontainers.image.base.name=$base" -t "$ref" >&2
  log "sbom: $ref"
  local sbom
  sbom="$(mktemp -d)"
  build "${args[@]}" --target sbom --output "type=local,dest=$sbom" >&2
  cp "$sbom/image.cdx.json" "$OUT/leadforge-$TAG$suffix.image.cdx.json"
  cp "$sbom/wheel.cdx.json" "$OUT/leadforge-$VERSION.wheel.cdx.json"
  cp "$sbom"/leadforge-*.whl "$OUT/"
  rm -rf "$sbom"
  local size id
  size="$(size_of "$ref")"
  id="$(id_of "$ref")"
  printf '{"reference": "%s", "id": "%s", "size_bytes": %s, "tool": "%s", "storage_driver": "%s", "base": "%s", "variant": "%s", "seconds": %s}\n' \
    "$ref" "$id" "${size:-0}" "$TOOL" "$STORAGE_DRIVER" "$base" "$variant" "$(( $(date +%s) - started ))" >"$OUT/leadforge-$TAG$suffix.image.json"
  printf '%s  %s MB\n' "$ref" "$(awk -v b="${size:-0}" 'BEGIN { printf "%.1f", b / 1000000 }')"
}

# ---- audit ------------------------------------------------------------------------------------------------
# pip-audit asks a vulnerability service (PyPI's JSON API by default, or OSV) about each locked version; where
# neither can be reached it says so in one line and writes no report (the release workflow runs it online).
audit() {
  local pip_audit="${PIP_AUDIT:-}" requirements report="$OUT/leadforge-$VERSION.pip-audit.json"
  if [ -z "$pip_audit" ]; then
    for candidate in .venv/bin/pip-audit "$(command -v pip-audit || true)"; do
      if [ -n "$candidate" ] && [ -x "$candidate" ]; then pip_audit="$candidate"; break; fi
    done
  fi
  if [ -z "$pip_audit" ]; then
    echo "pip-audit: not installed (uv sync --locked --group release); no audit written" >&2
    return 0
  fi
  requirements="$(mktemp)"
  "$UV" export --quiet --locked --no-dev --all-extras --no-emit-project -o "$requirements"
  rm -f "$report"
  local code=0 err summary
  err="$(mktemp)"
  "$pip_audit" --requirement "$requirements" --disable-pip --require-hashes --progress-spinner off \
    --format json --output "$report" 2>"$err" || code=$?
  rm -f "$requirements"
  # "could not be audited" for every package means the service answered nothing (a registry mirror without
  # PyPI's JSON API, say): that is no audit, not a clean one
  summary="$(python3 -c '
import json, sys
try:
    deps = json.load(open(sys.argv[1]))["dependencies"]
except (OSError, ValueError, KeyError):
    print("unreachable"); raise SystemExit
skipped = sum("skip_reason" in d for d in deps)
found = sum(len(d.get("vulns", [])) for d in deps)
print("unreachable" if deps and skipped == len(deps) else f"{found} known vulnerabilities in {len(deps) - skipped} locked packages ({skipped} not audited)")
' "$report" 2>/dev/null || echo unreachable)"
  if [ "$summary" = unreachable ]; then
    echo "pip-audit: cannot audit here: the vulnerability service (PyPI's JSON API or OSV) cannot be reached; no audit written (the release workflow runs it online) [$(grep -v '^WARNING' "$err" | tail -1 | cut -c1-160)]" >&2
    rm -f "$report" "$err"
    return 0
  fi
  rm -f "$err"
  echo "pip-audit: $report: $summary" >&2
  return "$code"
}

case "$VARIANT" in
  cli) build_variant cli ;;
  visual) build_variant visual ;;
  all) build_variant cli; build_variant visual ;;
esac
audit || echo "pip-audit: vulnerabilities found (see the report)" >&2
