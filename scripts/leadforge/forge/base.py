"""The one protocol for everything the pipeline asks of GitHub.

Two implementations: ``github.GitHubForge`` (PyGithub, production) and
``local.LocalForge`` (JSON files under ``.leadforge/forge/``, offline). Logic
that is the same for both (refusing arguments GitHub would refuse, finding our
comment by its hidden marker, creating or updating a release by tag) lives
once, in the functions at the bottom.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from leadforge.errors import ForgeError
from leadforge.forge.models import (
    Asset,
    ChangedFile,
    CheckAnnotation,
    CheckRun,
    Comment,
    CommitStatus,
    Issue,
    NewReviewComment,
    PullRequest,
    Release,
    Review,
    ReviewComment,
)


@runtime_checkable
class Forge(Protocol):
    """What LeadForge needs from a forge. Methods raise ``ForgeError``/``NotFoundError``."""

    repository: str  # owner/name
    login: str  # who this forge writes as (comments we own are trusted only from this login or an app bot)

    # issues ----------------------------------------------------------------------------------
    def get_issue(self, number: int) -> Issue: ...
    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> Issue: ...
    def update_issue(self, number: int, *, title: str | None = None, body: str | None = None) -> Issue: ...
    def list_issues(self, *, state: str = "open", labels: Sequence[str] = ()) -> list[Issue]: ...
    def close_issue(self, number: int, reason: str = "completed") -> None: ...
    def list_issue_comments(self, number: int) -> list[Comment]: ...
    def create_issue_comment(self, number: int, body: str) -> Comment: ...
    def update_issue_comment(self, comment_id: int, body: str) -> Comment: ...
    def add_labels(self, number: int, labels: Sequence[str]) -> None: ...
    def remove_label(self, number: int, label: str) -> None: ...
    def add_assignees(self, number: int, assignees: Sequence[str]) -> None: ...

    # pull requests ---------------------------------------------------------------------------
    def get_pull(self, number: int) -> PullRequest: ...
    def list_pulls(self, *, state: str = "open", head: str | None = None, base: str | None = None) -> list[PullRequest]: ...
    def create_pull(self, *, title: str, body: str, head: str, base: str, draft: bool = False) -> PullRequest: ...
    def list_pull_files(self, number: int) -> list[ChangedFile]: ...
    def list_pull_commits(self, number: int) -> list[str]: ...
    def list_reviews(self, number: int) -> list[Review]: ...
    def create_review(
        self, number: int, *, commit_sha: str, body: str, event: str, comments: Sequence[NewReviewComment] = ()
    ) -> Review: ...
    def update_review(self, number: int, review_id: int, body: str) -> Review: ...
    def dismiss_review(self, number: int, review_id: int, message: str) -> None: ...
    def list_review_comments(self, number: int) -> list[ReviewComment]: ...
    def create_review_comment(self, number: int, *, commit_sha: str, comment: NewReviewComment) -> ReviewComment: ...
    def update_review_comment(self, comment_id: int, body: str) -> ReviewComment: ...
    def delete_review_comment(self, comment_id: int) -> None: ...

    # commits: statuses and checks ------------------------------------------------------------
    def create_status(self, sha: str, status: CommitStatus) -> None: ...
    def list_statuses(self, sha: str) -> list[CommitStatus]: ...
    def create_check_run(
        self,
        *,
        name: str,
        head_sha: str,
        status: str = "completed",
        conclusion: str | None = None,
        title: str = "",
        summary: str = "",
        annotations: Sequence[CheckAnnotation] = (),
    ) -> CheckRun: ...
    def list_check_runs(self, sha: str) -> list[CheckRun]: ...

    # releases ------------------------------------------------------------------------------
    def get_release_by_tag(self, tag: str) -> Release | None: ...
    def create_release(
        self, *, tag: str, name: str, body: str, draft: bool = False, prerelease: bool = False, target: str = ""
    ) -> Release: ...
    def update_release(
        self,
        release_id: int,
        *,
        name: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        prerelease: bool | None = None,
    ) -> Release: ...
    def upload_asset(self, release_id: int, path: Path, *, name: str | None = None, content_type: str | None = None) -> Asset: ...
    def delete_asset(self, asset_id: int) -> None: ...

    # repository ----------------------------------------------------------------------------
    def get_permission(self, username: str) -> str: ...  # admin | maintain | write | triage | read | none
    def dispatch_workflow(self, workflow: str, ref: str, inputs: Mapping[str, str] | None = None) -> None: ...
    def repository_dispatch(self, event_type: str, payload: Mapping[str, Any] | None = None) -> None: ...

    # organization billing ------------------------------------------------------------------
    def premium_request_usage(
        self, org: str, *, year: int, month: int, day: int | None = None, user: str | None = None
    ) -> dict[str, Any]: ...  # GitHub's report object, as sent


# ---- behaviour shared by every forge --------------------------------------------------------

REVIEW_STATE_OF_EVENT = {"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "APPROVE": "APPROVED"}
REVIEW_EVENTS = tuple(REVIEW_STATE_OF_EVENT)  # what GitHub takes as a review's event
STATUS_STATES = ("error", "failure", "pending", "success")


def check_review_event(event: str) -> None:
    """Refuse a review event GitHub does not take, before any request or state change."""
    if event not in REVIEW_EVENTS:
        raise ForgeError(f"review event must be one of {', '.join(REVIEW_EVENTS)}, got {event!r}")


def check_status_state(state: str) -> None:
    """Refuse a commit status state GitHub does not take, before any request or state change."""
    if state not in STATUS_STATES:
        raise ForgeError(f"commit status state must be {'|'.join(STATUS_STATES)}, got {state!r}")


_MARKER_RE = re.compile(r"<!-- leadforge:([A-Za-z0-9_.:/#@-]+) -->")


def marker(key: str) -> str:
    """The hidden HTML comment that identifies a comment (or review) LeadForge owns."""
    if not re.fullmatch(r"[A-Za-z0-9_.:/#@-]+", key):
        raise ValueError(f"invalid marker key {key!r}")
    return f"<!-- leadforge:{key} -->"


def markers_in(body: str) -> list[str]:
    return _MARKER_RE.findall(body or "")


def with_marker(key: str, body: str) -> str:
    tag = marker(key)
    return body if tag in body else f"{tag}\n{body}"


def is_trusted_author(author: str, login: str) -> bool:
    """Our own login, or a GitHub App bot (``name[bot]``: a person cannot take such a login)."""
    return bool(author) and (author == login or author.endswith("[bot]"))


def find_marked(comments: Sequence[Comment], key: str, login: str | None = None) -> Comment | None:
    """The comment carrying marker ``key``. With ``login``, only a comment written by us (or an
    app bot) counts: anyone can paste our marker into their own comment, and we must not edit it."""
    tag = marker(key)
    for comment in comments:
        if tag in comment.body and (login is None or is_trusted_author(comment.author, login)):
            return comment
    return None


def upsert_issue_comment(forge: Forge, number: int, key: str, body: str) -> tuple[Comment, str]:
    """Create the comment marked ``key`` on issue/PR ``number``, or edit it in place.

    Returns the comment and what happened: ``created``, ``updated`` or ``unchanged``.
    """
    text = with_marker(key, body)
    existing = find_marked(forge.list_issue_comments(number), key, getattr(forge, "login", None))
    if existing is None:
        return forge.create_issue_comment(number, text), "created"
    if existing.body == text:
        return existing, "unchanged"
    return forge.update_issue_comment(existing.id, text), "updated"


def upsert_release(
    forge: Forge, *, tag: str, name: str, body: str, prerelease: bool = False, draft: bool = False, target: str = ""
) -> tuple[Release, str]:
    """Create the release for ``tag`` or edit it: a re-run never duplicates."""
    existing = forge.get_release_by_tag(tag)
    if existing is None:
        return forge.create_release(tag=tag, name=name, body=body, draft=draft, prerelease=prerelease, target=target), "created"
    if (existing.name, existing.body, existing.prerelease, existing.draft) == (name, body, prerelease, draft):
        return existing, "unchanged"
    return forge.update_release(existing.id, name=name, body=body, prerelease=prerelease, draft=draft), "updated"


def replace_asset(forge: Forge, release: Release, path: Path, name: str | None = None) -> Asset:
    """Upload ``path`` to ``release``, first deleting a same-named asset."""
    name = name or path.name
    for asset in release.assets:
        if asset.name == name:
            forge.delete_asset(asset.id)
    return forge.upload_asset(release.id, path, name=name)


__all__ = [
    "Asset",
    "ChangedFile",
    "CheckAnnotation",
    "CheckRun",
    "Comment",
    "CommitStatus",
    "Forge",
    "Issue",
    "NewReviewComment",
    "PullRequest",
    "Release",
    "Review",
    "ReviewComment",
    "check_review_event",
    "check_status_state",
    "find_marked",
    "marker",
    "markers_in",
    "replace_asset",
    "upsert_issue_comment",
    "upsert_release",
    "with_marker",
]
