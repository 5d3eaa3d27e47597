"""``leadforge review`` and ``leadforge review post``: gather, compute, decide, post.

Compute (``review``) runs anywhere: on a pull_request event, on ``--pr N`` with any forge, or
on ``--base/--head`` in any git repository. Posting needs write access; a fork's pull request
has none, so the compute run leaves annotations and an artifact, and ``review post`` (in a
``workflow_run`` workflow that never checks out the fork's code) posts it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from leadforge.context import require
from leadforge.errors import ForgeError, GitError, InputError
from leadforge.fsutil import atomic_write
from leadforge.review import post as posting
from leadforge.review.engine import Change, Reviewer
from leadforge.review.gitdiff import changed_files
from leadforge.review.plan import plan_review
from leadforge.review.report import ReviewReport, load_artifact_file
from leadforge.review.summary import load_template, render

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.config import Config
    from leadforge.review.settings import ReviewSettings

PULL_EVENTS = ("pull_request", "pull_request_target")


def _default_base(app: App) -> str:
    branch = app.config.default_branch
    return f"origin/{branch}" if app.git.ref_exists(f"origin/{branch}") else branch


def resolve_change(app: App, *, base: str | None, head: str | None, pr: int | None) -> Change:
    """Which change to review: the event's pull request, ``--pr``, or a git range."""
    repository = app.context.repository or getattr(app.forge, "repository", "") if pr else app.context.repository
    if pr is None and base is None and app.context.event_name in PULL_EVENTS:
        event = app.context.event()
        pull = require(event, "pull_request")
        number = int(require(event, "pull_request.number"))
        head_repo = ((pull.get("head") or {}).get("repo") or {}).get("full_name") or ""
        return _with_files(
            app,
            Change(
                base_sha=str(require(event, "pull_request.base.sha")),
                head_sha=str(require(event, "pull_request.head.sha")),
                files=(),
                pull=number,
                title=str(pull.get("title") or ""),
                body=str(pull.get("body") or ""),
                repository=app.context.repository or str(((event.get("repository") or {}).get("full_name")) or ""),
                head_repo=head_repo,
            ),
        )
    if pr is not None:
        pull = app.forge.get_pull(pr)
        head_sha = pull.head_sha or app.git.rev_parse(pull.head_ref)
        base_sha = pull.base_sha or app.git.rev_parse(pull.base_ref)
        return _with_files(
            app,
            Change(
                base_sha=base_sha,
                head_sha=head_sha,
                files=(),
                pull=pr,
                title=pull.title,
                body=pull.body,
                repository=app.forge.repository,
                head_repo=pull.head_repo,
            ),
        )
    base_ref = base or _default_base(app)
    head_ref = head or "HEAD"
    base_sha, head_sha = app.git.rev_parse(base_ref), app.git.rev_parse(head_ref)
    return Change(
        base_sha=base_sha, head_sha=head_sha, files=tuple(changed_files(app.git, base_sha, head_sha)), repository=repository or ""
    )


def _with_files(app: App, change: Change) -> Change:
    """Files from local git when both commits are here (no API call), else from the forge."""
    try:
        files = changed_files(app.git, change.base_sha, change.head_sha)
    except GitError:
        if change.pull is None:
            raise
        app.out.info("review: commits not in the local clone (fetch-depth: 0 avoids this); asking the forge for the files")
        files = app.forge.list_pull_files(change.pull)
    return replace(change, files=tuple(files))


def config_for(app: App, change: Change) -> Config:
    """A pull request is reviewed with the BASE branch's config, so a PR cannot switch off the checks that
    judge it (an explicit --config wins). A range review uses the working tree's config."""
    from leadforge.config import DEFAULT_CONFIG_PATH, parse_config

    if change.pull is None or app.config_path is not None or not change.base_sha:
        return app.config
    text = app.git.show_file(change.base_sha, DEFAULT_CONFIG_PATH)
    if text is None:
        if any(f.path == DEFAULT_CONFIG_PATH for f in change.files):
            app.out.info(f"review: the pull request adds {DEFAULT_CONFIG_PATH}; it takes effect once merged (defaults used)")
        from leadforge.config import Config

        return Config()
    if any(f.path == DEFAULT_CONFIG_PATH for f in change.files):
        app.out.info(
            f"review: the pull request changes {DEFAULT_CONFIG_PATH}; this review uses the base branch's "
            "version (the change takes effect once merged)"
        )
    return parse_config(text, f"{DEFAULT_CONFIG_PATH}@{change.base_sha[:7]}")


def _criteria_url(app: App, repository: str) -> str:
    if not repository or not app.context.in_actions:
        return ""
    return f"{app.context.server_url}/{repository}/blob/{app.config.default_branch}/docs/REVIEW_CRITERIA.md"


def _is_fork(app: App, change: Change) -> bool:
    return bool(change.head_repo and change.repository and change.head_repo != change.repository)


def review_command(
    app: App,
    *,
    base: str | None = None,
    head: str | None = None,
    pr: int | None = None,
    post: str = "auto",
    artifact: str | None = None,
    coverage: str | None = None,
    sarif: Sequence[str] | None = None,
    filter_mode: str | None = None,
    fail_on_blocking: bool = False,
) -> int:
    if not app.git.is_repo():
        raise InputError(f"{app.repo}: not a git repository; leadforge review compares two commits of one (--repo PATH)")
    change = resolve_change(app, base=base, head=head, pr=pr)
    what = f"#{change.pull}" if change.pull else f"{change.base_sha[:7]}...{change.head_sha[:7]}"
    app.out.info(f"review: {what}: {len(change.files)} changed file(s)")
    config = config_for(app, change)
    settings = config.review
    reviewer = Reviewer(app.repo, settings, config.scan)
    report = reviewer.review(change, coverage_path=coverage, sarif_files=sarif or (), mode=filter_mode)
    for note in report.notes:
        app.out.info(f"review: note: {note}")
    if artifact and app.dry_run:
        app.out.would(f"write the review artifact {artifact}")
    elif artifact:
        try:
            atomic_write(
                app.repo / artifact if not artifact.startswith("/") else artifact,
                json.dumps(report.to_artifact(), indent=1) + "\n",
            )
        except OSError as err:
            raise InputError(f"--artifact {artifact}: cannot write it ({err.strerror or err})") from None
        app.out.info(f"review: wrote the review artifact {artifact}")

    template = load_template(app.repo, settings.template)
    extra: list[str] = []
    if change.pull is not None and post != "never":
        extra += _post_or_fallback(app, report, change, template, forced=post == "always", settings=settings)
    elif change.pull is not None and app.context.in_actions:
        reason = (
            "this run may not write (it runs the pull request's code with a read-only token); the "
            "Review (post) workflow posts the review from the uploaded artifact"
            if artifact
            else "posting is off (--post never)"
        )
        _fallback(app, report, template, reason)
        extra.append(f"not posted: {reason}")
    else:
        app.actions.summary(render(report, inline=[], template=template, run_url=app.context.run_url))
    if change.pull is not None and settings.ai.profile and post != "never" and not _is_fork(app, change):
        extra.append(_ai_review(app, change, settings))
    app.out.result(report.to_json(), posting.human(report, extra))
    return 1 if fail_on_blocking and report.verdict == "REQUEST_CHANGES" else 0


def _post_or_fallback(
    app: App, report: ReviewReport, change: Change, template: str, *, forced: bool, settings: ReviewSettings | None = None
) -> list[str]:
    """Post the review, or (fork, no permission) annotate and say why."""
    if _is_fork(app, change) and app.context.event_name == "pull_request" and not forced:
        reason = (
            f"pull request from the fork {change.head_repo}: this run's token is read-only, so the "
            "review-post workflow posts the review from the uploaded artifact"
        )
        _fallback(app, report, template, reason)
        return [f"not posted: {reason}"]
    try:
        return _post(app, report, template, settings)
    except ForgeError as err:
        reason = f"cannot write to the pull request ({err})"
        _fallback(app, report, template, reason)
        return [f"not posted: {reason}"]


def _fallback(app: App, report: ReviewReport, template: str, reason: str) -> None:
    posting.annotate(report, app.actions, reason=reason)
    app.out.info(f"review: {reason}; findings written as annotations")
    app.actions.summary(render(report, inline=[], template=template, run_url=app.context.run_url) + f"\n> **Note:** {reason}.\n")


def _post(app: App, report: ReviewReport, template: str, settings: ReviewSettings | None = None) -> list[str]:
    settings = settings or app.config.review
    if report.pull is None:  # both callers have a pull request; a report without one cannot be posted
        raise InputError("the review report names no pull request to post to")
    forge = app.forge
    plan = plan_review(
        report,
        reviews=forge.list_reviews(report.pull),
        comments=forge.list_review_comments(report.pull),
        max_comments=settings.max_comments,
        template=template,
        run_url=app.context.run_url,
        criteria_url=_criteria_url(app, report.repository),
        status_context=settings.status_context if settings.status != "none" else None,
        login=getattr(forge, "login", None) or None,
    )
    app.actions.summary(plan.body)
    if app.dry_run:
        for line in plan.describe():
            app.out.would(line)
        return ["dry run: nothing posted"]
    done = posting.apply(plan, forge, status_kind=settings.status, report=report)
    line = (
        f"review {done['review']} on #{plan.pull}: summary {done['summary']}, {done['created']} comment(s) posted, "
        f"{done['updated']} edited, {done['deleted']} deleted, {plan.kept_comments} kept"
    )
    if plan.overflow:
        line += f"; {plan.overflow} finding(s) over the {settings.max_comments}-comment cap are in the summary"
    app.out.info(f"review: {line}")
    return [line]


def post_command(app: App, *, artifact: str) -> int:
    """``leadforge review post ARTIFACT``: the trusted half of the two-workflow pattern."""
    from pathlib import Path

    path = Path(artifact) if Path(artifact).is_absolute() else app.repo / artifact
    report = load_artifact_file(str(path))
    if report.pull is None:
        raise InputError(f"{artifact}: the artifact is not for a pull request (no 'pull'); nothing to post")
    repository = app.context.repository
    if repository and report.repository and report.repository != repository:
        raise InputError(f"{artifact}: made for {report.repository}, but this run is in {repository}")
    if app.context.event_name == "workflow_run":
        run_sha = str(require(app.context.event(), "workflow_run.head_sha"))
        if run_sha != report.head_sha:
            raise InputError(f"{artifact}: head {report.head_sha[:12]} is not the triggering run's head {run_sha[:12]}")
    pull = app.forge.get_pull(report.pull)
    if pull.head_sha and pull.head_sha != report.head_sha:
        app.out.info(
            f"review post: #{report.pull} moved on to {pull.head_sha[:7]}; this artifact is for "
            f"{report.head_sha[:7]}. Skipping: the newer run posts."
        )
        app.out.result({"posted": False, "reason": "stale"}, "")
        return 0
    # the verdict rules are the base repository's, never the artifact's: a fork's run made it and could
    # otherwise ask for an approval (approve: true) or make nothing blocking
    settings = app.config.review
    report = replace(report, approve=settings.approve, blocking=tuple(settings.blocking))
    template = load_template(app.repo, settings.template)
    try:
        lines = _post(app, report, template)
    except ForgeError as err:
        reason = f"cannot write to the pull request ({err})"
        _fallback(app, report, template, reason)
        lines = [f"not posted: {reason}"]
    app.out.result({"posted": not lines[0].startswith("not posted"), **report.to_json()}, "\n".join(lines))
    return 0


def _ai_review(app: App, change: Change, settings: ReviewSettings) -> str:
    """Optional: hand the PR to an agent profile. Never part of the verdict."""
    try:
        from leadforge.review.ai import hand_off
    except ImportError:  # pragma: no cover - the module ships with the package
        return "AI review: not available"
    try:
        return hand_off(app, change, settings.ai)
    except Exception as err:  # noqa: BLE001 - the deterministic review must not depend on it
        return f"AI review: skipped ({err})"
