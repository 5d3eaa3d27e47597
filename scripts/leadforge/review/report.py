"""The computed review of one change: placed findings, coverage, notes, verdict.

This is what ``leadforge review`` prints with ``--json``, and (as ``to_artifact``) what the
``pull_request`` workflow uploads for the ``workflow_run`` poster. An artifact comes from a run
that may have executed a fork's code, so ``from_artifact`` trusts nothing: it checks every field
and caps sizes; the poster renders all Markdown itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadforge.errors import InputError
from leadforge.findings import SEVERITIES, Finding, count_by_severity
from leadforge.review.coverage import CoverageResult
from leadforge.review.diff import format_ranges
from leadforge.review.filter import PLACES, Placed

ARTIFACT_VERSION = 1
MAX_FINDINGS = 2000
SOURCE_ORDER = ("criteria", "architecture", "coverage", "semgrep", "checkov", "secrets")


@dataclass(frozen=True, slots=True)
class SourceStatus:
    name: str
    status: str  # ok | skipped | failed
    files: int = 0
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReviewReport:
    repository: str = ""
    pull: int | None = None
    base_sha: str = ""
    head_sha: str = ""
    mode: str = "added"
    blocking: tuple[str, ...] = ("error",)
    approve: bool = False
    placed: tuple[Placed, ...] = ()
    coverage: CoverageResult | None = None
    sources: tuple[SourceStatus, ...] = ()
    notes: tuple[str, ...] = ()
    changed_files: int = 0
    head_repo: str = ""  # a fork's owner/name when it differs from repository

    @property
    def in_diff(self) -> list[Placed]:
        return [p for p in self.placed if p.in_diff]

    @property
    def blocking_findings(self) -> list[Placed]:
        return [p for p in self.in_diff if p.finding.severity in self.blocking]

    @property
    def verdict(self) -> str:
        """REQUEST_CHANGES on a blocking finding on the diff; APPROVE only when configured and clean."""
        if self.blocking_findings:
            return "REQUEST_CHANGES"
        if self.approve and not self.in_diff:
            return "APPROVE"
        return "COMMENT"

    @property
    def counts(self) -> dict[str, int]:
        return count_by_severity(p.finding for p in self.in_diff)

    # ---- the `--json` shape of the issue ------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        cov = self.coverage
        return {
            "findings": [
                {
                    "tool": p.finding.tool,
                    "rule": p.finding.rule,
                    "severity": p.finding.severity,
                    "path": p.finding.path,
                    "line": p.finding.line,
                    "end_line": p.finding.end_line,
                    "message": p.finding.message,
                    "in_diff": p.in_diff,
                }
                for p in self.placed
            ],
            "verdict": self.verdict,
            "coverage": {
                "changed_lines": cov.changed_lines if cov else 0,
                "covered": cov.covered if cov else 0,
                "percent": None if cov is None or cov.percent is None else round(cov.percent, 1),
            },
        }

    # ---- the artifact the fork-safe poster reads ---------------------------------------------
    def to_artifact(self) -> dict[str, Any]:
        cov = self.coverage
        return {
            "leadforge_review": ARTIFACT_VERSION,
            "repository": self.repository,
            "pull": self.pull,
            "base_sha": self.base_sha,
            "head_sha": self.head_sha,
            "head_repo": self.head_repo,
            "mode": self.mode,
            "blocking": list(self.blocking),
            "approve": self.approve,
            "changed_files": self.changed_files,
            "findings": [
                {**p.finding.to_dict(), "place": p.place, "in_diff": p.in_diff, "anchor": list(p.anchor) if p.anchor else None}
                for p in self.placed
            ],
            "coverage": None
            if cov is None
            else {
                "changed_lines": cov.changed_lines,
                "covered": cov.covered,
                "percent": cov.percent,
                "threshold": cov.threshold,
                "note": cov.note,
                "available": cov.available,
                "uncovered": {p: [list(r) for r in rs] for p, rs in cov.uncovered.items()},
                "unmeasured": list(cov.unmeasured),
            },
            "sources": [{"name": s.name, "status": s.status, "files": s.files, "note": s.note} for s in self.sources],
            "notes": list(self.notes),
        }


def build_report(
    *,
    placed: Iterable[Placed],
    sources: Sequence[SourceStatus],
    coverage: CoverageResult | None,
    notes: Sequence[str],
    **meta: Any,
) -> ReviewReport:
    ordered = sorted(
        placed, key=lambda p: (not p.in_diff, p.finding.rank, p.finding.path, p.finding.line, p.finding.tool, p.finding.rule)
    )
    return ReviewReport(placed=tuple(ordered), sources=tuple(sources), coverage=coverage, notes=tuple(notes), **meta)


# ---- reading an artifact back (untrusted) ------------------------------------------------------

_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def _text(value: Any, name: str, limit: int = 2000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"review artifact: {name} must be a string")
    return value[:limit]


def from_artifact(data: Any, source: str = "review artifact") -> ReviewReport:
    """Validate and load an artifact; one-line ``InputError`` naming the bad field."""
    try:
        return _load(data)
    except InputError as err:
        raise InputError(f"{source}: {str(err).removeprefix('review artifact: ')}") from None
    except (ValueError, TypeError, KeyError) as err:
        raise InputError(f"{source}: {err}") from None


def _load(data: Any) -> ReviewReport:
    if not isinstance(data, Mapping) or data.get("leadforge_review") != ARTIFACT_VERSION:
        raise InputError(f"review artifact: not a LeadForge review artifact (version {ARTIFACT_VERSION})")
    repository = _text(data.get("repository"), "repository", 200)
    if repository and not _REPO.match(repository):
        raise InputError("review artifact: repository must be owner/name")
    pull = data.get("pull")
    if pull is not None and (not isinstance(pull, int) or isinstance(pull, bool) or pull <= 0):
        raise InputError("review artifact: pull must be a positive number")
    head_sha = _text(data.get("head_sha"), "head_sha", 64)
    base_sha = _text(data.get("base_sha"), "base_sha", 64)
    for name, sha in (("head_sha", head_sha), ("base_sha", base_sha)):
        if sha and not _SHA.match(sha):
            raise InputError(f"review artifact: {name} must be a hex commit id")
    mode = _text(data.get("mode") or "added", "mode", 20)
    blocking = data.get("blocking") or ["error"]
    if not isinstance(blocking, list) or not all(b in SEVERITIES for b in blocking):
        raise InputError(f"review artifact: blocking must list severities ({', '.join(SEVERITIES)})")
    raw_findings = data.get("findings") or []
    if not isinstance(raw_findings, list):
        raise InputError("review artifact: findings must be a list")
    placed = []
    for index, item in enumerate(raw_findings[:MAX_FINDINGS]):
        try:
            finding = Finding.from_dict(item)
        except ValueError as err:
            raise InputError(f"review artifact: findings[{index}]: {err}") from None
        where = item.get("place")
        if where not in PLACES:
            raise InputError(f"review artifact: findings[{index}].place must be one of {', '.join(PLACES)}")
        anchor = item.get("anchor")
        if anchor is not None:
            if (
                not isinstance(anchor, list)
                or len(anchor) != 2
                or not all(isinstance(n, int) and n > 0 for n in anchor)
                or anchor[0] > anchor[1]
            ):
                raise InputError(f"review artifact: findings[{index}].anchor must be [start_line, line]")
            anchor = (anchor[0], anchor[1])
        placed.append(Placed(finding, where, bool(item.get("in_diff")), anchor))
    cov_data = data.get("coverage")
    coverage = None
    if cov_data is not None:
        if not isinstance(cov_data, Mapping):
            raise InputError("review artifact: coverage must be an object")
        percent = cov_data.get("percent")
        uncovered_raw = cov_data.get("uncovered") or {}
        if not isinstance(uncovered_raw, Mapping):
            raise InputError("review artifact: coverage.uncovered must be an object")
        uncovered = {
            _text(p, "coverage.uncovered path", 500): tuple((int(a), int(b)) for a, b in rs)
            for p, rs in list(uncovered_raw.items())[:200]
        }
        coverage = CoverageResult(
            changed_lines=int(cov_data.get("changed_lines") or 0),
            covered=int(cov_data.get("covered") or 0),
            percent=None if percent is None else float(percent),
            uncovered=uncovered,
            unmeasured=tuple(_text(p, "coverage.unmeasured", 500) for p in (cov_data.get("unmeasured") or [])[:200]),
            threshold=float(cov_data.get("threshold") or 0),
            note=_text(cov_data.get("note"), "coverage.note"),
            available=bool(cov_data.get("available", True)),
        )
    sources = []
    for item in (data.get("sources") or [])[:20]:
        if not isinstance(item, Mapping):
            raise InputError("review artifact: sources must be objects")
        sources.append(
            SourceStatus(
                _text(item.get("name"), "sources.name", 40),
                _text(item.get("status"), "sources.status", 20),
                int(item.get("files") or 0),
                _text(item.get("note"), "sources.note"),
            )
        )
    notes = tuple(_text(n, "notes") for n in (data.get("notes") or [])[:50])
    head_repo = _text(data.get("head_repo"), "head_repo", 200)
    return ReviewReport(
        repository=repository,
        pull=pull,
        base_sha=base_sha,
        head_sha=head_sha,
        mode=mode,
        blocking=tuple(blocking),
        approve=bool(data.get("approve", False)),
        placed=tuple(placed),
        coverage=coverage,
        sources=tuple(sources),
        notes=notes,
        changed_files=int(data.get("changed_files") or 0),
        head_repo=head_repo,
    )


def load_artifact_file(path: str) -> ReviewReport:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(20_000_000)
    except FileNotFoundError:
        raise InputError(f"{path}: review artifact not found") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: review artifact is not valid JSON (line {err.lineno}: {err.msg})") from None
    return from_artifact(data, path)


def source_rows(report: ReviewReport) -> list[dict[str, Any]]:
    """One row per source for the summary table: status, files, and counts of its findings on the diff."""
    rows = []
    statuses = {s.name: s for s in report.sources}
    names = [n for n in SOURCE_ORDER if n in statuses] + sorted(n for n in statuses if n not in SOURCE_ORDER)
    for extra in sorted({p.finding.tool for p in report.placed} - set(names)):
        names.append(extra)
    for name in names:
        status = statuses.get(name, SourceStatus(name, "ok"))
        mine = [p.finding for p in report.placed if p.finding.tool == name]
        on_diff = count_by_severity(p.finding for p in report.placed if p.finding.tool == name and p.in_diff)
        rows.append(
            {
                "name": name,
                "status": status.status,
                "files": status.files,
                "note": status.note,
                "error": on_diff["error"],
                "warning": on_diff["warning"],
                "note_count": on_diff["note"],
                "outside": len(mine) - sum(on_diff.values()),
            }
        )
    return rows


def uncovered_text(coverage: CoverageResult) -> list[tuple[str, str]]:
    return [(path, format_ranges(ranges)) for path, ranges in coverage.uncovered.items()]


__all__ = ["ReviewReport", "SourceStatus", "build_report", "from_artifact", "load_artifact_file"]
