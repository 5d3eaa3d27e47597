"""The `deploy:` section of `.github/leadforge.yml` (Environments and deployment)."""

from __future__ import annotations

from leadforge.strict import StrictModel


class DeploySettings(StrictModel):
    """Environments and deployment settings."""
