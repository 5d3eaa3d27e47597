"""Does a workflow's ``on:`` fire for an event? Types, branches, tags, paths, crons, workflow names.

Filter patterns follow GitHub's syntax: ``*`` (any characters but ``/``), ``**`` (any characters),
``?`` (zero or one of the preceding character), ``+`` (one or more of the preceding character),
``[...]`` (a character class) and ``!`` (negate; patterns are applied in order, the last match wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["DEFAULT_TYPES", "Decision", "filter_match", "normalize_on", "should_run"]

# GitHub's documented default activity types where they are not "all types".
DEFAULT_TYPES: dict[str, tuple[str, ...]] = {
    "pull_request": ("opened", "synchronize", "reopened"),
    "pull_request_target": ("opened", "synchronize", "reopened"),
}

_REF_EVENTS = {"push", "pull_request", "pull_request_target"}


@dataclass(frozen=True)
class Decision:
    """Whether the workflow runs, and why (``reason`` explains a miss in a test failure)."""

    runs: bool
    reason: str


def normalize_on(on: Any) -> dict[str, dict[str, Any]]:
    """``on:`` as ``{event: config}``; YAML 1.1 loads the key ``on`` as True, callers pass the value."""
    if on is None:
        return {}
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {str(event): {} for event in on}
    if isinstance(on, Mapping):
        return {str(event): dict(config) if isinstance(config, Mapping) else {} for event, config in on.items()}
    raise ValueError(f"unsupported 'on:' value {on!r}")


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char in "?+" and out:
            out.append(char)  # applies to the preceding character, as in a regex
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                out.append("[" + pattern[i + 1 : end].replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def filter_match(patterns: Sequence[str], value: str) -> bool:
    """Ordered include/``!``exclude patterns: the last pattern that matches decides."""
    matched = False
    for raw in patterns:
        raw = str(raw)
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        if _compile(pattern).match(value):
            matched = not negate
    return matched


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _check_filter(config: Mapping[str, Any], key: str, value: str) -> str | None:
    """None when ``value`` passes ``key``/``key-ignore``; else why not."""
    if key in config and not filter_match(_as_list(config[key]), value):
        return f"{value!r} does not match {key}: {_as_list(config[key])}"
    ignore = f"{key}-ignore"
    if ignore in config and filter_match(_as_list(config[ignore]), value):
        return f"{value!r} matches {ignore}: {_as_list(config[ignore])}"
    return None


def _check_paths(config: Mapping[str, Any], changed: Iterable[str] | None) -> str | None:
    if "paths" not in config and "paths-ignore" not in config:
        return None
    if changed is None:
        return None  # unknown change set: treated as matching (documented)
    files = list(changed)
    if "paths" in config:
        patterns = _as_list(config["paths"])
        if not any(filter_match(patterns, path) for path in files):
            return f"no changed file matches paths: {patterns} (changed: {files})"
    if "paths-ignore" in config:
        patterns = _as_list(config["paths-ignore"])
        if files and all(filter_match(patterns, path) for path in files):
            return f"every changed file matches paths-ignore: {patterns}"
    return None


def should_run(
    on: Any,
    event: str,
    payload: Mapping[str, Any],
    *,
    changed_files: Iterable[str] | None = None,
) -> Decision:
    """Would GitHub start this workflow for ``event`` with ``payload``?

    ``changed_files`` feeds ``paths``/``paths-ignore``; when it is None, push events use the payload's
    commit lists and other events treat path filters as matching.
    """
    triggers = normalize_on(on)
    if event not in triggers:
        return Decision(False, f"workflow has no '{event}' trigger (has: {sorted(triggers)})")
    config = triggers[event]

    action = payload.get("action")
    types = _as_list(config.get("types")) or list(DEFAULT_TYPES.get(event, ()))
    if types and event not in ("workflow_dispatch", "schedule"):
        if action is None:
            return Decision(False, f"payload has no 'action' to match types: {types}")
        if str(action) not in types:
            return Decision(False, f"action {action!r} not in types: {types}")

    if event == "push":
        ref = str(payload.get("ref", ""))
        has_branch = "branches" in config or "branches-ignore" in config
        has_tag = "tags" in config or "tags-ignore" in config
        if ref.startswith("refs/tags/"):
            tag = ref[len("refs/tags/") :]
            if has_branch and not has_tag:
                return Decision(False, f"tag push {tag!r} but only branch filters are set")
            why = _check_filter(config, "tags", tag)
            if why:
                return Decision(False, why)
        else:
            branch = ref.removeprefix("refs/heads/")
            if has_tag and not has_branch:
                return Decision(False, f"branch push {branch!r} but only tag filters are set")
            why = _check_filter(config, "branches", branch)
            if why:
                return Decision(False, why)
        if changed_files is None:
            changed: set[str] = set()
            for commit in payload.get("commits") or []:
                for key in ("added", "modified", "removed"):
                    changed.update(commit.get(key) or [])
            changed_files = sorted(changed)
        why = _check_paths(config, changed_files)
        if why:
            return Decision(False, why)
    elif event in ("pull_request", "pull_request_target"):
        base = str(((payload.get("pull_request") or {}).get("base") or {}).get("ref", ""))
        why = _check_filter(config, "branches", base)
        if why:
            return Decision(False, why)
        why = _check_paths(config, changed_files)
        if why:
            return Decision(False, why)
    elif event == "workflow_run":
        run = payload.get("workflow_run") or {}
        name = str(run.get("name") or (payload.get("workflow") or {}).get("name", ""))
        workflows = _as_list(config.get("workflows"))
        if workflows and not filter_match(workflows, name):
            return Decision(False, f"workflow_run of {name!r} not in workflows: {workflows}")
        why = _check_filter(config, "branches", str(run.get("head_branch", "")))
        if why:
            return Decision(False, why)
    elif event == "schedule":
        crons = [
            str(entry.get("cron"))
            for entry in (on.get("schedule") if isinstance(on, Mapping) else None) or []
            if isinstance(entry, Mapping)
        ]
        cron = payload.get("schedule")
        if crons and cron not in crons:
            return Decision(False, f"schedule {cron!r} is not one of the workflow's crons {crons}")
    return Decision(True, f"'{event}' trigger matches")
