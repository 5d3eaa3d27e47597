"""Our own records of what the forge returns: frozen, plain, no lazy API calls."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str
    author: str = ""
    url: str = ""
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True, slots=True)
class Issue:
    number: int
    title: str
    body: str = ""
    state: str = "open"  # open | closed
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    author: str = ""
    url: str = ""
    created_at: str = ""
    updated_at: str = ""
    is_pull_request: bool = False


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    title: str
    body: str = ""
    state: str = "open"  # open | closed
    merged: bool = False
    merged_at: str = ""
    merge_commit_sha: str = ""
    draft: bool = False
    head_ref: str = ""
    head_sha: str = ""
    head_repo: str = ""  # owner/name of the head repository: differs from the base for forks
    base_ref: str = ""
    base_sha: str = ""
    author: str = ""
    url: str = ""
    labels: tuple[str, ...] = ()
    created_at: str = ""
    updated_at: str = ""
    additions: int = 0
    deletions: int = 0
    changed_files: int = 0


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """One file of a pull request, with its unified-diff ``patch`` (absent for binaries)."""

    path: str
    status: str  # added | removed | modified | renamed | copied | changed | unchanged
    additions: int = 0
    deletions: int = 0
    patch: str | None = None
    previous_path: str | None = None


@dataclass(frozen=True, slots=True)
class NewReviewComment:
    """An inline comment to post with a review (GitHub's ``line``/``side`` addressing)."""

    path: str
    line: int
    body: str
    side: str = "RIGHT"
    start_line: int | None = None
    start_side: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewComment:
    id: int
    path: str
    body: str
    line: int | None = None
    side: str = "RIGHT"
    start_line: int | None = None
    review_id: int | None = None
    author: str = ""
    commit_id: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    body: str
    state: str  # COMMENTED | CHANGES_REQUESTED | APPROVED | DISMISSED | PENDING
    commit_id: str = ""
    author: str = ""
    url: str = ""
    submitted_at: str = ""


@dataclass(frozen=True, slots=True)
class CommitStatus:
    context: str
    state: str  # error | failure | pending | success
    description: str = ""
    target_url: str = ""


@dataclass(frozen=True, slots=True)
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str  # queued | in_progress | completed
    conclusion: str | None = None  # success | failure | neutral | cancelled | skipped | timed_out | action_required
    title: str = ""
    summary: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class CheckAnnotation:
    path: str
    start_line: int
    end_line: int
    level: str  # notice | warning | failure
    message: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Asset:
    id: int
    name: str
    size: int = 0
    content_type: str = "application/octet-stream"
    url: str = ""


@dataclass(frozen=True, slots=True)
class Release:
    id: int
    tag: str
    name: str = ""
    body: str = ""
    draft: bool = False
    prerelease: bool = False
    url: str = ""
    target: str = ""
    created_at: str = ""
    assets: tuple[Asset, ...] = field(default_factory=tuple)
