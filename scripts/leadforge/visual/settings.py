"""The `visual:` section of `.github/leadforge.yml` (Visual regression)."""

from __future__ import annotations

from leadforge.strict import StrictModel


class VisualSettings(StrictModel):
    """Visual regression settings."""
