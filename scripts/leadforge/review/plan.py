"""Deciding what to post (pure): the review report plus what is already on the pull request in,
a frozen ``ReviewPlan`` out. ``apply`` in ``post.py`` carries it out.

One review per PR, found by its hidden marker. Inline comments are grouped per (file, line),
each marked with the fingerprints of its findings; a re-run keeps comments whose findings are
unchanged, edits the ones whose set changed, deletes the ones whose findings are gone, posts
only what is new, and edits the summary in place. GitHub cannot change a submitted review's
state, so a verdict change dismisses our review (blocking -> not blocking) or submits a new
one and points the old one at it (not blocking -> blocking).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from leadforge.findings import Finding
from leadforge.forge.base import REVIEW_STATE_OF_EVENT, is_trusted_author, marker, markers_in
from leadforge.forge.models import CommitStatus, NewReviewComment, Review, ReviewComment
from leadforge.review import summary
from leadforge.review.filter import Placed
from leadforge.review.report import ReviewReport

COMMENT_PREFIX = "review-comment:"
SUPERSEDED_KEY = "review-superseded"
_SEVERITY_ICON = {"error": "🛑", "warning": "⚠️", "note": "ℹ️"}


@dataclass(frozen=True, slots=True)
class CommentGroup:
    """The findings that share one inline comment (same file and anchor)."""

    path: str
    start_line: int
    line: int
    findings: tuple[Finding, ...]

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(sorted({f.fingerprint for f in self.findings}))

    @property
    def key(self) -> str:
        return COMMENT_PREFIX + ".".join(self.fingerprints)

    def body(self) -> str:
        parts = [marker(self.key)]
        for f in self.findings:
            hint = f"\n\n<sub>{summary.md(f.help)}</sub>" if f.help else ""
            parts.append(
                f"{_SEVERITY_ICON[f.severity]} **{f.severity}** · {f.tool} `{summary.code(f.rule)}`\n\n"
                f"{summary.md(f.message)}{hint}"
            )
        return "\n\n---\n\n".join(parts[1:]).join([parts[0] + "\n", ""])

    def new_comment(self) -> NewReviewComment:
        multi = self.start_line < self.line
        return NewReviewComment(
            path=self.path,
            line=self.line,
            body=self.body(),
            side="RIGHT",
            start_line=self.start_line if multi else None,
            start_side="RIGHT" if multi else None,
        )


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    pull: int
    head_sha: str
    event: str  # COMMENT | REQUEST_CHANGES | APPROVE
    body: str  # the summary, with our markers
    create_review: bool  # submit a new review (first run, or the verdict moved to blocking/approved)
    review_id: int | None = None  # our existing review, edited in place when not creating
    update_body: bool = False
    supersede: tuple[tuple[int, str], ...] = ()  # (old review id, new short body)
    dismiss: tuple[tuple[int, str], ...] = ()  # (review id, message)
    new_comments: tuple[NewReviewComment, ...] = ()
    update_comments: tuple[tuple[int, str], ...] = ()
    delete_comments: tuple[int, ...] = ()
    kept_comments: int = 0
    overflow: int = 0  # on-diff findings that did not fit under max_comments
    status: CommitStatus | None = None
    inline_fingerprints: tuple[str, ...] = field(default=(), repr=False)

    @property
    def changes(self) -> bool:
        return bool(
            self.create_review
            or self.update_body
            or self.supersede
            or self.dismiss
            or self.new_comments
            or self.update_comments
            or self.delete_comments
        )

    def describe(self) -> list[str]:
        """One line per effect, for --dry-run and the log."""
        lines = []
        if self.create_review:
            lines.append(f"submit a {self.event} review on #{self.pull} with {len(self.new_comments)} inline comment(s)")
        else:
            if self.update_body:
                lines.append(f"edit the summary of review {self.review_id} in place")
            for comment in self.new_comments:
                lines.append(f"comment on {comment.path}:{comment.line}")
        lines += [f"dismiss review {rid}: {msg}" for rid, msg in self.dismiss]
        lines += [f"mark review {rid} superseded" for rid, _ in self.supersede]
        lines += [f"edit inline comment {cid}" for cid, _ in self.update_comments]
        lines += [f"delete inline comment {cid} (its finding is gone)" for cid in self.delete_comments]
        if self.status:
            lines.append(f"set commit status {self.status.context}={self.status.state}: {self.status.description}")
        return lines or [f"nothing to change on #{self.pull} (review up to date)"]


def groups(placed: Sequence[Placed]) -> list[CommentGroup]:
    """Inline-able findings grouped per (path, anchor), most severe group first."""
    buckets: dict[tuple[str, int, int], list[Finding]] = {}
    for p in placed:
        if p.in_diff and p.anchor and p.finding.path:
            buckets.setdefault((p.finding.path, p.anchor[0], p.anchor[1]), []).append(p.finding)
    out = []
    for (path, start, line), items in buckets.items():
        items.sort(key=lambda f: (f.rank, f.tool, f.rule, f.fingerprint))
        unique = list({f.fingerprint: f for f in items}.values())
        out.append(CommentGroup(path, start, line, tuple(unique)))
    out.sort(key=lambda g: (min(f.rank for f in g.findings), g.path, g.line))
    return out


def _ours(author: str, login: str | None) -> bool:
    """Written by us: anyone can paste our hidden markers into a review or comment, so with ``login``
    only our own login (or an app bot) counts; without it (tests, old callers) every author does."""
    return login is None or is_trusted_author(author, login)


def _our_review(reviews: Sequence[Review], login: str | None = None) -> Review | None:
    key = marker(summary.REVIEW_KEY)
    mine = [r for r in reviews if key in (r.body or "") and r.state != "PENDING" and _ours(r.author, login)]
    return mine[-1] if mine else None


def _comment_fps(comment: ReviewComment) -> frozenset[str] | None:
    for key in markers_in(comment.body):
        if key.startswith(COMMENT_PREFIX):
            return frozenset(key[len(COMMENT_PREFIX) :].split("."))
    return None


def status_for(report: ReviewReport, context: str) -> CommitStatus:
    counts = report.counts
    text = f"{counts['error']} error, {counts['warning']} warning, {counts['note']} note"
    cov = report.coverage
    if cov is not None and cov.percent is not None:
        text += f"; changed-lines coverage {cov.percent:.0f}%"
    state = "failure" if report.verdict == "REQUEST_CHANGES" else "success"
    return CommitStatus(context=context, state=state, description=text[:140])


def plan_review(
    report: ReviewReport,
    *,
    reviews: Sequence[Review],
    comments: Sequence[ReviewComment],
    max_comments: int = 30,
    template: str | None = None,
    run_url: str = "",
    criteria_url: str = "",
    status_context: str | None = "leadforge/review",
    login: str | None = None,
) -> ReviewPlan:
    if report.pull is None:
        raise ValueError("a review plan needs a pull request number")
    all_groups = groups(report.placed)
    inline_groups = all_groups[:max_comments]
    overflow = sum(len(g.findings) for g in all_groups[max_comments:])
    inline_findings = [f for g in inline_groups for f in g.findings]

    existing = _our_review(reviews, login)
    now = [p.finding.fingerprint for p in report.in_diff]
    since = summary.since_from(summary.read_state(existing.body) if existing else None, report.head_sha, now)
    text = summary.render(
        report,
        inline=inline_findings,
        since=since,
        template=template,
        run_url=run_url,
        criteria_url=criteria_url,
        comments=inline_groups,
    )
    body = summary.with_state(text, head=report.head_sha, fingerprints=now, since=since)

    # ---- inline comments: keep, edit, delete, create --------------------------------------
    ours = [(c, fps) for c in comments if (fps := _comment_fps(c)) is not None and _ours(c.author, login)]
    matched: set[int] = set()
    new: list[NewReviewComment] = []
    updates: list[tuple[int, str]] = []
    kept = 0
    for group in inline_groups:
        wanted = frozenset(group.fingerprints)
        exact = next(
            (c for c, fps in ours if c.id not in matched and fps == wanted and c.path == group.path and c.line is not None), None
        )
        if exact is not None:
            matched.add(exact.id)
            if exact.body != group.body():
                updates.append((exact.id, group.body()))
            else:
                kept += 1
            continue
        overlap = next(
            (c for c, fps in ours if c.id not in matched and fps & wanted and c.path == group.path and c.line == group.line), None
        )
        if overlap is not None:
            matched.add(overlap.id)
            updates.append((overlap.id, group.body()))
            continue
        new.append(group.new_comment())
    deletes = tuple(sorted(c.id for c, _ in ours if c.id not in matched))

    # ---- the review itself -------------------------------------------------------------------
    event = report.verdict
    create = existing is None or (event != "COMMENT" and existing.state != REVIEW_STATE_OF_EVENT[event])
    supersede: list[tuple[int, str]] = []
    dismiss: list[tuple[int, str]] = []
    if existing is not None and create:
        note = (
            f"{marker(SUPERSEDED_KEY)}\nLeadForge: this review is superseded by a newer one "
            f"(the verdict changed to {event.replace('_', ' ').lower()}).\n"
        )
        supersede.append((existing.id, note))
        if existing.state in ("CHANGES_REQUESTED", "APPROVED"):
            dismiss.append((existing.id, "LeadForge: superseded by a newer review."))
    elif existing is not None and existing.state in ("CHANGES_REQUESTED", "APPROVED") and event == "COMMENT":
        dismiss.append((existing.id, "LeadForge: no blocking findings remain on this pull request."))
    update_body = existing is not None and not create and existing.body != body
    status = status_for(report, status_context) if status_context else None
    return ReviewPlan(
        pull=report.pull,
        head_sha=report.head_sha,
        event=event,
        body=body,
        create_review=create,
        review_id=None if existing is None else existing.id,
        update_body=update_body,
        supersede=tuple(supersede),
        dismiss=tuple(dismiss),
        new_comments=tuple(new),
        update_comments=tuple(updates),
        delete_comments=deletes,
        kept_comments=kept,
        overflow=overflow,
        status=status,
        inline_fingerprints=tuple(sorted({f.fingerprint for f in inline_findings})),
    )
