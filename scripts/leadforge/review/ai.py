"""Optional AI review: hand the pull request to an agent profile (``profiles/<name>.yml``, from the
task queue) with the review criteria as its instructions. The deterministic review never waits
for it or depends on it; a missing profile or a failed hand-off is only a line in the log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadforge.errors import ConfigError
from leadforge.forge.base import upsert_issue_comment

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.review.engine import Change
    from leadforge.review.settings import AiReviewSettings

AI_KEY = "review-ai"


def _values(change: Change, instructions: str) -> dict[str, str]:
    number = str(change.pull)
    return {
        "id": f"PR-{number}",
        "title": change.title,
        "issue": number,
        "branch": "",
        "priority": "",
        "type": "review",
        "scope": "",
        "acceptance": f"Review this pull request against {instructions}.",
        "task_path": instructions,
    }


def hand_off(app: App, change: Change, settings: AiReviewSettings) -> str:
    from leadforge.tasks.profiles import load_profiles, render_template

    profiles = {p.name: p for p in load_profiles(app.repo)}
    profile = profiles.get(settings.profile)
    if profile is None:
        raise ConfigError(f"review.ai.profile: no profile named {settings.profile!r} in profiles/")
    values = _values(change, settings.instructions)
    handoff = profile.handoff
    forge = app.forge
    if change.pull is None:  # the engine asks only for pull requests
        raise ConfigError("review.ai: only a pull request can be handed to an agent for review")
    if app.dry_run:
        app.out.would(f"hand #{change.pull} to {profile.name} ({handoff.describe()}) for an AI review")
        return f"AI review: would hand #{change.pull} to {profile.name}"
    if handoff.kind == "comment":
        text = render_template(handoff.value, values) + f"\n\nPlease review against `{settings.instructions}`."
        _comment, what = upsert_issue_comment(forge, change.pull, AI_KEY, text)
        return f"AI review: {profile.name} asked by comment ({what})"
    if handoff.kind == "assign":
        forge.add_assignees(change.pull, [handoff.value])
    elif handoff.kind == "label":
        forge.add_labels(change.pull, [handoff.value])
    elif handoff.kind == "workflow":
        inputs = {k: render_template(v, values) for k, v in handoff.inputs.items()}
        forge.dispatch_workflow(handoff.value, handoff.ref or app.config.default_branch, inputs)
    return f"AI review: handed #{change.pull} to {profile.name} ({handoff.describe()})"
