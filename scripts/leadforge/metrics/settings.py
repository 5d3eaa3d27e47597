"""The `metrics:` section of `.github/leadforge.yml` (Agent metrics and dashboard)."""

from __future__ import annotations

from leadforge.strict import StrictModel


class MetricsSettings(StrictModel):
    """Agent metrics and dashboard settings."""
