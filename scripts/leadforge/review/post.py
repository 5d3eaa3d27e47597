"""Carrying out a ``ReviewPlan`` on a forge, and the fallbacks when we may not write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadforge.forge.models import CheckAnnotation
from leadforge.review.plan import ReviewPlan
from leadforge.review.report import ReviewReport

_ANNOTATION_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}
_CHECK_LEVEL = {"error": "failure", "warning": "warning", "note": "notice"}


def apply(plan: ReviewPlan, forge: Any, *, status_kind: str = "status", report: ReviewReport | None = None) -> dict[str, Any]:
    """Post the plan. Returns what was done (ids and counts) for the log and --json."""
    done: dict[str, Any] = {"review": None, "created": 0, "updated": 0, "deleted": 0, "dismissed": 0, "summary": "unchanged"}
    if plan.create_review:
        # the new review first: when the forge refuses it, the old one still stands (not superseded, not dismissed)
        review = forge.create_review(
            plan.pull, commit_sha=plan.head_sha, body=plan.body, event=plan.event, comments=list(plan.new_comments)
        )
        done.update(review=review.id, created=len(plan.new_comments), summary="created")
    for review_id, note in plan.supersede:
        forge.update_review(plan.pull, review_id, note)
    for review_id, message in plan.dismiss:
        forge.dismiss_review(plan.pull, review_id, message)
        done["dismissed"] += 1
    for comment_id in plan.delete_comments:
        forge.delete_review_comment(comment_id)
        done["deleted"] += 1
    for comment_id, body in plan.update_comments:
        forge.update_review_comment(comment_id, body)
        done["updated"] += 1
    if not plan.create_review:
        done["review"] = plan.review_id
        if plan.update_body and plan.review_id is not None:
            forge.update_review(plan.pull, plan.review_id, plan.body)
            done["summary"] = "updated"
        for comment in plan.new_comments:
            forge.create_review_comment(plan.pull, commit_sha=plan.head_sha, comment=comment)
            done["created"] += 1
    if plan.status is not None and plan.head_sha and status_kind != "none":
        if status_kind == "check" and report is not None:
            conclusion = "failure" if plan.status.state == "failure" else "success"
            forge.create_check_run(
                name=plan.status.context,
                head_sha=plan.head_sha,
                conclusion=conclusion,
                title=plan.status.description,
                summary=plan.body[:60000],
                annotations=check_annotations(report),
            )
        else:
            forge.create_status(plan.head_sha, plan.status)
    return done


def check_annotations(report: ReviewReport, limit: int = 50) -> list[CheckAnnotation]:
    out = []
    for p in report.in_diff:
        f = p.finding
        if f.path and f.line:
            out.append(
                CheckAnnotation(
                    path=f.path,
                    start_line=f.line,
                    end_line=max(f.end_line, f.line),
                    level=_CHECK_LEVEL[f.severity],
                    message=f.message[:1000],
                    title=f"{f.tool} {f.rule}"[:255],
                )
            )
    return out[:limit]


def annotate(report: ReviewReport, actions: Any, *, reason: str, limit: int = 50) -> int:
    """The fallback without write access: workflow annotations on the diff's findings, and a note."""
    actions.annotate("notice", f"LeadForge review posted as annotations: {reason}", title="leadforge review")
    count = 0
    for p in report.in_diff[:limit]:
        f = p.finding
        where: dict[str, Any] = {"title": f"{f.tool} {f.rule}"}
        if f.path:
            where["file"] = f.path
            if f.line:
                where.update(line=f.line, end_line=max(f.end_line, f.line))
        actions.annotate(_ANNOTATION_LEVEL[f.severity], f.message, **where)
        count += 1
    return count


def human(report: ReviewReport, extra: Sequence[str] = ()) -> str:
    lines = []
    for p in report.placed:
        f = p.finding
        flag = "*" if p.in_diff else " "
        lines.append(f"{flag} {f.severity:<7} {f.location}  [{f.tool} {f.rule}] {f.message.splitlines()[0] if f.message else ''}")
    counts = report.counts
    lines.append("")
    lines.append(
        f"verdict: {report.verdict} — on the diff: {counts['error']} error, {counts['warning']} warning, "
        f"{counts['note']} note; {len(report.placed) - len(report.in_diff)} elsewhere (* = on the diff)"
    )
    cov = report.coverage
    if cov is not None and cov.percent is not None:
        lines.append(
            f"changed-lines coverage: {cov.percent:.1f}% ({cov.covered}/{cov.changed_lines}), threshold {cov.threshold:g}%"
        )
    lines += [f"note: {n}" for n in report.notes]
    lines += list(extra)
    return "\n".join(lines)
