"""Changed-lines coverage: a Cobertura ``coverage.xml`` (pytest-cov) intersected with the lines
the PR adds. Only lines coverage.py calls executable count; files it did not measure are named
in a note, never guessed at. Pure: XML text and added lines in, a ``CoverageResult`` out."""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field

from leadforge.errors import InputError
from leadforge.findings import Finding
from leadforge.review.diff import added_ranges, format_ranges


@dataclass(frozen=True, slots=True)
class CoverageData:
    """Per file (as the report names it, joined with each <source>): line -> hits."""

    files: Mapping[str, Mapping[int, int]]
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CoverageResult:
    changed_lines: int = 0  # added lines coverage.py measures
    covered: int = 0
    percent: float | None = None  # None: nothing to measure
    uncovered: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    unmeasured: tuple[str, ...] = ()  # changed files with added lines the report does not know
    threshold: float = 0.0
    note: str = ""
    available: bool = True  # False: no report (the section then says so)

    @property
    def passed(self) -> bool:
        return self.percent is None or self.percent + 1e-9 >= self.threshold

    def to_dict(self) -> dict[str, object]:
        return {
            "changed_lines": self.changed_lines,
            "covered": self.covered,
            "percent": None if self.percent is None else round(self.percent, 1),
            "threshold": self.threshold,
            "uncovered": {path: format_ranges(r) for path, r in self.uncovered.items()},
            "unmeasured": list(self.unmeasured),
            "note": self.note,
        }


def parse_cobertura(text: str, source: str = "coverage.xml") -> CoverageData:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        raise InputError(f"{source}: not valid XML ({err})") from None
    if root.tag != "coverage":
        raise InputError(f"{source}: not a Cobertura report (root element <{root.tag}>, expected <coverage>)")
    sources = tuple((s.text or "").strip().replace("\\", "/") for s in root.iter("source") if (s.text or "").strip())
    files: dict[str, dict[int, int]] = {}
    for cls in root.iter("class"):
        name = (cls.get("filename") or "").replace("\\", "/")
        if not name:
            continue
        lines = files.setdefault(name, {})
        for line in cls.iter("line"):
            try:
                number, hits = int(line.get("number", "0")), int(float(line.get("hits", "0")))
            except ValueError:
                raise InputError(
                    f"{source}: <line number={line.get('number')!r} hits={line.get('hits')!r}> is not numeric"
                ) from None
            lines[number] = max(hits, lines.get(number, 0))
    return CoverageData(files, sources)


def _resolve(data: CoverageData, path: str, repo_root: str) -> Mapping[int, int] | None:
    """The report's lines for repository path ``path``: by source-relative name, else by suffix."""
    root = repo_root.rstrip("/")
    for name, lines in data.files.items():
        candidates = [name] + [posixpath.normpath(posixpath.join(s, name)) for s in data.sources]
        for candidate in candidates:
            if candidate.startswith("/") and root:
                if candidate == f"{root}/{path}":
                    return lines
            elif candidate == path:
                return lines
    # a report made elsewhere (another checkout folder): the one file whose full name (joined with its
    # <source>, when the report has sources) ends with the path; never the bare name of a source-relative file
    matches = []
    for name, lines in data.files.items():
        fulls = [posixpath.normpath(posixpath.join(s, name)) for s in data.sources] or [name]
        if any(full.endswith("/" + path) or (not full.startswith("/") and path.endswith("/" + full)) for full in fulls):
            matches.append(lines)
    return matches[0] if len(matches) == 1 else None


def changed_lines_coverage(
    data: CoverageData, added: Mapping[str, frozenset[int] | set[int]], *, repo_root: str = "", threshold: float = 80.0
) -> CoverageResult:
    changed = covered = 0
    uncovered: dict[str, tuple[tuple[int, int], ...]] = {}
    unmeasured: list[str] = []
    for path in sorted(added):
        lines = added[path]
        if not lines:
            continue
        measured = _resolve(data, path, repo_root)
        if measured is None:
            if path.endswith(".py"):
                unmeasured.append(path)
            continue
        executable = [n for n in lines if n in measured]
        missed = [n for n in executable if measured[n] <= 0]
        changed += len(executable)
        covered += len(executable) - len(missed)
        if missed:
            uncovered[path] = tuple(added_ranges(missed))
    percent = 100.0 * covered / changed if changed else None
    note = ""
    if not changed and unmeasured:
        known = ", ".join(sorted(data.files)[:3]) or "no files"
        note = (
            f"the coverage report has no data for the changed files ({', '.join(unmeasured[:3])}"
            f"{'…' if len(unmeasured) > 3 else ''}); it covers {known}{'…' if len(data.files) > 3 else ''}. "
            "Was it made from this checkout (pytest --cov=<package> --cov-report=xml)?"
        )
    return CoverageResult(changed, covered, percent, uncovered, tuple(unmeasured), threshold, note)


def coverage_findings(result: CoverageResult, severity: str) -> list[Finding]:
    if result.passed or result.percent is None:
        return []
    detail = "; ".join(f"{p}: {format_ranges(r)}" for p, r in list(result.uncovered.items())[:10])
    return [
        Finding(
            tool="coverage",
            rule="changed-lines-coverage",
            severity=severity,
            path="",
            message=f"Only {result.percent:.1f}% of the added executable lines are covered by tests "
            f"({result.covered}/{result.changed_lines}); the threshold is {result.threshold:g}%. Uncovered: {detail}.",
            help="Add tests that run these lines (coverage from pytest --cov --cov-report=xml).",
            code_line="changed-lines-coverage",
        )
    ]
