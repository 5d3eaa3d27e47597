"""The checkable review criteria (pure): PR size, tests with source changes, forbidden paths,
required PR-body sections, a conventional-commit title. The prose criteria for people live in
docs/REVIEW_CRITERIA.md."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from leadforge.findings import Finding
from leadforge.forge.models import ChangedFile
from leadforge.review.settings import CriteriaSettings
from leadforge.scan.paths import matches_any

DOC = "docs/REVIEW_CRITERIA.md"
_TITLE = re.compile(r"^(?P<type>[a-z]+)(?:\((?P<scope>[^()\s][^()]*)\))?(?P<bang>!)?: (?P<subject>\S.*)$")


@dataclass(frozen=True, slots=True)
class PullInfo:
    """What the criteria look at: title and body (empty for a plain git range), and the files."""

    title: str = ""
    body: str = ""
    files: tuple[ChangedFile, ...] = ()
    is_pull: bool = True  # False for `leadforge review --base --head` without a PR: title/body rules skip


def _finding(rule: str, message: str, severity: str, path: str = "", help: str = "") -> Finding:
    return Finding(
        tool="criteria", rule=rule, severity=severity, path=path, message=message, help=help or f"{DOC}#{rule}", code_line=rule
    )


def check(pull: PullInfo, settings: CriteriaSettings) -> list[Finding]:
    sev = settings.severity
    findings: list[Finding] = []
    files = pull.files
    lines = sum(f.additions + f.deletions for f in files)
    if settings.max_changed_lines and lines > settings.max_changed_lines:
        findings.append(
            _finding(
                "max-pr-size",
                f"This PR changes {lines} lines; the limit is "
                f"{settings.max_changed_lines}. Split it into smaller PRs that each do one thing.",
                sev,
            )
        )
    if settings.max_changed_files and len(files) > settings.max_changed_files:
        findings.append(
            _finding("max-pr-files", f"This PR changes {len(files)} files; the limit is {settings.max_changed_files}.", sev)
        )
    source = [
        f.path
        for f in files
        if f.status != "removed" and matches_any(f.path, settings.source_paths) and not matches_any(f.path, settings.test_paths)
    ]
    tests = [f.path for f in files if matches_any(f.path, settings.test_paths)]
    if source and not tests:
        shown = ", ".join(source[:5]) + (f" and {len(source) - 5} more" if len(source) > 5 else "")
        findings.append(
            _finding(
                "tests-required",
                f"Source files changed ({shown}) but no test changed. Add or update a test that covers the change.",
                sev,
            )
        )
    for f in files:
        for path in filter(None, (f.path, f.previous_path)):
            if matches_any(path, settings.forbidden_paths):
                pattern = next(p for p in settings.forbidden_paths if matches_any(path, [p]))
                moved = f" (renamed from {path})" if path != f.path else ""
                findings.append(
                    _finding(
                        "forbidden-path",
                        f"{f.path}{moved} may not be changed in a pull request (review.criteria.forbidden_paths: {pattern}).",
                        sev,
                        path=f.path,
                    )
                )
                break
    if pull.is_pull:
        findings += _body(pull.body, settings.required_sections, sev)
        if settings.conventional_title:
            problem = title_problem(pull.title, settings.title_types)
            if problem:
                findings.append(_finding("conventional-title", problem, sev))
    return findings


def title_problem(title: str, types: Sequence[str]) -> str:
    """Why ``title`` is not a conventional-commit title, or "" when it is."""
    match = _TITLE.match(title.strip())
    if not match:
        return (
            f"The PR title {title.strip()!r} is not a conventional commit: write `type(scope): subject`, "
            f"e.g. `fix(review): keep one summary per PR`."
        )
    if match.group("type") not in types:
        return f"The PR title's type {match.group('type')!r} is not one of: {', '.join(types)}."
    return ""


def _body(body: str, sections: Sequence[str], severity: str) -> list[Finding]:
    present = {_norm(line) for line in (body or "").splitlines() if line.strip()}
    missing = [s for s in sections if _norm(s) not in present]
    if not missing:
        return []
    return [
        _finding(
            "required-sections",
            "The PR description is missing: " + ", ".join(f"`{s}`" for s in missing) + ". Fill in the pull request template.",
            severity,
        )
    ]


def _norm(line: str) -> str:
    return re.sub(r"\s+", " ", line.strip().rstrip(":")).lower()
