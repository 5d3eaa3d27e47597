"""The review summary, rendered from a Jinja2 template (sandboxed; users may bring their own).

Everything a scanner wrote is untrusted text: the ``md`` filter neutralises HTML (so no one can
plant our hidden markers), table pipes, @-mentions and newlines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from leadforge.errors import ConfigError
from leadforge.findings import Finding, count_by_severity
from leadforge.review.report import ReviewReport, source_rows, uncovered_text

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "review" / "summary.md.j2"
REVIEW_KEY = "review"
STATE_RE = re.compile(r"<!-- leadforge-review-state (\{[^<>]*\}) -->")
_ICONS = {"REQUEST_CHANGES": "❌", "COMMENT": "💬", "APPROVE": "✅"}
_TEXT = {"REQUEST_CHANGES": "changes requested", "COMMENT": "no blocking findings", "APPROVE": "approved"}


@dataclass(frozen=True, slots=True)
class Since:
    """What changed since our previous review of this PR."""

    previous_head: str
    head: str
    new: int
    fixed: int
    still: int

    @property
    def same_head(self) -> bool:
        return self.previous_head == self.head


class InlineComment(Protocol):
    """One posted inline comment (``plan.CommentGroup``): several findings on one line share it."""

    @property
    def path(self) -> str: ...
    @property
    def start_line(self) -> int: ...
    @property
    def line(self) -> int: ...
    @property
    def findings(self) -> tuple[Finding, ...]: ...


def _comment_row(comment: InlineComment) -> dict[str, Any]:
    where = (
        f"{comment.path}:{comment.line}"
        if comment.start_line >= comment.line
        else (f"{comment.path}:{comment.start_line}-{comment.line}")
    )
    worst = min(comment.findings, key=lambda f: f.rank)
    return {
        "path": comment.path,
        "line": comment.line,
        "start_line": comment.start_line,
        "location": where,
        "severity": worst.severity,
        "count": len(comment.findings),
        "rules": [(f.tool, f.rule) for f in comment.findings],
    }


def md(text: Any) -> str:
    value = str(text or "")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = value.replace("|", "\\|").replace("@", "@\u200b")
    return re.sub(r"\s*\n\s*", " ", value).strip()


def code(text: Any) -> str:
    return str(text or "").replace("`", "'").replace("\n", " ")


def code_span(text: Any) -> str:
    return f"`{code(text)}`"


def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True, trim_blocks=False, undefined=StrictUndefined)
    env.filters.update(md=md, code=code, code_span=code_span)
    return env


def load_template(repo: Path | None, override: str) -> str:
    if override:
        path = (repo or Path(".")) / override
        try:
            return path.read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"review.template: cannot read {path}: {err.strerror or err}") from None
    return TEMPLATE.read_text(encoding="utf-8")


def context(
    report: ReviewReport,
    *,
    inline: Sequence[Finding],
    since: Since | None = None,
    run_url: str = "",
    criteria_url: str = "",
    comments: Sequence[InlineComment] = (),
) -> dict[str, Any]:
    """The template's variables (documented in docs/review.md). ``comments`` are the inline comments the
    review posts (findings on one line share one); ``inline`` their findings."""
    inline_fps = {f.fingerprint for f in inline} | {f.fingerprint for c in comments for f in c.findings}
    in_diff = [p.finding for p in report.placed if p.in_diff]
    return {
        "verdict": report.verdict,
        "verdict_icon": _ICONS[report.verdict],
        "verdict_text": _TEXT[report.verdict],
        "counts": count_by_severity(in_diff),
        "pull_findings_total": len(in_diff),
        "blocking": list(report.blocking),
        "blocking_total": len(report.blocking_findings),
        "inline_total": len(comments),
        "inline_findings_total": len(inline_fps),
        "inline": [_comment_row(c) for c in comments],
        "overflow_total": len([p for p in report.placed if p.in_diff and p.anchor and p.finding.fingerprint not in inline_fps]),
        "sources": source_rows(report),
        "coverage": report.coverage,
        "uncovered": uncovered_text(report.coverage) if report.coverage else [],
        "summary_only": [f for f in in_diff if f.fingerprint not in inline_fps],
        "outside": [p.finding for p in report.placed if not p.in_diff],
        "since": since,
        "notes": list(report.notes),
        "head_sha": report.head_sha,
        "mode": report.mode,
        "run_url": run_url,
        "criteria_url": criteria_url,
        "pull": report.pull,
    }


def render(
    report: ReviewReport,
    *,
    inline: Sequence[Finding],
    since: Since | None = None,
    template: str | None = None,
    run_url: str = "",
    criteria_url: str = "",
    comments: Sequence[InlineComment] = (),
) -> str:
    """The summary body without our hidden markers (``with_state`` adds them)."""
    from jinja2 import TemplateError

    source = template if template is not None else TEMPLATE.read_text(encoding="utf-8")
    try:
        text = (
            _environment()
            .from_string(source)
            .render(context(report, inline=inline, since=since, run_url=run_url, criteria_url=criteria_url, comments=comments))
        )
    except TemplateError as err:
        raise ConfigError(f"review.template: {type(err).__name__}: {err}") from None
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def with_state(body: str, *, head: str, fingerprints: Sequence[str], since: Since | None = None) -> str:
    """Our review marker on top, and the state the next run compares with at the bottom."""
    from leadforge.forge.base import marker

    data: dict[str, Any] = {"head": head, "fingerprints": sorted(set(fingerprints))}
    if since is not None:
        data["since"] = [since.previous_head, since.new, since.fixed, since.still]
    state = json.dumps(data, separators=(",", ":"))
    return f"{marker(REVIEW_KEY)}\n{body.rstrip()}\n\n<!-- leadforge-review-state {state} -->\n"


def read_state(body: str) -> Mapping[str, Any] | None:
    found = STATE_RE.findall(body or "")
    if not found:
        return None
    try:
        data = json.loads(found[-1])  # ours is the last line; an earlier one came from untrusted text
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("fingerprints"), list):
        return None
    return data


def since_from(state: Mapping[str, Any] | None, head: str, fingerprints: Sequence[str]) -> Since | None:
    """Compare with our previous review. A re-run on the same commit with the same findings keeps
    the comparison it showed before, so the summary (and the review) stays byte-identical."""
    if state is None:
        return None
    before = {str(fp) for fp in state.get("fingerprints", [])}
    now = set(fingerprints)
    previous_head = str(state.get("head") or "")
    if previous_head == head and before == now:
        stored = state.get("since")
        if isinstance(stored, list) and len(stored) == 4:
            return Since(str(stored[0]), head, int(stored[1]), int(stored[2]), int(stored[3]))
        return None
    return Since(previous_head, head, len(now - before), len(before - now), len(now & before))
