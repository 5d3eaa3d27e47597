"""The `release:` section of `.github/leadforge.yml` (Release notes and publishing)."""

from __future__ import annotations

from leadforge.strict import StrictModel


class ReleaseSettings(StrictModel):
    """Release notes and publishing settings."""
