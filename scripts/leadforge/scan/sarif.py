"""SARIF 2.1.0 in and out.

``parse`` turns any tool's SARIF into ``Finding``s (semgrep speaks it natively; other tools'
SARIF can be fed to ``leadforge review --sarif``). ``render`` writes our findings as one SARIF
log for GitHub code scanning, one run per tool, with our fingerprint as a partial fingerprint
so code scanning tracks an alert across line moves the way the review does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from leadforge import __version__
from leadforge.errors import InputError
from leadforge.findings import Finding, sort_findings

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "leadforgeFingerprint/v1"
_LEVELS = {"error": "error", "warning": "warning", "note": "note", "none": "note"}
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "note": "2.0"}
# Sources whose "scanner" is LeadForge itself: their rules' version is ours.
OWN_TOOLS = frozenset({"criteria", "architecture", "coverage", "policy"})


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule as its tool describes it (SARIF ``tool.driver.rules``): its own title, never a finding's text."""

    tool: str
    id: str
    title: str
    description: str = ""
    help_uri: str = ""


def title_of(template: str, limit: int = 200) -> str:
    """A rule's title from its message template: the first sentence, on one line, at most ``limit`` characters."""
    text = re.sub(r"\s+", " ", template or "").strip()
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def describe(text: str, *, tool: str, rule_prefixes: Iterable[str] = ()) -> tuple[list[RuleInfo], str]:
    """The rules a SARIF log declares (title from the rule's message template, ``fullDescription``) and its
    tool's ``semanticVersion``; ([], "") for what is not SARIF (``parse`` reports that)."""
    try:
        log = json.loads(text)
    except json.JSONDecodeError:
        return [], ""
    prefixes = tuple(rule_prefixes)
    infos: list[RuleInfo] = []
    version = ""
    for run in log.get("runs") or [] if isinstance(log, dict) else []:
        driver = ((run or {}).get("tool") or {}).get("driver") or {} if isinstance(run, dict) else {}
        if not isinstance(driver, dict):
            continue
        version = version or str(driver.get("semanticVersion") or driver.get("version") or "")
        for rule in driver.get("rules") or []:
            if not isinstance(rule, dict) or not isinstance(rule.get("id"), str):
                continue
            template = (
                (rule.get("fullDescription") or {}).get("text")
                or (rule.get("shortDescription") or {}).get("text")
                or rule.get("name")
                or rule["id"]
            )
            rule_id = strip_rule_prefix(rule["id"], prefixes)
            infos.append(RuleInfo(tool, rule_id, title_of(str(template)), str(template), str(rule.get("helpUri") or "")))
    return infos, version


class SarifError(InputError):
    """The SARIF text is not valid JSON or not shaped like SARIF 2.1.0."""


def _relative(uri: str, roots: Sequence[str]) -> str:
    """A repository-relative path from a SARIF ``artifactLocation.uri`` (relative, or file:// absolute)."""
    if uri.startswith("file://"):
        uri = unquote(urlparse(uri).path)
    path = uri.replace("\\", "/")
    for root in roots:
        root = root.rstrip("/") + "/"
        if path.startswith(root):
            return path[len(root) :]
    while path.startswith("./"):
        path = path[2:]
    return path


def strip_rule_prefix(rule_id: str, prefixes: Iterable[str]) -> str:
    """semgrep prefixes local rule ids with the dotted path of their config folder: drop it."""
    best = ""
    for prefix in prefixes:
        if prefix and rule_id.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return rule_id[len(best) :] if best else rule_id


def parse(
    text: str,
    *,
    source: str = "SARIF",
    tool: str | None = None,
    roots: Sequence[str] = (),
    rule_prefixes: Iterable[str] = (),
    read_line: Callable[[str, int], str] | None = None,
) -> list[Finding]:
    """Findings from a SARIF log. ``tool`` overrides the driver name; ``roots`` are absolute
    folders to strip from absolute URIs; ``read_line(path, line)`` supplies the code line for
    the fingerprint when the log has no snippet. Raises ``SarifError`` naming ``source``."""
    try:
        log = json.loads(text)
    except json.JSONDecodeError as err:
        raise SarifError(f"{source}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    if not isinstance(log, dict) or not isinstance(log.get("runs"), list):
        raise SarifError(f"{source}: not a SARIF log (no 'runs' list)")
    prefixes = tuple(rule_prefixes)
    findings: list[Finding] = []
    for r, run in enumerate(log["runs"]):
        if not isinstance(run, dict):
            raise SarifError(f"{source}: runs[{r}] is not an object")
        tool_obj = run.get("tool") or {}
        driver = tool_obj.get("driver") or {} if isinstance(tool_obj, dict) else None
        if not isinstance(driver, dict):
            raise SarifError(f"{source}: runs[{r}].tool.driver is not an object")
        name = tool or str(driver.get("name") or "sarif").lower()
        rules = {}
        declared = driver.get("rules") or []
        if not isinstance(declared, list):
            raise SarifError(f"{source}: runs[{r}].tool.driver.rules is not a list")
        for rule in declared:
            if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                rules[rule["id"]] = rule
        results = run.get("results")
        results = [] if results is None else results
        if not isinstance(results, list):
            raise SarifError(f"{source}: runs[{r}].results is not a list")
        for i, result in enumerate(results):
            if _suppressed(result):
                continue  # `# nosemgrep` and the like: the author silenced it in the source, with a reason
            try:
                findings.append(_finding(result, rules, name, roots, prefixes, read_line))
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                raise SarifError(f"{source}: runs[{r}].results[{i}] is malformed ({type(err).__name__}: {err})") from None
        findings += _notified(run, name, prefixes)
    return findings


def _notified(run: Mapping[str, Any], tool: str, prefixes: tuple[str, ...]) -> list[Finding]:
    """Findings without a place that ``render`` wrote as tool notifications (they carry our fingerprint);
    other tools' notifications are about the run, not findings."""
    found = []
    for invocation in run.get("invocations") or []:
        for note in (invocation or {}).get("toolExecutionNotifications") or [] if isinstance(invocation, dict) else []:
            props = (note or {}).get("properties") or {} if isinstance(note, dict) else {}
            fingerprint = props.get(FINGERPRINT_KEY) if isinstance(props, dict) else None
            if not isinstance(fingerprint, str) or not fingerprint.isalnum():
                continue
            rule = str(((note.get("associatedRule") or {}).get("id")) or "unknown")
            found.append(
                Finding(
                    tool=tool,
                    rule=strip_rule_prefix(rule, prefixes),
                    severity=_LEVELS.get(str(note.get("level")), "warning"),
                    path="",
                    message=str((note.get("message") or {}).get("text") or rule).strip(),
                    help=str(props.get("help") or ""),
                    fingerprint=fingerprint,
                )
            )
    return found


def _suppressed(result: Any) -> bool:
    """SARIF marks in-source suppressions (``# nosemgrep``) instead of dropping the result."""
    if not isinstance(result, dict):
        return False
    return any(isinstance(s, dict) and s.get("status", "accepted") == "accepted" for s in result.get("suppressions") or [])


def _finding(
    result: dict[str, Any],
    rules: dict[str, Any],
    tool: str,
    roots: Sequence[str],
    prefixes: tuple[str, ...],
    read_line: Callable[[str, int], str] | None,
) -> Finding:
    raw_id = result.get("ruleId") or (result.get("rule") or {}).get("id") or "unknown"
    rule = rules.get(raw_id, {})
    level = result.get("level") or (rule.get("defaultConfiguration") or {}).get("level") or "warning"
    severity = _LEVELS.get(level, "warning")
    message = (result.get("message") or {}).get("text") or (rule.get("shortDescription") or {}).get("text") or raw_id
    path, line, end_line, snippet = "", 0, 0, ""
    locations = result.get("locations") or []
    if locations:
        physical = locations[0].get("physicalLocation") or {}
        uri = (physical.get("artifactLocation") or {}).get("uri") or ""
        path = _relative(uri, roots)
        region = physical.get("region") or {}
        line = int(region.get("startLine") or 0)
        end_line = int(region.get("endLine") or line)
        first = ((region.get("snippet") or {}).get("text") or "").splitlines()[0:1]
        snippet = first[0] if first else ""
    if not snippet and read_line and path and line:
        snippet = read_line(path, line)
    help_text = rule.get("helpUri") or ""
    fingerprint = ((result.get("partialFingerprints") or {}).get(FINGERPRINT_KEY)) or ""
    return Finding(
        tool=tool,
        rule=strip_rule_prefix(str(raw_id), prefixes),
        severity=severity,
        path=path,
        line=max(line, 0),
        end_line=max(end_line, line, 0),
        message=str(message).strip(),
        help=str(help_text),
        code_line=snippet,
        fingerprint=fingerprint if isinstance(fingerprint, str) and fingerprint.isalnum() else "",
    )


def render(
    findings: Iterable[Finding],
    *,
    category: str = "leadforge",
    tools: Iterable[str] = (),
    rules: Iterable[RuleInfo] = (),
    versions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One SARIF log, one run per tool (tools with no findings still get an empty run).

    Each rule's ``shortDescription`` is the rule's own title from ``rules`` (checkov's check name,
    semgrep's message template), else its id: never one finding's message, which would name one
    resource for every alert of the rule. ``driver.semanticVersion`` is the scanner's own version
    (``versions``), omitted when unknown. A finding without a file goes to the run's tool
    notifications: code scanning refuses a result without a location."""
    known = {(info.tool, info.id): info for info in rules}
    versions = dict(versions or {})
    by_tool: dict[str, list[Finding]] = {name: [] for name in tools}
    for finding in sort_findings(findings):
        by_tool.setdefault(finding.tool, []).append(finding)
    runs = []
    for name in sorted(by_tool):
        items = by_tool[name]
        rule_ids = sorted({f.rule for f in items})
        entries = []
        for rule_id in rule_ids:
            sample = next(f for f in items if f.rule == rule_id)
            info = known.get((name, rule_id))
            entry: dict[str, Any] = {
                "id": rule_id,
                "name": rule_id,
                "shortDescription": {"text": info.title if info and info.title else rule_id},
                "defaultConfiguration": {"level": _LEVELS[sample.severity]},
                "properties": {"security-severity": _SECURITY_SEVERITY[sample.severity], "tags": ["security", name]},
            }
            if info and info.description and info.description != info.title:
                entry["fullDescription"] = {"text": info.description}
            help_uri = (info.help_uri if info else "") or (sample.help if sample.help.startswith(("http://", "https://")) else "")
            if help_uri:
                entry["helpUri"] = help_uri
            if sample.help and not sample.help.startswith(("http://", "https://")):
                entry["help"] = {"text": sample.help}
            entries.append(entry)
        results, notifications = [], []
        for f in items:
            if not f.path:
                notifications.append(
                    {
                        "level": _LEVELS[f.severity],
                        "message": {"text": f.message or f.rule},
                        "associatedRule": {"id": f.rule, "index": rule_ids.index(f.rule)},
                        "properties": {FINGERPRINT_KEY: f.fingerprint, **({"help": f.help} if f.help else {})},
                    }
                )
                continue
            location: dict[str, Any] = {"artifactLocation": {"uri": PurePosixPath(f.path).as_posix(), "uriBaseId": "%SRCROOT%"}}
            if f.line:
                location["region"] = {"startLine": f.line, "endLine": max(f.end_line, f.line)}
            results.append(
                {
                    "ruleId": f.rule,
                    "ruleIndex": rule_ids.index(f.rule),
                    "level": _LEVELS[f.severity],
                    "message": {"text": f.message or f.rule},
                    "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
                    "locations": [{"physicalLocation": location}],
                }
            )
        driver: dict[str, Any] = {"name": name, "rules": entries}
        version = versions.get(name) or (__version__ if name in OWN_TOOLS else "")
        if version:
            driver["semanticVersion"] = version
        run: dict[str, Any] = {"tool": {"driver": driver}, "automationDetails": {"id": f"{category}/{name}/"}, "results": results}
        if notifications:
            run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": notifications}]
        runs.append(run)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
