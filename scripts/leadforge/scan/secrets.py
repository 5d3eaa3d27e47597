"""detect-secrets adapter: pure ``argv`` and ``parse``. The secret value never leaves the tool:
its output carries only the type, the line and a hash, and that is all a finding keeps."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from leadforge.findings import Finding
from leadforge.scan.sarif import SarifError


def argv(files: Sequence[str], *, python: str | None = None) -> list[str]:
    """``python -m detect_secrets scan --no-verify FILES`` (JSON on stdout; nothing goes to the network)."""
    # "--": a changed file named like an option ("--exclude-files=.*") must not switch the scan off
    return [python or sys.executable, "-m", "detect_secrets", "scan", "--no-verify", "--", *files]


def parse(text: str, *, severity: str = "error") -> list[Finding]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SarifError(f"detect-secrets output: not valid JSON (line {err.lineno}: {err.msg})") from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise SarifError("detect-secrets output: no 'results' object")
    findings = []
    for path, items in sorted(results.items()):
        for item in items or []:
            kind = str(item.get("type") or "Secret")
            line = int(item.get("line_number") or 0)
            findings.append(
                Finding(
                    tool="secrets",
                    rule=kind.lower().replace(" ", "-"),
                    severity=severity,
                    path=str(path).replace("\\", "/").removeprefix("./"),
                    line=line,
                    message=f"Possible {kind} committed in the source. Remove it, rotate it, and read it from a secret store.",
                    help="https://docs.github.com/actions/security-guides/using-secrets-in-github-actions",
                    # the hash, never the value: stable across line moves, safe to keep
                    code_line=str(item.get("hashed_secret") or ""),
                )
            )
    return findings
