"""Where the external tools live: their own venvs made by setup.sh first, then PATH."""

from __future__ import annotations

import os
from pathlib import Path

from leadforge import proc

# setup.sh installs uv, semgrep and checkov in their own venvs (their pins clash with ours, and
# checkov's bundled detect-secrets fork would overwrite the real package).
TOOL_VENVS = Path(os.environ.get("LEADFORGE_TOOLS", Path(__file__).resolve().parents[2] / ".venv-tools"))

INSTALL_HINT = {
    "semgrep": "Run ./setup.sh (installs it in .venv-tools/semgrep), or `pipx install semgrep`.",
    "checkov": "Run ./setup.sh (installs it in .venv-tools/checkov), or `pipx install checkov`.",
    "kubectl": "Install kubectl (it bundles kustomize): https://kubernetes.io/docs/tasks/tools/",
    "chromium": "Run ./setup.sh, `playwright install chromium`, or install your distribution's chromium package.",
    "git": "Install git.",
    "uv": "Run ./setup.sh (installs it in .venv-tools/uv), or `pip install uv`.",
    "terraform": "Install terraform.",
}


def tool_path(name: str) -> str | None:
    """The executable for ``name``: ``$LEADFORGE_<NAME>``, then ``.venv-tools/<name>/bin``, then PATH."""
    override = os.environ.get(f"LEADFORGE_{name.upper().replace('-', '_')}")
    if override:
        return override
    return proc.which(name, [TOOL_VENVS / name / "bin"])
