"""checkov adapter: pure ``argv`` and ``parse`` (its JSON report) -> findings."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from leadforge.findings import Finding
from leadforge.scan.sarif import RuleInfo, SarifError

# Offline settings: no guideline download, no package update check.
ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "LOG_LEVEL": "ERROR"}
_SEVERITY = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note", "INFO": "note"}


def argv(
    executable: str,
    *,
    files: Sequence[str] = (),
    directory: str | None = None,
    frameworks: Sequence[str] = (),
    skip_checks: Sequence[str] = (),
) -> list[str]:
    """``checkov`` over ``files`` (``-f`` each) or a whole ``directory`` (``-d``), JSON on stdout."""
    args = [executable, "--skip-download", "-o", "json", "--quiet", "--compact", "--soft-fail"]
    if frameworks:
        args += ["--framework", ",".join(frameworks)]
    if skip_checks:
        args += ["--skip-check", ",".join(skip_checks)]
    if directory is not None:
        args += ["-d", directory]
    # --file=PATH, not -f PATH: a changed file named like an option ("--skip-check=...") stays a file name
    args += [f"--file={path}" for path in files]
    return args


def parse(text: str, *, default_severity: str = "warning") -> list[Finding]:
    """Failed checks from checkov's JSON (one report object, or a list of them per framework)."""
    text = text.strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SarifError(f"checkov JSON output: not valid JSON (line {err.lineno}: {err.msg})") from None
    reports = data if isinstance(data, list) else [data]
    findings = []
    for report in reports:
        if not isinstance(report, Mapping):
            raise SarifError("checkov JSON output: a report is not an object")
        if "results" not in report:  # "no files found" summaries have only counts
            continue
        failed = (report.get("results") or {}).get("failed_checks") or []
        for check in failed:
            findings.append(_finding(check, report.get("check_type", ""), default_severity))
    return findings


def _finding(check: Mapping[str, Any], check_type: str, default_severity: str) -> Finding:
    path = str(check.get("repo_file_path") or check.get("file_path") or "").lstrip("/")
    lines = check.get("file_line_range") or [0, 0]
    start, end = (int(lines[0] or 0), int(lines[1] or 0)) if len(lines) == 2 else (0, 0)
    severity = _SEVERITY.get(str(check.get("severity") or "").upper(), default_severity)
    resource = str(check.get("resource") or "")
    name = str(check.get("check_name") or check.get("check_id"))
    message = f"{name} ({resource})" if resource else name
    return Finding(
        tool="checkov",
        rule=str(check.get("check_id") or "CKV_UNKNOWN"),
        severity=severity,
        path=path,
        line=start,
        end_line=end,
        message=message,
        help=str(check.get("guideline") or ""),
        # the resource address is stable when the block moves; fall back to the check type
        code_line=resource or check_type,
    )


def describe(text: str) -> tuple[list[RuleInfo], str]:
    """The failed checks' own titles (check names) and checkov's version, from its JSON report."""
    try:
        data = json.loads(text.strip() or "[]")
    except json.JSONDecodeError:
        return [], ""
    infos: dict[str, RuleInfo] = {}
    version = ""
    for report in data if isinstance(data, list) else [data]:
        if not isinstance(report, Mapping):
            continue
        version = version or str((report.get("summary") or {}).get("checkov_version") or "")
        for check in (report.get("results") or {}).get("failed_checks") or []:
            check_id = str(check.get("check_id") or "CKV_UNKNOWN")
            guideline = str(check.get("guideline") or "")
            infos.setdefault(
                check_id,
                RuleInfo(
                    "checkov",
                    check_id,
                    str(check.get("check_name") or check_id),
                    "",
                    guideline if guideline.startswith(("http://", "https://")) else "",
                ),
            )
    return list(infos.values()), version
