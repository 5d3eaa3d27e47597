"""Our own workflow rules, in pure Python (zizmor and the JSON schemas cover the rest).

Each check takes the workflow's (or a composite action's ``action.yml``) text and returns findings as
``"<file>:<line>: <what is wrong>"`` strings (empty list = clean), so a test failure names the file and line to fix:

* ``check_permissions``: a top-level ``permissions:`` key (``{}`` or least privilege). Workflows only.
* ``check_pins``: every ``uses:`` is ``owner/repo@<40-hex SHA> # vX.Y.Z`` with a pair from
  ``tests/workflows/pins.py`` (local ``./`` and self-repository ``$/`` references are fine, ``$/`` without an
  ``@ref``; a reusable workflow of another repository needs a full SHA; ``docker://`` needs an ``@sha256:`` digest).
* ``check_untrusted_in_run``: no ``${{ }}`` in ``run:`` (or ``actions/github-script``'s ``script:``)
  reading attacker-controlled values (``github.event.*``, ``github.head_ref``, ``inputs.*``): pass
  them through ``env:`` and use ``"$VAR"``.
* ``check_no_pr_head_checkout``: in workflows triggered by ``pull_request_target`` or ``workflow_run``
  (which run with secrets and a write token), no checkout of the PR's head code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.harness.runner import parse_yaml
from tests.workflows.pins import PINS

__all__ = ["check_all", "check_no_pr_head_checkout", "check_permissions", "check_pins", "check_untrusted_in_run", "load"]

_USES_LINE = re.compile(r"""^\s*(?:-\s+)?uses:\s*(?P<q>['"]?)(?P<ref>[^\s'"#]+)(?P=q)\s*(?:#\s*(?P<comment>.*?))?\s*$""")
_SHA = re.compile(r"[0-9a-f]{40}")
_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_UNTRUSTED = re.compile(
    r"\bgithub\s*\.\s*event\b|\bgithub\s*\.\s*head_ref\b|\binputs\s*\.|\bgithub\s*\[\s*'event'\s*\]|\bgithub\s*\[\s*'head_ref'\s*\]",
    re.IGNORECASE,
)
_HEAD_REF = re.compile(
    r"github\s*\.\s*event\s*\.\s*(pull_request\s*\.\s*head|workflow_run\s*\.\s*head_(sha|branch))|github\s*\.\s*head_ref|refs/pull/",
    re.IGNORECASE,
)
_SCRIPT_FETCH = re.compile(
    r"gh\s+pr\s+checkout|git\s+fetch\b[^\n]*\bpull/|git\s+checkout\b[^\n]*\$\{\{\s*github\.(event\.pull_request\.head|head_ref)",
    re.IGNORECASE,
)


def load(text: str) -> dict[str, Any]:
    doc = parse_yaml(text)
    if not isinstance(doc, dict):
        raise ValueError("a workflow must be a YAML mapping")
    return doc


def _line_of(text: str, needle: str, start: int = 0) -> int:
    index = text.find(needle, start)
    return text.count("\n", 0, index) + 1 if index >= 0 else 0


def check_permissions(name: str, text: str) -> list[str]:
    doc = load(text)
    if "permissions" not in doc:
        return [f"{name}:1: no top-level 'permissions:' (start from 'permissions: {{}}' and grant per job)"]
    top = doc["permissions"]
    writes = sorted(k for k, v in top.items() if v == "write") if isinstance(top, dict) else []
    if top == "write-all" or writes:
        granted = "write-all" if top == "write-all" else ", ".join(f"{k}: write" for k in writes)
        return [
            (
                f"{name}:{_line_of(text, 'permissions:')}: top-level permissions grant {granted}: "
                "grant write only to the job that needs it"
            )
        ]
    return []


def _all_uses(doc: dict[str, Any]) -> list[str]:
    found = [str(s["uses"]) for s in ((doc.get("runs") or {}).get("steps") or []) if isinstance(s, dict) and s.get("uses")]
    for job in (doc.get("jobs") or {}).values():
        if isinstance(job, dict):
            if job.get("uses"):
                found.append(str(job["uses"]))
            for step in job.get("steps") or []:
                if isinstance(step, dict) and step.get("uses"):
                    found.append(str(step["uses"]))
    return found


def check_pins(name: str, text: str) -> list[str]:
    findings: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = _USES_LINE.match(line)
        if not match:
            continue
        ref = match.group("ref")
        seen.add(ref)
        comment = (match.group("comment") or "").strip()
        if ref.startswith("./"):
            continue
        if ref.startswith("$/"):
            if "@" in ref:
                findings.append(
                    f"{name}:{number}: {ref}: a self-repository ($/) reference takes no @ref (it is the running commit)"
                )
            continue
        if ref.startswith("docker://"):
            if "@sha256:" not in ref:
                findings.append(f"{name}:{number}: {ref} is not pinned to an image digest (@sha256:...)")
            continue
        action, _, version = ref.partition("@")
        if "/.github/workflows/" in action:  # a reusable workflow in another repository
            if not _SHA.fullmatch(version):
                findings.append(f"{name}:{number}: reusable workflow {ref} is not pinned to a full commit SHA")
            continue
        if not _SHA.fullmatch(version):
            findings.append(f"{name}:{number}: {ref} is not pinned to a full 40-hex commit SHA (see tests/workflows/pins.py)")
            continue
        pin = PINS.get(action)
        if pin is None:
            findings.append(
                f"{name}:{number}: {action} is not in tests/workflows/pins.py (add it there with its SHA and version)"
            )
        elif pin.sha != version:
            findings.append(f"{name}:{number}: {action}@{version} differs from the pinned {pin.sha} # {pin.version}")
        elif comment.split()[:1] != [pin.version]:
            findings.append(
                f"{name}:{number}: {action} needs the version comment '# {pin.version}' (found {comment or 'none'!r})"
            )
    for ref in _all_uses(load(text)):
        if ref not in seen:
            findings.append(
                f"{name}:{_line_of(text, ref)}: 'uses: {ref}' is written in a form the pin check cannot read: "
                "use one line 'uses: owner/repo@<sha> # vX.Y.Z'"
            )
    return findings


def _steps(doc: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    """Every step: ``(job id, index, step)``; a composite action's steps come as job ``runs``."""
    out = [("runs", i, s) for i, s in enumerate((doc.get("runs") or {}).get("steps") or []) if isinstance(s, dict)]
    for job_id, job in (doc.get("jobs") or {}).items():
        if isinstance(job, dict):
            for index, step in enumerate(job.get("steps") or []):
                if isinstance(step, dict):
                    out.append((str(job_id), index, step))
    return out


def check_untrusted_in_run(name: str, text: str) -> list[str]:
    findings: list[str] = []
    doc = load(text)
    for job_id, index, step in _steps(doc):
        scripts: list[tuple[str, str]] = []
        if isinstance(step.get("run"), str):
            scripts.append(("run", step["run"]))
        uses = str(step.get("uses") or "")
        if uses.startswith("actions/github-script@") and isinstance((step.get("with") or {}).get("script"), str):
            scripts.append(("with.script", step["with"]["script"]))
        for field, script in scripts:
            first = next((ln.strip() for ln in script.splitlines() if ln.strip()), "")
            anchor = max(text.find(first), 0)
            for match in _EXPR.finditer(script):
                expression = match.group(1).strip()
                if _UNTRUSTED.search(expression):
                    line = _line_of(text, match.group(0), anchor)
                    findings.append(
                        f"{name}:{line}: jobs.{job_id}.steps[{index}].{field} expands '${{{{ {expression} }}}}' into the script: "
                        'pass it through env: and use "$VAR"'
                    )
    return findings


def check_no_pr_head_checkout(name: str, text: str) -> list[str]:
    doc = load(text)
    on = doc.get("on")
    triggers = {on} if isinstance(on, str) else set(on or [])
    risky = triggers & {"pull_request_target", "workflow_run"}
    if not risky:
        return []
    findings: list[str] = []
    for job_id, index, step in _steps(doc):
        uses = str(step.get("uses") or "")
        if uses.startswith("actions/checkout@"):
            with_ = step.get("with") or {}
            for key in ("ref", "repository"):
                value = str(with_.get(key) or "")
                if _HEAD_REF.search(value) or (key == "repository" and "github.event" in value):
                    line = _line_of(text, value)
                    findings.append(
                        f"{name}:{line}: jobs.{job_id}.steps[{index}] checks out PR head code ({key}: {value}) "
                        f"in a {'/'.join(sorted(risky))} workflow (it runs with secrets)"
                    )
        run = step.get("run")
        fetch = _SCRIPT_FETCH.search(run) if isinstance(run, str) else None
        if fetch is not None:
            line = _line_of(text, fetch.group(0))
            findings.append(
                f"{name}:{line}: jobs.{job_id}.steps[{index}] fetches PR head code in a {'/'.join(sorted(risky))} workflow"
            )
    return findings


def check_all(path: Path, name: str | None = None) -> list[str]:
    """Every rule over one workflow (or composite action) file; ``name`` is how findings refer to it (default: the path)."""
    text = path.read_text(encoding="utf-8")
    name = name or path.as_posix()
    if "runs" in load(text) and "jobs" not in load(text):  # an action: no triggers, no token of its own
        return [*check_pins(name, text), *check_untrusted_in_run(name, text)]
    return [
        *check_permissions(name, text),
        *check_pins(name, text),
        *check_untrusted_in_run(name, text),
        *check_no_pr_head_checkout(name, text),
    ]
