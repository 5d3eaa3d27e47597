"""Rendered diffs: objects keyed by kind/namespace/name, one unified diff per changed object.

Pure: rendered text in, ``EnvDiff`` records and Markdown out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from leadforge.deploy.manifests import ObjectKey, by_key, canonical_yaml, parse_objects

COMMENT_KEY = "deploy-diff"
MAX_COMMENT = 60000  # GitHub refuses comments over 65536 characters


@dataclass(frozen=True, slots=True)
class ObjectDiff:
    key: str
    status: str  # added | removed | changed
    diff: str


@dataclass(frozen=True, slots=True)
class EnvDiff:
    env: str
    objects: tuple[ObjectDiff, ...] = ()
    error: str = ""  # a side failed to render (the message), shown instead of a diff

    @property
    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for item in self.objects:
            counts[item.status] += 1
        return counts

    @property
    def text(self) -> str:
        return "".join(item.diff for item in self.objects)


def diff_objects(base: str | bytes | None, head: str | bytes | None, *, env: str = "") -> tuple[ObjectDiff, ...]:
    """Per-object unified diffs between two renders (None = the environment does not exist on that side)."""
    old = by_key(parse_objects(base, f"{env} (base)")) if base else {}
    new = by_key(parse_objects(head, f"{env} (head)")) if head else {}
    pairs = [(key if key in old else None, key if key in new else None) for key in set(old) | set(new)]
    pairs = pair_generated(pairs)
    result = []
    for a_key, b_key in sorted(pairs, key=lambda p: (p[1] or p[0]) or ObjectKey("", "", "")):
        a = canonical_yaml(old[a_key]) if a_key else ""
        b = canonical_yaml(new[b_key]) if b_key else ""
        if a == b:
            continue
        status = "added" if a_key is None else "removed" if b_key is None else "changed"
        lines = difflib.unified_diff(
            a.splitlines(keepends=True),
            b.splitlines(keepends=True),
            fromfile=f"a/{a_key}" if a_key else "/dev/null",
            tofile=f"b/{b_key}" if b_key else "/dev/null",
            n=3,
        )
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        result.append(ObjectDiff(str(b_key or a_key), status, text))
    return tuple(result)


_HASH_SUFFIX = re.compile(r"^(.*)-[a-z0-9]{10}$")
GENERATED_KINDS = ("ConfigMap", "Secret")


def pair_generated(pairs: list[tuple[ObjectKey | None, ObjectKey | None]]) -> list[tuple[ObjectKey | None, ObjectKey | None]]:
    """A generated ConfigMap/Secret changes its hash-suffixed name when its data changes: show that as one change."""

    def stem(key: ObjectKey) -> tuple[str, str, str] | None:
        match = _HASH_SUFFIX.match(key.name)
        return (key.kind, key.namespace, match[1]) if key.kind in GENERATED_KINDS and match else None

    removed = {stem(a): a for a, b in pairs if a and not b and stem(a)}
    added = {stem(b): b for a, b in pairs if b and not a and stem(b)}
    matched = {s for s in removed if s in added}
    kept = [(a, b) for a, b in pairs if not ((a and not b and stem(a) in matched) or (b and not a and stem(b) in matched))]
    return kept + [(removed[s], added[s]) for s in matched]


def summary_line(item: EnvDiff) -> str:
    if item.error:
        return f"{item.env}: render failed"
    c = item.counts
    if not item.objects:
        return f"{item.env}: no changes"
    parts = [f"{c[s]} {s}" for s in ("changed", "added", "removed") if c[s]]
    return f"{item.env}: {', '.join(parts)}"


def render_text(diffs: Sequence[EnvDiff]) -> str:
    out = []
    for item in diffs:
        out.append(f"# {summary_line(item)}\n")
        if item.error:
            out.append(f"# {item.error}\n")
        out.append(item.text)
    return "".join(out)


def render_comment(diffs: Sequence[EnvDiff], base: str, head: str, run_url: str = "") -> str:
    """The PR comment: one collapsible section per environment, truncated to fit GitHub's limit."""
    head_line = f"### Rendered manifests: `{_short(base)}` → `{_short(head)}`\n\n"
    if all(not d.objects and not d.error for d in diffs):
        return head_line + "No environment's rendered manifests change.\n"
    budget = MAX_COMMENT - len(head_line) - 400
    parts = [head_line]
    for item in diffs:
        summary = summary_line(item)
        if item.error:
            body = f"```\n{item.error}\n```"
        elif not item.objects:
            parts.append(f"- {summary}\n")
            continue
        else:
            text = item.text
            if len(text) > budget:
                cut = text[: max(budget, 0)]
                text = cut[: cut.rfind("\n") + 1] + "... (truncated; run `leadforge deploy diff` for the full diff)\n"
            budget -= len(text)
            body = f"```diff\n{text}```"
        parts.append(f"<details><summary><b>{summary}</b></summary>\n\n{body}\n\n</details>\n")
    if run_url:
        parts.append(f"\n[workflow run]({run_url})\n")
    return "".join(parts)


def _short(ref: str) -> str:
    return ref[:12] if re.fullmatch(r"[0-9a-f]{40}", ref) else ref


def touches(paths: Sequence[str], prefixes: Sequence[str]) -> bool:
    return any(path.startswith(prefix) for path in paths for prefix in prefixes)


def as_json(diffs: Sequence[EnvDiff]) -> dict[str, object]:
    return {
        d.env: {
            "error": d.error or None,
            **d.counts,
            "objects": [{"key": o.key, "status": o.status, "diff": o.diff} for o in d.objects],
        }
        for d in diffs
    }


def keyed(diffs: Sequence[EnvDiff]) -> Mapping[str, EnvDiff]:
    return {d.env: d for d in diffs}
