#!/usr/bin/env bash
# One command that installs everything the tests and the demo need on a fresh machine:
#   ./setup.sh
# - .venv-tools/uv: uv itself, from PyPI (pip in a small venv of its own)
# - .venv: the leadforge package (editable) with every extra and the dev tools, exactly as uv.lock pins them
#   (`uv sync --locked --all-extras`: it fails instead of drifting when pyproject.toml and uv.lock disagree)
# - .venv-tools/semgrep, .venv-tools/checkov: the scanners, each in its own venv (their pins clash
#   with ours, and checkov's bundled detect-secrets fork would overwrite the real package)
# - a Chromium for Playwright: the system's if present, Debian's `chromium` package where apt works,
#   else Playwright's own download
# - prometheus + promtool (Debian's `prometheus` package where apt works) for the monitoring tests
# - buildah and mmdebstrap where apt works, for container/build.sh and its test
# - tests/js: the reference JavaScript pixelmatch for exactness tests
# Re-running is cheap: each step skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
UV_REQUIREMENT='uv>=0.13.9,<0.14'
log() { printf '\n==> %s\n' "$*"; }

log "uv (.venv-tools/uv)"
UV=.venv-tools/uv/bin/uv
if [ ! -x "$UV" ]; then
  "$PYTHON" -m venv .venv-tools/uv
  .venv-tools/uv/bin/python -m pip install --quiet "$UV_REQUIREMENT"
fi
"$UV" --version
export UV_PYTHON_DOWNLOADS=never  # the interpreter is this machine's ($PYTHON); uv never fetches one

log "Python environment (.venv)"
"$UV" sync --locked --all-extras --compile-bytecode --python "$PYTHON"  # byte-compiled, as pip leaves a venv

log "Scanner environments (.venv-tools)"
install_tool() {  # name, requirement
  local name="$1" requirement="$2"
  if [ ! -x ".venv-tools/$name/bin/$name" ]; then
    "$UV" venv --quiet --python "$PYTHON" ".venv-tools/$name"
    "$UV" pip install --quiet --python ".venv-tools/$name/bin/python" "$requirement"
  fi
}
install_tool semgrep 'semgrep>=1.100,<2'
install_tool checkov 'checkov>=3.2,<4'

can_apt() { grep -qs '^ID=debian' /etc/os-release && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; }; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
APT_UPDATED=""
apt_install() {
  [ -n "$APT_UPDATED" ] || { $SUDO apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

log "Chromium for Playwright"
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "using the system Chromium: $(command -v chromium || command -v chromium-browser)"
elif can_apt; then
  # Debian's chromium is a real package (Ubuntu's is a snap wrapper: Playwright's download is better there).
  apt_install chromium
  echo "installed Debian's chromium: $(command -v chromium)"
else
  .venv/bin/python -m playwright install chromium
fi

log "Prometheus and promtool (monitoring tests)"
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  echo "using the system Prometheus: $(command -v prometheus), $(command -v promtool)"
elif can_apt; then
  # Debian's prometheus package ships both binaries; the tests start their own server on loopback.
  apt_install --no-install-recommends prometheus
  echo "installed Debian's prometheus: $(command -v prometheus), $(command -v promtool)"
else
  echo "no prometheus/promtool here (not Debian, or no root): tests/monitoring skips the tests that run them"
fi

log "Container tools (buildah, mmdebstrap)"
if command -v buildah >/dev/null 2>&1 && command -v mmdebstrap >/dev/null 2>&1; then
  echo "using $(buildah --version | cut -d' ' -f1-3) and mmdebstrap $(mmdebstrap --version | cut -d' ' -f2)"
elif can_apt; then
  apt_install buildah mmdebstrap
  echo "installed Debian's buildah and mmdebstrap"
else
  echo "skipped: no apt here; container/build.sh uses docker or podman where installed (its test skips without buildah)"
fi

log "JavaScript reference packages (tests/js)"
if [ -f tests/js/package-lock.json ]; then
  # `npm install` from the lock, not `npm ci`: odiff-bin lists one optional package per platform and the registry
  # here serves only linux-x64's, so the lock holds that one and `npm ci` refuses the lock as out of sync.
  # With package.json unchanged, `npm install` installs exactly the lock's versions and leaves the lock as it is.
  npm install --prefix tests/js --no-audit --no-fund --loglevel=error
fi

log "Done. Demo: .venv/bin/leadforge demo    Tests: .venv/bin/python -m pytest"
