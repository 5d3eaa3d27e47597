"""Agent profiles: ``profiles/<agent>.yml`` -> frozen ``Profile`` records.

A profile says how to hand a task to an agent, what it takes, how many tasks it holds at once and how
much the dispatcher prefers it::

    name: claude                      # must equal the file name (claude.yml)
    description: Claude Code action
    handoff:                          # exactly one of:
      comment: "@claude please implement {id}: {title} ..."   # post a comment on the task's issue
      # assign: Copilot               # assign a GitHub user to the issue
      # label: openhands              # add a label to the issue
      # workflow: {file: agent.yml, ref: main, inputs: {task: "{id}", branch: "{branch}"}}
    takes:                            # optional; absent = every type, every path
      types: [feature, bug, refactor, test, docs, chore, security]
      paths: ["src/**", "docs/**"]    # the task's whole scope must lie inside these globs
    capacity: 2                       # tasks in progress at once (0 pauses the agent)
    weight: 50                        # higher wins when several agents fit
    station:                          # optional: where the agent runs (read by the deploy area)
      image: ghcr.io/org/runner:1.2
      cpu: "2"
      memory: 4Gi
      storage: 10Gi
    budget:                           # optional AI cost budget (see tasks/budget.py), each key optional
      usd_per_month: 200
      usd_per_task: 10
      tokens_per_month: 50000000
    extra: {}                         # optional free-form mapping for other areas (metrics cost, ...)

Templates in ``handoff`` may use ``{id} {title} {issue} {branch} {priority} {type} {scope} {acceptance}
{task_path}``; any other ``{...}`` is left as written.

For the deploy engineer (execution stations): ``Profile.station`` is a ``Station`` or None, with
``image``, ``cpu``, ``memory``, ``storage`` (strings as Kubernetes writes quantities) and ``env``
(mapping); ``Profile.extra`` keeps any other keys under ``extra:`` untouched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadforge.errors import InputError
from leadforge.tasks.budget import Budget, budget_from_mapping
from leadforge.tasks.taskfile import TYPES

HANDOFF_KINDS = ("assign", "label", "comment", "workflow")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_KEYS = frozenset({"name", "description", "handoff", "takes", "capacity", "weight", "station", "budget", "extra"})
_STATION_KEYS = frozenset({"image", "cpu", "memory", "storage", "env"})


@dataclass(frozen=True, slots=True)
class Handoff:
    kind: str  # assign | label | comment | workflow
    value: str = ""  # the user, label or comment template; the workflow file for ``workflow``
    ref: str = ""  # workflow: the ref to run on (default: the default branch)
    inputs: Mapping[str, str] = field(default_factory=dict)  # workflow: input templates

    def describe(self) -> str:
        if self.kind == "assign":
            return f"assign @{self.value}"
        if self.kind == "label":
            return f"label {self.value}"
        if self.kind == "comment":
            return "comment"
        return f"dispatch {self.value}"


@dataclass(frozen=True, slots=True)
class Station:
    image: str = ""
    cpu: str = ""
    memory: str = ""
    storage: str = ""
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    handoff: Handoff
    types: tuple[str, ...] = TYPES  # task types it takes
    paths: tuple[str, ...] = ()  # globs it may work on; () = anywhere
    capacity: int = 1
    weight: int = 0
    description: str = ""
    station: Station | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    budget: Budget | None = None

    @property
    def is_human(self) -> bool:
        """A person, not a metered agent (``extra: {kind: human}``, as metrics reads it)."""
        return str(self.extra.get("kind", "")).lower() == "human"


def _str(data: Mapping[str, Any], key: str, source: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise InputError(f"{source}: '{key}' is required")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InputError(f"{source}: '{key}' must be a string, got {value!r}")
    return str(value)


def _int(data: Mapping[str, Any], key: str, source: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{source}: '{key}' must be a whole number >= 0, got {value!r}")
    return value


def _handoff(raw: Any, source: str) -> Handoff:
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in HANDOFF_KINDS:
        raise InputError(f"{source}: 'handoff' must be a mapping with exactly one of {', '.join(HANDOFF_KINDS)}")
    kind, value = next(iter(raw.items()))
    if kind != "workflow":
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{source}: 'handoff.{kind}' must be a non-empty string")
        return Handoff(kind, value.strip().lstrip("@") if kind == "assign" else value.strip())
    if isinstance(value, str):
        value = {"file": value}
    if not isinstance(value, dict) or not isinstance(value.get("file"), str) or not value["file"].strip():
        raise InputError(f"{source}: 'handoff.workflow' must be a file name or {{file, ref, inputs}}")
    unknown = set(value) - {"file", "ref", "inputs"}
    if unknown:
        raise InputError(f"{source}: 'handoff.workflow.{min(unknown)}': unknown key (use file, ref, inputs)")
    inputs = value.get("inputs") or {}
    if not isinstance(inputs, dict) or not all(isinstance(k, str) and isinstance(v, (str, int)) for k, v in inputs.items()):
        raise InputError(f"{source}: 'handoff.workflow.inputs' must map input names to strings")
    ref = value.get("ref") or ""
    if not isinstance(ref, str):
        raise InputError(f"{source}: 'handoff.workflow.ref' must be a string")
    return Handoff("workflow", value["file"].strip(), ref, {k: str(v) for k, v in inputs.items()})


def _station(raw: Any, source: str) -> Station | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError(f"{source}: 'station' must be a mapping of image, cpu, memory, storage, env")
    unknown = set(raw) - _STATION_KEYS
    if unknown:
        raise InputError(f"{source}: 'station.{min(unknown)}': unknown key (use {', '.join(sorted(_STATION_KEYS))})")
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise InputError(f"{source}: 'station.env' must be a mapping")
    return Station(
        image=_str(raw, "image", f"{source}: station"),
        cpu=_str(raw, "cpu", f"{source}: station"),
        memory=_str(raw, "memory", f"{source}: station"),
        storage=_str(raw, "storage", f"{source}: station"),
        env={str(k): str(v) for k, v in env.items()},
    )


def profile_from_mapping(data: Any, source: str, expected_name: str | None = None) -> Profile:
    if not isinstance(data, dict):
        raise InputError(f"{source}: a profile must be a mapping of keys")
    unknown = set(data) - _KEYS
    if unknown:
        raise InputError(f"{source}: '{min(unknown)}': unknown key (use {', '.join(sorted(_KEYS))})")
    name = _str(data, "name", source, required=True)
    if not _NAME_RE.match(name):
        raise InputError(f"{source}: 'name' must match [a-z0-9][a-z0-9_-]*, got {name!r}")
    if expected_name is not None and name != expected_name:
        raise InputError(f"{source}: 'name' is {name!r} but the file is named {expected_name}.yml")
    if "handoff" not in data:
        raise InputError(f"{source}: 'handoff' is required")
    takes = data.get("takes") or {}
    if not isinstance(takes, dict) or set(takes) - {"types", "paths"}:
        raise InputError(f"{source}: 'takes' must be a mapping with optional 'types' and 'paths'")
    types = takes.get("types", list(TYPES))
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise InputError(f"{source}: 'takes.types' must be a list of task types")
    for kind in types:
        if kind not in TYPES:
            raise InputError(f"{source}: 'takes.types': unknown type {kind!r} (use {', '.join(TYPES)})")
    paths = takes.get("paths") or []
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InputError(f"{source}: 'takes.paths' must be a list of globs")
    extra = data.get("extra") or {}
    if not isinstance(extra, dict):
        raise InputError(f"{source}: 'extra' must be a mapping")
    weight = data.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise InputError(f"{source}: 'weight' must be a whole number, got {weight!r}")
    return Profile(
        name=name,
        handoff=_handoff(data["handoff"], source),
        types=tuple(types),
        paths=tuple(p.strip() for p in paths if p.strip() and p.strip() not in {"**", "."}),
        capacity=_int(data, "capacity", source, 1),
        weight=weight,
        description=_str(data, "description", source),
        station=_station(data.get("station"), source),
        extra=dict(extra),
        source=source,
        budget=budget_from_mapping(data.get("budget"), f"{source}: budget"),
    )


def load_profiles(repo: str | os.PathLike[str], folder: str = "profiles") -> tuple[Profile, ...]:
    """Every ``<folder>/*.yml`` profile, sorted by name. A bad profile is an error naming file and key."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root = Path(repo) / folder
    if not root.is_dir():
        return ()
    profiles = []
    for path in sorted(root.glob("*.y*ml")):
        rel = f"{folder}/{path.name}"
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise InputError(f"{rel}{where}: invalid YAML: {getattr(err, 'problem', err)}") from None
        profiles.append(profile_from_mapping(data, rel, expected_name=path.stem))
    return tuple(sorted(profiles, key=lambda p: p.name))


_TEMPLATE = re.compile(r"\{([a-z_]+)\}")


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` for known names only (no attribute access, no format spec)."""
    return _TEMPLATE.sub(lambda m: values.get(m.group(1), m.group(0)), template)
