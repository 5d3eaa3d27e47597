"""The `review:` section of `.github/leadforge.yml` (Pull request review)."""

from __future__ import annotations

from leadforge.strict import StrictModel


class ReviewSettings(StrictModel):
    """Pull request review settings."""
