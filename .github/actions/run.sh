#!/usr/bin/env bash
# The run step of LeadForge's action (action.yml): `leadforge <command> <args>` in the working directory, either
# as installed by .github/actions/install or inside LeadForge's container image. Every input arrives as an
# environment variable and is split into arguments without any shell expansion.
#   LEADFORGE_COMMAND  words separated by spaces (e.g. "task dispatch --dry-run")
#   LEADFORGE_ARGS     one argument per line (empty lines are skipped)
#   LEADFORGE_IMAGE    empty: the installed leadforge; "default": ghcr.io/leadforge/leadforge:<version>[-visual];
#                      else an image reference (a digest, @sha256:..., pins it exactly)
#   LEADFORGE_WORKDIR  the repository to work on, relative to GITHUB_WORKSPACE
set -euo pipefail

read -r -a words <<< "$LEADFORGE_COMMAND"
extra=()
while IFS= read -r line; do
  if [ -n "$line" ]; then extra+=("$line"); fi
done <<< "${LEADFORGE_ARGS:-}"
workdir="$GITHUB_WORKSPACE/${LEADFORGE_WORKDIR:-.}"
if [ ! -d "$workdir" ]; then
  echo "::error title=LeadForge::working-directory: $LEADFORGE_WORKDIR does not exist in the workspace"
  exit 1
fi
cd "$workdir"
[ -n "${GITHUB_TOKEN:-}" ] || unset GITHUB_TOKEN

if [ -z "${LEADFORGE_IMAGE:-}" ]; then
  exec leadforge "${words[@]}" "${extra[@]}"
fi

image="$LEADFORGE_IMAGE"
if [ "$image" = "default" ]; then
  root="$(cd "$GITHUB_ACTION_PATH" && pwd)"
  version="${LEADFORGE_VERSION:-$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/pyproject.toml" | head -n 1)}"
  image="ghcr.io/leadforge/leadforge:$version"
  if [[ ",${LEADFORGE_EXTRAS// /,}," == *",visual,"* ]]; then
    image+="-visual"
  fi
fi
if ! command -v docker > /dev/null; then
  echo "::error title=LeadForge::image: needs docker on the runner (GitHub's Linux runners have it)"
  exit 1
fi
# The container sees the workspace and the runner's temp folder (event payload, GITHUB_OUTPUT, summaries) at the
# same paths, runs as the runner's user (so files it writes belong to the job), and gets the GITHUB_* variables.
env_args=()
for name in $(compgen -e); do
  case "$name" in
    GITHUB_*|RUNNER_*|CI|LEADFORGE_NOW) env_args+=(-e "$name") ;;
  esac
done
home="$RUNNER_TEMP/leadforge-home"
mkdir -p "$home"
echo "image=$image" >> "$GITHUB_OUTPUT"
exec docker run --rm --pull missing --user "$(id -u):$(id -g)" \
  -v "$GITHUB_WORKSPACE:$GITHUB_WORKSPACE" -v "$RUNNER_TEMP:$RUNNER_TEMP" --workdir "$PWD" \
  -e HOME="$home" "${env_args[@]}" --entrypoint leadforge "$image" "${words[@]}" "${extra[@]}"
