"""detect-secrets adapter: pure ``argv`` and ``parse``. The secret value never leaves the tool:
its output carries only the type, the line and a hash, and that is all a finding keeps."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from leadforge.findings import Finding
from leadforge.scan.sarif import RuleInfo, SarifError

# detect-secrets plugins that judge a string by its entropy alone: a commit SHA or a checksum looks just like a
# key to them. Their hits are kept, at ``scan.secrets.entropy_severity`` (a warning unless configured).
ENTROPY_PLUGINS = frozenset({"Hex High Entropy String", "Base64 High Entropy String"})
HELP = "https://docs.github.com/actions/security-guides/using-secrets-in-github-actions"


def argv(files: Sequence[str], *, python: str | None = None) -> list[str]:
    """``python -m detect_secrets scan --no-verify FILES`` (JSON on stdout; nothing goes to the network)."""
    # "--": a changed file named like an option ("--exclude-files=.*") must not switch the scan off
    return [python or sys.executable, "-m", "detect_secrets", "scan", "--no-verify", "--", *files]


def rule_id(kind: str) -> str:
    return kind.lower().replace(" ", "-")


def _results(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SarifError(f"detect-secrets output: not valid JSON (line {err.lineno}: {err.msg})") from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise SarifError("detect-secrets output: no 'results' object")
    return data, results


def describe(text: str) -> tuple[list[RuleInfo], str]:
    """The secret types found (one rule each) and detect-secrets' version, from its JSON output."""
    data, results = _results(text)
    kinds = sorted(
        {str(item.get("type") or "Secret") for items in results.values() for item in items or [] if isinstance(item, dict)}
    )
    infos = [RuleInfo("secrets", rule_id(kind), f"Possible {kind} committed in the source", "", HELP) for kind in kinds]
    return infos, str(data.get("version") or "")


def parse(text: str, *, severity: str = "error", entropy_severity: str | None = None) -> list[Finding]:
    """Findings from detect-secrets' JSON; entropy-only plugins' hits get ``entropy_severity`` (default: ``severity``)."""
    _data, results = _results(text)
    findings = []
    for path, items in sorted(results.items()):
        for item in items or []:
            kind = str(item.get("type") or "Secret")
            line = int(item.get("line_number") or 0)
            entropy = kind in ENTROPY_PLUGINS
            note = (
                " Judged by entropy alone: a commit SHA or checksum looks the same; if it is one, mark it "
                "`# pragma: allowlist secret`."
                if entropy
                else ""
            )
            findings.append(
                Finding(
                    tool="secrets",
                    rule=rule_id(kind),
                    severity=(entropy_severity or severity) if entropy else severity,
                    path=str(path).replace("\\", "/").removeprefix("./"),
                    line=line,
                    message=f"Possible {kind} committed in the source. Remove it, rotate it, and read it from a secret "
                    f"store.{note}",
                    help=HELP,
                    # the hash, never the value: stable across line moves, safe to keep
                    code_line=str(item.get("hashed_secret") or ""),
                )
            )
    return findings
