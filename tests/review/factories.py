"""Small builders for review tests: placed findings and reports with fixed values."""

from __future__ import annotations

from leadforge.findings import Finding
from leadforge.review.coverage import CoverageResult
from leadforge.review.filter import Placed
from leadforge.review.report import ReviewReport, SourceStatus, build_report

HEAD = "a" * 40
BASE = "b" * 40

SOURCES = (
    SourceStatus("criteria", "ok", 3),
    SourceStatus("architecture", "skipped", 0, "no rules configured"),
    SourceStatus("coverage", "ok", 3),
    SourceStatus("semgrep", "ok", 3),
    SourceStatus("checkov", "ok", 1),
    SourceStatus("secrets", "ok", 3),
)


def finding(
    tool: str, rule: str, severity: str, path: str, line: int = 0, end: int = 0, message: str = "", code: str = ""
) -> Finding:
    return Finding(tool, rule, severity, path, line, end, message or f"{rule} found", code_line=code or f"{path}:{rule}")


def inline(f: Finding, start: int | None = None, end: int | None = None) -> Placed:
    return Placed(f, "added", True, (start or f.line, end or f.end_line or f.line))


def report(
    placed: list[Placed],
    *,
    head: str = HEAD,
    coverage: CoverageResult | None = None,
    notes: tuple[str, ...] = (),
    approve: bool = False,
    pull: int | None = 7,
) -> ReviewReport:
    return build_report(
        placed=placed,
        sources=SOURCES,
        coverage=coverage,
        notes=notes,
        repository="octo-org/octo-repo",
        pull=pull,
        base_sha=BASE,
        head_sha=head,
        mode="added",
        blocking=("error",),
        approve=approve,
        changed_files=3,
    )


KEY = finding("secrets", "aws-access-key", "error", "app/new.py", 3, 3, "Possible AWS Access Key committed.", code="hash1")
SG = finding(
    "checkov",
    "CKV_AWS_24",
    "warning",
    "infra/new.tf",
    1,
    11,
    "No 0.0.0.0/0 to port 22 (aws_security_group.ssh)",
    code="aws_security_group.ssh",
)
SG2 = finding(
    "checkov",
    "CKV2_AWS_5",
    "warning",
    "infra/new.tf",
    1,
    11,
    "Attach security groups (aws_security_group.ssh)",
    code="aws_security_group.ssh",
)
OLD = finding("semgrep", "leadforge.python.subprocess-shell-true", "error", "app/old.py", 8, 8, "shell=True")
TITLE = finding("criteria", "conventional-title", "error", "", 0, 0, "The PR title 'Add stuff' is not a conventional commit.")
