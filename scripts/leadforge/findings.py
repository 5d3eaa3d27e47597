"""One ``Finding`` type for every scanner and rule (semgrep, checkov, secrets, criteria,
architecture, coverage, deploy policy).

A finding maps to an inline review comment when its lines are in the PR's diff,
to the review summary otherwise, and to SARIF for code scanning.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "note")
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


def normalize_code_line(line: str) -> str:
    """Whitespace-insensitive form of a source line, so re-indenting does not re-post a finding."""
    return re.sub(r"\s+", " ", line).strip()


def fingerprint_of(tool: str, rule: str, path: str, code_line: str) -> str:
    """tool + rule + path + normalized code line: stable when the line moves up or down."""
    key = "\x1f".join((tool, rule, path, normalize_code_line(code_line)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Finding:
    tool: str  # semgrep | checkov | secrets | criteria | architecture | coverage | policy | ...
    rule: str  # the tool's rule id (e.g. CKV_AWS_20, python.lang.security.eval)
    severity: str  # error | warning | note
    path: str  # repository-relative, forward slashes ("" for PR-level findings)
    line: int = 0  # 1-based start line; 0 when the finding is about the whole file or PR
    end_line: int = 0
    message: str = ""
    help: str = ""  # help URL or fix hint
    code_line: str = field(default="", repr=False, compare=False)  # the source line, for the fingerprint only (never a secret)
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if self.severity not in _SEVERITY_RANK:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        if not self.end_line and self.line:
            object.__setattr__(self, "end_line", self.line)
        if not self.fingerprint:
            anchor = self.code_line or f"{self.message}"
            object.__setattr__(self, "fingerprint", fingerprint_of(self.tool, self.rule, self.path, anchor))

    @property
    def rank(self) -> int:
        """0 for error, 1 for warning, 2 for note: sort key, most severe first."""
        return _SEVERITY_RANK[self.severity]

    def at_least(self, severity: str) -> bool:
        return self.rank <= _SEVERITY_RANK[severity]

    @property
    def location(self) -> str:
        """``path:line`` (or ``path``, or ``(pull request)``) for logs and summaries."""
        if not self.path:
            return "(pull request)"
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}" if self.end_line == self.line else f"{self.path}:{self.line}-{self.end_line}"

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON/artifacts. ``code_line`` is left out: it may hold a secret."""
        return {
            "tool": self.tool,
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "message": self.message,
            "help": self.help,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The inverse of ``to_dict``; raises ``ValueError`` naming the bad field (artifacts are untrusted)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a finding must be an object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for name, kind, default in _FIELDS:
            value = data.get(name, default)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"finding field {name!r} must be {kind.__name__}, got {type(value).__name__}")
            if isinstance(value, str) and len(value) > _MAX_TEXT:
                value = value[:_MAX_TEXT] + "…"
            values[name] = value
        if values["line"] < 0 or values["end_line"] < 0:
            raise ValueError("finding lines must be >= 0")
        if values["fingerprint"] and not re.fullmatch(r"[0-9a-f]{8,64}", values["fingerprint"]):
            raise ValueError("finding fingerprint must be hex")
        return cls(**values)


_MAX_TEXT = 4000
_FIELDS: tuple[tuple[str, type, Any], ...] = (
    ("tool", str, None),
    ("rule", str, None),
    ("severity", str, None),
    ("path", str, ""),
    ("line", int, 0),
    ("end_line", int, 0),
    ("message", str, ""),
    ("help", str, ""),
    ("fingerprint", str, ""),
)


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.rank, f.path, f.line, f.tool, f.rule))
