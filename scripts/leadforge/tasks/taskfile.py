"""A task file: Markdown with YAML front matter under ``docs/TASKS/queue/<state>/<id>.md``.

The folder is the state. This module is the one place that reads and writes the
format; everything else works on ``Task`` records. Parsing is strict: a bad key
or value raises ``InputError`` naming the file and the key, and the file is left
untouched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from leadforge.errors import InputError

QUEUE_DIR = Path("docs/TASKS/queue")
STATES = ("pending", "in-progress", "completed")
PRIORITIES = ("P0", "P1", "P2", "P3")
TYPES = ("feature", "bug", "refactor", "docs", "test", "chore", "security")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# Keys in the order they are written, so diffs of task files stay small and readable.
KEY_ORDER = (
    "id",
    "title",
    "issue",
    "priority",
    "type",
    "agent",
    "depends_on",
    "scope",
    "acceptance",
    "estimate_hours",
    "created",
    "not_before",
    "assigned_to",
    "assigned_at",
    "branch",
    "pr",
    "heartbeat_at",
    "completed_at",
    "blocked_reason",
    "cost",
    "from_template",
    "findings",
    "history",
)
COST_KEYS = ("usd", "tokens_in", "tokens_out", "requests")
_KNOWN = frozenset(KEY_ORDER)

try:  # the C loader is ~10x faster; the queue may hold tens of thousands of files
    _Loader: Any = yaml.CSafeLoader
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader, _Dumper = yaml.SafeLoader, yaml.SafeDumper


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: str
    # queued | assigned | handoff | heartbeat | stale-warning | requeued | verified | completed |
    # verification-failed | blocked ...
    event: str
    by: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        data = {"at": self.at, "event": self.event, "by": self.by}
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class Cost:
    """What a task's work cost, summed over every report (``cost:`` in the front matter)."""

    usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    requests: int = 0

    def plus(self, other: Cost) -> Cost:
        return Cost(
            round(self.usd + other.usd, 6),
            self.tokens_in + other.tokens_in,
            self.tokens_out + other.tokens_out,
            self.requests + other.requests,
        )

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    def is_zero(self) -> bool:
        return not (self.usd or self.tokens_in or self.tokens_out or self.requests)

    def to_dict(self) -> dict[str, float | int]:
        return {"usd": round(self.usd, 6), "tokens_in": self.tokens_in, "tokens_out": self.tokens_out, "requests": self.requests}


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    title: str
    state: str = "pending"  # the folder it lives in; not written into the file
    issue: int | None = None
    priority: str = "P2"
    type: str = "feature"
    agent: str = "auto"
    depends_on: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    acceptance: tuple[str, ...] = ()
    estimate_hours: float | None = None
    created: str = ""
    not_before: str | None = None  # not dispatched before this time
    assigned_to: str | None = None
    assigned_at: str | None = None
    branch: str | None = None
    pr: int | None = None
    heartbeat_at: str | None = None
    completed_at: str | None = None
    blocked_reason: str | None = None
    cost: Cost | None = None  # summed over the cost reports (history ``cost`` events)
    from_template: str | None = None  # the recurring template this task was made from
    findings: tuple[str, ...] = ()  # fingerprints of the scan findings this task fixes
    history: tuple[HistoryEntry, ...] = ()
    body: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)  # unknown keys are kept, never dropped

    @property
    def filename(self) -> str:
        return f"{self.id}.md"

    def relpath(self, state: str | None = None) -> Path:
        return QUEUE_DIR / (state or self.state) / self.filename

    def with_event(self, event: str, *, at: str, by: str = "", note: str = "", **changes: Any) -> Task:
        """A copy with ``changes`` applied and one history entry appended (history is append-only)."""
        return replace(self, history=(*self.history, HistoryEntry(at, event, by, note)), **changes)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parse_timestamp(value: str | None) -> datetime | None:
    """ISO 8601 (``Z`` allowed) to an aware datetime; None for empty or unparseable values."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))  # noqa: FURB162 - also reads "2026-01-01Z", which fromisoformat alone refuses
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_front_matter(text: str, source: str) -> tuple[str, str]:
    if not text.startswith("---"):
        raise InputError(f"{source}: no YAML front matter (the file must start with a '---' line)")
    end = text.find("\n---", 3)
    if end < 0:
        raise InputError(f"{source}: front matter is not closed by a '---' line")
    after = text.find("\n", end + 4)
    body = "" if after < 0 else text[after + 1 :]
    return text[3:end], body.lstrip("\n")


def _str_list(data: Mapping[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, (str, int)):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise InputError(f"{source}: '{key}' must be a list of strings")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _opt_int(data: Mapping[str, Any], key: str, source: str) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).lstrip("#").isdigit():
        raise InputError(f"{source}: '{key}' must be a number, got {value!r}")
    return int(str(value).lstrip("#"))


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None or value == "" else _timestamp(value)


def _cost(value: Any, source: str) -> Cost | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError(f"{source}: 'cost' must be a mapping of {', '.join(COST_KEYS)}")
    unknown = sorted(set(value) - set(COST_KEYS))
    if unknown:
        raise InputError(f"{source}: 'cost.{unknown[0]}': unknown key (use {', '.join(COST_KEYS)})")
    numbers: dict[str, float] = {}
    for key in COST_KEYS:
        number = value.get(key, 0) or 0
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number) or number < 0:
            raise InputError(f"{source}: 'cost.{key}' must be a non-negative number, got {number!r}")
        if key != "usd" and not float(number).is_integer():
            raise InputError(f"{source}: 'cost.{key}' must be a whole number, got {number!r}")
        numbers[key] = number
    return Cost(float(numbers["usd"]), int(numbers["tokens_in"]), int(numbers["tokens_out"]), int(numbers["requests"]))


def task_from_mapping(data: Any, *, state: str, body: str = "", source: str) -> Task:
    """Validate front-matter data into a ``Task``; errors name ``source`` and the key."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: front matter must be a mapping of keys")
    task_id = data.get("id")
    if not isinstance(task_id, str) or not ID_RE.match(task_id):
        raise InputError(f"{source}: 'id' must match [a-z0-9-]+, got {task_id!r}")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InputError(f"{source}: 'title' is required")
    priority = str(data.get("priority", "P2")).upper()
    if priority not in PRIORITIES:
        raise InputError(f"{source}: 'priority' must be one of {', '.join(PRIORITIES)}, got {data.get('priority')!r}")
    kind = str(data.get("type", "feature")).lower()
    if kind not in TYPES:
        raise InputError(f"{source}: 'type' must be one of {', '.join(TYPES)}, got {data.get('type')!r}")
    agent = data.get("agent") or "auto"
    if not isinstance(agent, str):
        raise InputError(f"{source}: 'agent' must be 'auto' or a profile name")
    estimate = data.get("estimate_hours")
    if estimate is not None and (
        isinstance(estimate, bool) or not isinstance(estimate, (int, float)) or not math.isfinite(estimate) or estimate < 0
    ):
        raise InputError(f"{source}: 'estimate_hours' must be a non-negative number, got {estimate!r}")
    cost = _cost(data.get("cost"), source)
    not_before = _opt_str(data, "not_before")
    if not_before is not None and parse_timestamp(not_before) is None:
        raise InputError(f"{source}: 'not_before' must be an ISO 8601 time, got {data.get('not_before')!r}")
    history_raw = data.get("history") or []
    if not isinstance(history_raw, list):
        raise InputError(f"{source}: 'history' must be a list of {{at, event, by, note}}")
    history = []
    for index, item in enumerate(history_raw):
        if not isinstance(item, dict) or "event" not in item:
            raise InputError(f"{source}: 'history[{index}]' must be a mapping with 'at' and 'event'")
        history.append(
            HistoryEntry(
                at=_timestamp(item.get("at", "")),
                event=str(item["event"]),
                by=str(item.get("by") or ""),
                note=str(item.get("note") or ""),
            )
        )
    depends = tuple(d if not d.isdigit() else f"task-{d}" for d in (x.lstrip("#") for x in _str_list(data, "depends_on", source)))
    scope = _str_list(data, "scope", source)
    for glob in scope:
        if glob.startswith("/") or ".." in glob.split("/"):
            raise InputError(f"{source}: 'scope' globs must be relative to the repository root, got {glob!r}")
    return Task(
        id=task_id,
        title=title.strip(),
        state=state,
        issue=_opt_int(data, "issue", source),
        priority=priority,
        type=kind,
        agent=agent.strip(),
        depends_on=depends,
        scope=scope,
        acceptance=_str_list(data, "acceptance", source),
        estimate_hours=float(estimate) if estimate is not None else None,
        created=_opt_str(data, "created") or "",
        not_before=not_before,
        assigned_to=_opt_str(data, "assigned_to"),
        assigned_at=_opt_str(data, "assigned_at"),
        branch=_opt_str(data, "branch"),
        pr=_opt_int(data, "pr", source),
        heartbeat_at=_opt_str(data, "heartbeat_at"),
        completed_at=_opt_str(data, "completed_at"),
        blocked_reason=_opt_str(data, "blocked_reason"),
        cost=cost,
        from_template=_opt_str(data, "from_template"),
        findings=_str_list(data, "findings", source),
        history=tuple(history),
        body=body,
        extra={k: v for k, v in data.items() if k not in _KNOWN},
    )


# ---- a fast reader for the front matter this module writes ------------------------------------------
# yaml.load costs ~80 us per small document even with the C loader (the Python constructor dominates);
# a queue of 10,000 files would spend most of a dispatch there. The pipeline writes front matter in one
# narrow shape (block lists, one-line scalars), which this reader handles line by line. It returns None
# for anything outside that shape -- multi-line or escaped strings, comments, anchors, tags, nested
# mappings, timestamps, octal-looking numbers -- and the caller falls back to yaml, so the result is
# always exactly what yaml.load would give (tests/tasks/test_taskfile.py compares the two).

_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$")
_ITEM_LINE = re.compile(r"( *)- (.*)$")
_PLAIN_BAD = re.compile(r": |\s#|\t|:$")
_INDICATORS = frozenset("-?:,[]{}#&*!|>%@`")
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_DEC = re.compile(r"0|[1-9][0-9]*$")
_FLOAT = re.compile(r"[0-9]+\.[0-9]+$")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_FAIL = object()


_SCALARS: dict[str, Any] = {}  # values repeat a lot across a queue (P2, feature, auto, queued, dates...)


def _fast_scalar(text: str) -> Any:
    cached = _SCALARS.get(text, _FAIL)
    if cached is not _FAIL:
        return cached
    value = _resolve_scalar(text)
    if value is not _FAIL and len(_SCALARS) < 50000:
        _SCALARS[text] = value
    return value


def _resolve_scalar(text: str) -> Any:
    text = text.rstrip(" ")
    if not text:
        return None
    first = text[0]
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            return _FAIL
        return inner.replace("''", "'")
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            return _FAIL
        return inner
    if first in _INDICATORS or _PLAIN_BAD.search(text):
        return _FAIL
    resolvers = _RESOLVERS.get(first)
    if resolvers:
        for tag, pattern in resolvers:
            if pattern.match(text):
                kind = tag.rsplit(":", 1)[1]
                if kind == "int" and _DEC.match(text):
                    return int(text)
                if kind == "float" and _FLOAT.match(text):
                    return float(text)
                if kind == "bool" and text in _BOOLS:
                    return _BOOLS[text]
                if kind == "null":
                    return None
                return _FAIL
    return text


_PLAIN_KEYS: set[str] = set()


def _plain_key(key: str) -> bool:
    """A key yaml reads as this very string (not a bool, null or number)."""
    if _fast_scalar(key) != key:
        return False
    if len(_PLAIN_KEYS) < 10000:
        _PLAIN_KEYS.add(key)
    return True


def _fast_load(front: str) -> dict[str, Any] | None:
    """The front matter as yaml.load would read it, or None when it is outside the narrow shape."""
    lines = front.split("\n")
    data: dict[str, Any] = {}
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if not line or line.isspace():
            continue
        match = _KEY_LINE.match(line)
        if match is None:
            return None
        key, raw = match.groups()
        if key in data or (key not in _PLAIN_KEYS and not _plain_key(key)):
            return None
        if raw is not None and raw.strip():
            raw = raw.rstrip(" ")
            if raw == "[]":
                data[key] = []
                continue
            if raw == "{}":
                data[key] = {}
                continue
            value = _fast_scalar(raw)
            if value is _FAIL:
                return None
            data[key] = value
            continue
        # a block sequence (indented or not), or null
        items: list[Any] = []
        indent: int | None = None
        while i < n:
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            item = _ITEM_LINE.match(line)
            if item is None:
                if line[:1] == " ":
                    return None
                break
            if indent is None:
                indent = len(item.group(1))
            elif len(item.group(1)) != indent:
                return None
            i += 1
            content = item.group(2)
            pair = _KEY_LINE.match(content)
            if pair is None or content[:1] in "'\"":
                value = _fast_scalar(content)
                if value is _FAIL:
                    return None
                items.append(value)
                continue
            mapping: dict[str, Any] = {}
            pad = " " * (indent + 2)
            while True:
                mkey, mraw = pair.groups()
                if mkey in mapping or (mkey not in _PLAIN_KEYS and not _plain_key(mkey)) or mraw is None or not mraw.strip():
                    return None  # a bare "key:" may open a nested block: let yaml decide
                value = _fast_scalar(mraw)
                if value is _FAIL or mraw.strip() in {"[]", "{}"}:
                    return None
                mapping[mkey] = value
                if i < n and lines[i].startswith(pad) and lines[i][len(pad) : len(pad) + 1] not in {" ", "-", ""}:
                    pair = _KEY_LINE.match(lines[i][len(pad) :])
                    if pair is None:
                        return None
                    i += 1
                    continue
                break
            items.append(mapping)
        data[key] = items if indent is not None else None
    return data or None


def parse_task(text: str, *, state: str, source: str) -> Task:
    front, body = split_front_matter(text, source)
    data = _fast_load(front)
    if data is not None:
        return task_from_mapping(data, state=state, body=body, source=source)
    try:
        data = yaml.load(front, Loader=_Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise InputError(f"{source}: front matter is not valid YAML{where}: {getattr(err, 'problem', err)}") from None
    return task_from_mapping(data, state=state, body=body, source=source)


def load_task(path: str | Path, state: str | None = None) -> Task:
    """Read one task file; its state is its folder's name unless given."""
    path = Path(path)
    state = state or path.parent.name
    if state not in STATES:
        raise InputError(f"{path}: not in a queue folder ({', '.join(STATES)})")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    task = parse_task(text, state=state, source=str(path))
    if task.id != path.stem:
        raise InputError(f"{path}: 'id' is {task.id!r} but the file is named {path.name}")
    return task


def task_to_mapping(task: Task) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": task.id,
        "title": task.title,
        "issue": task.issue,
        "priority": task.priority,
        "type": task.type,
        "agent": task.agent,
        "depends_on": list(task.depends_on),
        "scope": list(task.scope),
        "acceptance": list(task.acceptance),
        "estimate_hours": task.estimate_hours,
        "created": task.created or None,
        "not_before": task.not_before,
        "assigned_to": task.assigned_to,
        "assigned_at": task.assigned_at,
        "branch": task.branch,
        "pr": task.pr,
        "heartbeat_at": task.heartbeat_at,
        "completed_at": task.completed_at,
        "blocked_reason": task.blocked_reason,
        "cost": task.cost.to_dict() if task.cost is not None else None,
        "from_template": task.from_template,
        "findings": list(task.findings) or None,
        "history": [entry.to_dict() for entry in task.history],
    }
    # an unset optional key is left out; the others (id, title, priority, type, agent and the lists) are never None
    data = {k: v for k, v in data.items() if v is not None}
    data.update(task.extra)
    return data


def render_task(task: Task) -> str:
    """The file text: front matter in ``KEY_ORDER``, then the Markdown body."""
    front = yaml.dump(task_to_mapping(task), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    body = task.body if task.body.endswith("\n") or not task.body else task.body + "\n"
    return f"---\n{front}---\n\n{body}" if body else f"---\n{front}---\n"
