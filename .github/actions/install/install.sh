#!/usr/bin/env bash
# Installs LeadForge into its own environment ($LEADFORGE_HOME/venv) and puts `leadforge` (and `playwright`,
# with the visual extra) on PATH through GITHUB_PATH. Only those two commands are linked: the job's own
# `python` and `pip` stay the job's (a coverage command installs the project under test there).
#   LEADFORGE_ROOT  the LeadForge checkout this action belongs to (pyproject.toml + uv.lock)
#   EXTRAS          comma- or space-separated extras (visual, deploy, scan, serve); empty: the core only
#   VERSION         empty: install LeadForge at LEADFORGE_ROOT exactly as uv.lock pins it (uv sync --locked);
#                   else that released version from PyPI (resolved at install time within its declared ranges)
set -euo pipefail

venv="$LEADFORGE_HOME/venv"
bin="$LEADFORGE_HOME/bin"
extra_flags=()
extra_names=()
IFS=$', \t\n' read -r -a requested <<< "${EXTRAS:-}"
for name in "${requested[@]}"; do
  [ -n "$name" ] || continue
  if ! [[ "$name" =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
    echo "::error title=LeadForge install::extras: '$name' is not an extra name (visual, deploy, scan, serve)"
    exit 1
  fi
  extra_flags+=(--extra "$name")
  extra_names+=("$name")
done

if [ -z "${VERSION:-}" ]; then
  UV_PROJECT_ENVIRONMENT="$venv" uv sync --project "$LEADFORGE_ROOT" --locked --no-dev --no-editable "${extra_flags[@]}"
else
  if ! [[ "$VERSION" =~ ^[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?$ ]]; then
    echo "::error title=LeadForge install::version: '$VERSION' is not a release version (e.g. 0.2.0)"
    exit 1
  fi
  spec="leadforge"
  if [ "${#extra_names[@]}" -gt 0 ]; then
    spec+="[$(IFS=,; echo "${extra_names[*]}")]"
  fi
  uv venv --quiet "$venv"
  uv pip install --python "$venv/bin/python" "$spec==$VERSION"
fi

mkdir -p "$bin"
for tool in leadforge playwright; do
  if [ -x "$venv/bin/$tool" ]; then
    ln -sf "$venv/bin/$tool" "$bin/$tool"
  fi
done
echo "$bin" >> "$GITHUB_PATH"
installed="$("$bin/leadforge" --version)"
echo "version=${installed##* }" >> "$GITHUB_OUTPUT"
echo "python=$venv/bin/python" >> "$GITHUB_OUTPUT"
echo "Installed ${installed} (${extra_names[*]:-core}) in $venv"
