"""One ``Finding`` type for every scanner and rule (semgrep, checkov, secrets, criteria,
architecture, coverage, deploy policy).

A finding maps to an inline review comment when its lines are in the PR's diff,
to the review summary otherwise, and to SARIF for code scanning.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

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
    code_line: str = field(default="", repr=False)  # the source line, for the fingerprint only (never a secret)
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if self.severity not in _SEVERITY_RANK:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        if not self.end_line and self.line:
            object.__setattr__(self, "end_line", self.line)
        if not self.fingerprint:
            anchor = self.code_line if self.code_line else f"{self.message}"
            object.__setattr__(self, "fingerprint", fingerprint_of(self.tool, self.rule, self.path, anchor))

    @property
    def rank(self) -> int:
        """0 for error, 1 for warning, 2 for note: sort key, most severe first."""
        return _SEVERITY_RANK[self.severity]

    def at_least(self, severity: str) -> bool:
        return self.rank <= _SEVERITY_RANK[severity]


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.rank, f.path, f.line, f.tool, f.rule))
