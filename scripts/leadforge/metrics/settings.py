"""The `metrics:` section of `.github/leadforge.yml` (Agent metrics and dashboard)."""

from __future__ import annotations

from pydantic import Field

from leadforge.strict import StrictModel


class DashboardSettings(StrictModel):
    """The static dashboard built by `leadforge dashboard build`."""

    title: str = Field("LeadForge dashboard", description="Page title and top heading of the dashboard.")
    completed_limit: int = Field(
        100,
        ge=0,
        description="Completed tasks shown as cards on the board (newest first); older ones are listed compactly below.",
    )
    base_url: str = Field(
        "",
        description="Web address of the repository for issue/PR links (default: from GITHUB_REPOSITORY or the origin remote).",
    )


class MetricsSettings(StrictModel):
    """Agent metrics and dashboard settings."""

    humans: tuple[str, ...] = Field(
        (),
        description="Assignees that are people, shown as human rows beside the AI agents\n"
        "(profiles with `kind: human` and authors of commits outside the queue count as humans too).",
    )
    aliases: dict[str, str] = Field(
        default_factory=dict,
        description='Commit author name or email -> the agent or human row it belongs to (e.g. "Mona Lisa": mona).',
    )
    ref: str = Field("", description="Git ref whose history is measured (default: default_branch when it exists, else HEAD).")
    untracked_commits: bool = Field(
        True,
        description="Count lines of commits that belong to no task under their (non-bot) author, as a human row.",
    )
    keystrokes_per_line: float = Field(
        35.0,
        ge=0,
        description="Keystrokes a person would type per added line (keystrokes saved = added x this + removed x next).",
    )
    keystrokes_per_removed_line: float = Field(2.0, ge=0, description="Keystrokes a person would spend per removed line.")
    forge: bool = Field(True, description="Read pull request reviews and merge times from the forge for the period's tasks.")
    max_forge_pulls: int = Field(200, ge=0, description="At most this many pull requests are read from the forge per run.")
    reports_dir: str = Field("docs/metrics", description="Folder of the weekly reports (<YYYY>-W<WW>.json and .md).")
    report_issue: int | None = Field(
        None,
        description="Issue that receives the weekly report comment (one per week, edited on re-runs);\n"
        "empty: the open issue labelled `report_label`, created when missing.",
    )
    report_label: str = Field("leadforge-metrics", description="Label of the issue that collects the weekly reports.")
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings, description="The static dashboard.")
