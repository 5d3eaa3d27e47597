"""Where the visual area keeps screenshots, without its pydantic settings.

The release area asks here whether a release can have a visual section at all before it asks for the
section (``leadforge.visual.release.notes_section``, which loads the full config): ``release notes``
reads ``visual.baseline_dir``/``releases_dir`` with its own YAML fast path and must not import pydantic.
``visual.settings`` takes its defaults from here, so the two cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BASELINE_DIR = "screenshots/baseline"
RELEASES_DIR = "screenshots/releases"


@dataclass(frozen=True, slots=True)
class ScreenshotDirs:
    """``visual.baseline_dir`` and ``visual.releases_dir``: when neither the release's folder nor the
    baseline exists, the notes have no visual section, and the visual area need not be asked."""

    baseline_dir: str = BASELINE_DIR
    releases_dir: str = RELEASES_DIR

    def any_for(self, repo: Path, tag: str) -> bool:
        return (repo / self.releases_dir / tag).is_dir() or (repo / self.baseline_dir).is_dir()
