"""The callers ``leadforge init --reusable`` writes, rendered into a folder so the harness can run them.

Their ``uses: leadforge/leadforge/.github/workflows/reusable-*.yml@<sha>`` resolves, in the harness, to this
project's files (``Harness(repositories=)`` defaults ``*/leadforge`` to the project), so a test runs exactly the
caller a user gets against the reusable workflows in this checkout.
"""

from __future__ import annotations

from pathlib import Path

from leadforge.scaffold import CALLERS_ROOT, PIPELINES, Pin, render_caller

PIN = Pin("5f0c6e3a1b2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e", "v0.1.0")  # any full SHA: the harness reads the local files


def render_callers(root: Path, pin: Pin = PIN) -> Path:
    """Every caller template rendered into ``root/.github/workflows``; returns that folder (``workflows_dir=``)."""
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    for names in PIPELINES.values():
        for name in names:
            (folder / name).write_text(render_caller((CALLERS_ROOT / name).read_text(encoding="utf-8"), pin), encoding="utf-8")
    return folder
