"""The `scan:` section of `.github/leadforge.yml` (Security scanners)."""

from __future__ import annotations

from leadforge.strict import StrictModel


class ScanSettings(StrictModel):
    """Security scanners settings."""
