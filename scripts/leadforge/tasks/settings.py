"""The `tasks:` section of `.github/leadforge.yml` (AI task queue)."""

from __future__ import annotations

from leadforge.strict import StrictModel


class TasksSettings(StrictModel):
    """AI task queue settings."""
