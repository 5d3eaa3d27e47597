#!/usr/bin/env bash
# One command that installs everything the tests and the demo need on a fresh machine:
#   ./setup.sh
# - .venv: the leadforge package (editable) with its pinned dependencies and dev tools
# - .venv-tools/semgrep, .venv-tools/checkov: the scanners, each in its own venv (their pins clash
#   with ours, and checkov's bundled detect-secrets fork would overwrite the real package)
# - a Chromium for Playwright: the system's if present, Debian's `chromium` package where apt works,
#   else Playwright's own download
# - prometheus + promtool (Debian's `prometheus` package where apt works) for the monitoring tests
# - tests/js: the reference JavaScript pixelmatch for exactness tests
# Re-running is cheap: each step skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
log() { printf '\n==> %s\n' "$*"; }

log "Python environment (.venv)"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# requirements.lock is `uv export` of uv.lock (the exact versions, dev tools included);
# uv users can run `uv sync --all-extras` instead. The package itself goes in editable.
.venv/bin/python -m pip install --quiet -r requirements.lock
.venv/bin/python -m pip install --quiet --no-deps -e .

log "Scanner environments (.venv-tools)"
install_tool() {  # name, pip requirement
  local name="$1" requirement="$2"
  if [ ! -x ".venv-tools/$name/bin/$name" ]; then
    "$PYTHON" -m venv ".venv-tools/$name"
    ".venv-tools/$name/bin/python" -m pip install --quiet --upgrade pip
    ".venv-tools/$name/bin/python" -m pip install --quiet "$requirement"
  fi
}
install_tool semgrep 'semgrep>=1.100,<2'
install_tool checkov 'checkov>=3.2,<4'

log "Chromium for Playwright"
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "using the system Chromium: $(command -v chromium || command -v chromium-browser)"
elif grep -qs '^ID=debian' /etc/os-release && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; }; then
  # Debian's chromium is a real package (Ubuntu's is a snap wrapper: Playwright's download is better there).
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  echo "installed Debian's chromium: $(command -v chromium)"
else
  .venv/bin/python -m playwright install chromium
fi

log "Prometheus and promtool (monitoring tests)"
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  echo "using the system Prometheus: $(command -v prometheus), $(command -v promtool)"
elif grep -qs '^ID=debian' /etc/os-release && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; }; then
  # Debian's prometheus package ships both binaries; the tests start their own server on loopback.
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  echo "installed Debian's prometheus: $(command -v prometheus), $(command -v promtool)"
else
  echo "no prometheus/promtool here (not Debian, or no root): tests/monitoring skips the tests that run them"
fi

log "JavaScript reference packages (tests/js)"
if [ -f tests/js/package-lock.json ]; then
  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
fi

log "Done. Demo: .venv/bin/leadforge demo    Tests: .venv/bin/python -m pytest"
