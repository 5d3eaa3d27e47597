"""When will the queue be done? A deterministic simulation of dispatch over the estimates (pure).

``simulate(tasks, profiles, ...)`` plays the queue forward in hours from ``now``: in-progress tasks hold their
agent and scope for what is left of their estimate (``estimate_hours`` minus the time since ``assigned_at``,
never below 0); whenever work finishes, the dispatch rules hand out what became ready: dependencies finished,
``not_before`` passed, no scope overlap with running work, an agent that takes the task with capacity left (the
named one, else the heaviest free one, ties by name), in dispatch order (priority, critical path, age, id). Tasks
dispatch would block (cycles, unknown dependencies or agents, no profile that takes them) and tasks no agent with
capacity > 0 can take are listed as unscheduled with the reason. Budgets are not simulated: cost is not time.

The result has each task's expected start and finish, the makespan (``total_hours``), the critical path (the longest
chain of remaining estimated work through dependencies) and the lower bound max(critical path, work / capacity).
``policy="age"`` orders ready tasks by priority then age only (what a plain queue does; the benchmark's peer).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from leadforge.tasks.dispatch import age_key, covers, critical_paths, decide, order_key, scope_of
from leadforge.tasks.profiles import Profile
from leadforge.tasks.scopes import scopes_meet
from leadforge.tasks.taskfile import Task, parse_timestamp

POLICIES = ("critical", "age")


@dataclass(frozen=True, slots=True)
class Slot:
    task: str
    agent: str
    start: float  # hours from now
    finish: float
    state: str  # in-progress (already running) | pending
    critical: bool = False

    def to_dict(self, origin: datetime | None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "task": self.task,
            "agent": self.agent,
            "start_hours": round(self.start, 2),
            "finish_hours": round(self.finish, 2),
            "state": self.state,
            "critical": self.critical,
        }
        if origin is not None:
            data["start_at"] = _iso(origin + timedelta(hours=self.start))
            data["finish_at"] = _iso(origin + timedelta(hours=self.finish))
        return data


@dataclass(frozen=True, slots=True)
class Unscheduled:
    task: str
    reason: str


@dataclass(frozen=True, slots=True)
class Forecast:
    now: str
    slots: tuple[Slot, ...]
    unscheduled: tuple[Unscheduled, ...]
    critical_path: tuple[str, ...]
    critical_hours: float
    work_hours: float
    capacity: int
    total_hours: float  # the simulated makespan
    capacities: Mapping[str, int]

    @property
    def lower_bound(self) -> float:
        return max(self.critical_hours, self.work_hours / self.capacity if self.capacity else 0.0)

    def to_dict(self) -> dict[str, Any]:
        origin = parse_timestamp(self.now)
        finish = _iso(origin + timedelta(hours=self.total_hours)) if origin is not None else None
        return {
            "now": self.now,
            "total_hours": round(self.total_hours, 2),
            "finish_at": finish,
            "critical_path": list(self.critical_path),
            "critical_path_hours": round(self.critical_hours, 2),
            "work_hours": round(self.work_hours, 2),
            "capacity": self.capacity,
            "capacities": dict(self.capacities),
            "lower_bound_hours": round(self.lower_bound, 2),
            "tasks": [s.to_dict(origin) for s in self.slots],
            "unscheduled": [{"task": u.task, "reason": u.reason} for u in self.unscheduled],
        }


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_capacities(text: str) -> dict[str, int]:
    """``claude=2,copilot=3`` -> {"claude": 2, "copilot": 3}; a bad item is a one-line error naming it."""
    from leadforge.errors import InputError

    found: dict[str, int] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip().isdigit():
            raise InputError(f"--agents: expected name=capacity[,name=capacity...], got {item!r}")
        found[name.strip()] = int(value)
    return found


def _takes(profile: Profile, task: Task) -> bool:
    """What dispatch's ``takes`` asks, but any hand-off may take a task without an issue (dispatch opens it)."""
    return task.type in profile.types and covers(profile, task)


def simulate(
    tasks: Iterable[Task],
    profiles: Sequence[Profile],
    *,
    now: str = "",
    default_estimate: float = 2.0,
    capacities: Mapping[str, int] | None = None,
    policy: str = "critical",
) -> Forecast:
    """The schedule dispatch would follow if every estimate held (see the module docstring)."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}")
    tasks = list(tasks)
    capacities = dict(capacities or {})
    profiles = [replace(p, capacity=capacities[p.name]) if p.name in capacities else p for p in profiles]
    by_name = {p.name: p for p in profiles}
    clock = parse_timestamp(now) if now else None
    by_id = {t.id: t for t in tasks}

    def hours(task: Task) -> float:
        return task.estimate_hours if task.estimate_hours is not None else default_estimate

    # what dispatch would block stays unscheduled (the same rules, so the reasons match `task dispatch`)
    plan = decide(tasks, profiles, now="", open_issues=True, default_estimate=default_estimate)
    unscheduled = {b.task: b.reason for b in plan.blocked}
    pending = [t for t in tasks if t.state == "pending" and t.id not in unscheduled]
    for task in pending:
        if task.agent != "auto":
            if by_name[task.agent].capacity == 0:
                unscheduled[task.id] = f"agent {task.agent} has capacity 0"
        elif not any(_takes(p, task) and p.capacity > 0 for p in profiles):
            unscheduled[task.id] = "no agent with capacity > 0 takes it"
    changed = True
    while changed:  # work waiting on unscheduled work is unscheduled too
        changed = False
        for task in pending:
            if task.id in unscheduled:
                continue
            stuck = [d for d in task.depends_on if d in unscheduled]
            if stuck:
                unscheduled[task.id] = f"depends on {stuck[0]}, which is unscheduled"
                changed = True
    pending = [t for t in pending if t.id not in unscheduled]

    remaining: dict[str, float] = {}
    running: list[tuple[float, str]] = []  # (finish, id) heap
    load: dict[str, int] = {p.name: 0 for p in profiles}
    active: dict[str, Task] = {}
    slots: dict[str, Slot] = {}
    for task in sorted((t for t in tasks if t.state == "in-progress"), key=lambda t: t.id):
        start = parse_timestamp(task.assigned_at) if task.assigned_at else None
        elapsed = max(0.0, (clock - start).total_seconds() / 3600) if clock and start else 0.0
        left = max(0.0, hours(task) - elapsed)
        remaining[task.id] = left
        agent = task.assigned_to or "?"
        if agent in load:
            load[agent] += 1
        active[task.id] = task
        heapq.heappush(running, (left, task.id))
        slots[task.id] = Slot(task.id, agent, 0.0, left, "in-progress")
    for task in pending:
        remaining[task.id] = hours(task)

    ranks = critical_paths([t for t in tasks if t.id not in unscheduled], default_estimate)
    if policy == "critical":

        def key(task: Task) -> tuple[Any, ...]:
            return order_key(task, ranks.get(task.id, 0.0))
    else:
        key = age_key
    finished: set[str] = {t.id for t in tasks if t.state == "completed"}
    not_before = {
        t.id: max(0.0, (moment - clock).total_seconds() / 3600)
        for t in pending
        if t.not_before and clock and (moment := parse_timestamp(t.not_before)) is not None
    }
    waiting_deps = {t.id: {d for d in t.depends_on if d not in finished} for t in pending}
    dependants: dict[str, list[str]] = {}
    for task in pending:
        for dep in waiting_deps[task.id]:
            dependants.setdefault(dep, []).append(task.id)
    ready = sorted((t for t in pending if not waiting_deps[t.id]), key=key)
    meets: dict[tuple[str, str], bool] = {}

    def overlaps(a: Task, b: Task) -> bool:
        pair = (a.id, b.id) if a.id < b.id else (b.id, a.id)
        if pair not in meets:
            meets[pair] = any(scopes_meet(x, y) for x in scope_of(a) for y in scope_of(b))
        return meets[pair]

    ranked = sorted(profiles, key=lambda p: (-p.weight, p.name))
    eligible = {t.id: ([by_name[t.agent]] if t.agent != "auto" else [p for p in ranked if _takes(p, t)]) for t in pending}
    now_h = 0.0
    pending_left = len(pending)
    timers = sorted(set(not_before.values()))
    while pending_left or running:
        # hand out what is ready now, in dispatch order
        if ready and any(load[p.name] < p.capacity for p in profiles):
            still: list[Task] = []
            free_slots = sum(max(0, p.capacity - load[p.name]) for p in profiles)
            for index, task in enumerate(ready):
                if free_slots <= 0:
                    still.extend(ready[index:])
                    break
                if not_before.get(task.id, 0.0) > now_h + 1e-9:
                    still.append(task)
                    continue
                free = [p for p in eligible[task.id] if load[p.name] < p.capacity]
                if not free or any(overlaps(task, other) for other in active.values()):
                    still.append(task)
                    continue
                taker = free[0]
                load[taker.name] += 1
                active[task.id] = task
                finish = now_h + remaining[task.id]
                heapq.heappush(running, (finish, task.id))
                slots[task.id] = Slot(task.id, taker.name, now_h, finish, "pending")
                pending_left -= 1
                free_slots -= 1
            ready = still
        next_times = [running[0][0]] if running else []
        next_times += [t for t in timers if t > now_h + 1e-9]
        if not next_times:
            break  # nothing runs and nothing can start: the rest never starts (reported below)
        now_h = min(next_times)
        newly: list[Task] = []
        while running and running[0][0] <= now_h + 1e-9:
            _, done = heapq.heappop(running)
            task = active.pop(done)
            agent = slots[done].agent
            if agent in load:
                load[agent] -= 1
            finished.add(done)
            for child in dependants.get(done, ()):
                waiting_deps[child].discard(done)
                if not waiting_deps[child]:
                    newly.append(by_id[child])
        if newly:
            ready = sorted(ready + newly, key=key)
    for task in pending:
        if task.id not in slots:
            unscheduled[task.id] = "never starts: waits on scopes or agents that never free up"

    # the critical path: the longest chain of remaining work through dependencies
    chain_hours: dict[str, float] = {}
    best_next: dict[str, str | None] = {}
    for slot_id in sorted(slots, key=lambda i: -slots[i].finish):
        options = [(chain_hours[c], c) for c in dependants.get(slot_id, ()) if c in chain_hours]
        top = max(options, default=(0.0, None), key=lambda o: (o[0], o[1] or ""))
        chain_hours[slot_id] = remaining[slot_id] + top[0]
        best_next[slot_id] = top[1]
    path: list[str] = []
    if chain_hours:
        roots = [i for i in chain_hours if not any(d in chain_hours for d in waiting_roots(by_id[i], slots))]
        node: str | None = max(roots or list(chain_hours), key=lambda i: (chain_hours[i], i))
        while node is not None:
            path.append(node)
            node = best_next.get(node)
    on_path = set(path)
    ordered = sorted(slots.values(), key=lambda s: (s.start, s.finish, s.task))
    work = sum(remaining[s.task] for s in ordered)
    total = max((s.finish for s in ordered), default=0.0)
    capacity = sum(p.capacity for p in profiles)
    return Forecast(
        now=now,
        slots=tuple(replace(s, critical=s.task in on_path) for s in ordered),
        unscheduled=tuple(Unscheduled(i, unscheduled[i]) for i in sorted(unscheduled)),
        critical_path=tuple(path),
        critical_hours=chain_hours[path[0]] if path else 0.0,
        work_hours=work,
        capacity=capacity,
        total_hours=total,
        capacities={p.name: p.capacity for p in profiles},
    )


def waiting_roots(task: Task, slots: Mapping[str, Slot]) -> list[str]:
    """The task's dependencies that are themselves in the schedule (not completed before now)."""
    return [d for d in task.depends_on if d in slots]


# ---- text and pictures --------------------------------------------------------------------------------------------


def forecast_table(forecast: Forecast, titles: Mapping[str, str]) -> str:
    data = forecast.to_dict()
    lines = [f"{'TASK':<18} {'AGENT':<10} {'START':>8} {'FINISH':>8}  {'':1} TITLE"]
    for slot in data["tasks"]:
        mark = "*" if slot["critical"] else " "
        lines.append(
            f"{slot['task']:<18} {slot['agent']:<10} {slot['start_hours']:>7.1f}h {slot['finish_hours']:>7.1f}h  "
            f"{mark} {titles.get(slot['task'], '')}"
        )
    for item in data["unscheduled"]:
        lines.append(f"{item['task']:<18} {'-':<10} {'-':>8} {'-':>8}    unscheduled: {item['reason']}")
    lines.append("")
    lines.append(
        f"total {data['total_hours']:g} h"
        + (f" (done about {data['finish_at']})" if data["finish_at"] else "")
        + f"; lower bound {data['lower_bound_hours']:g} h = max(critical path {data['critical_path_hours']:g} h, "
        f"work {data['work_hours']:g} h / capacity {data['capacity']})"
    )
    lines.append("critical path (*): " + (" -> ".join(data["critical_path"]) or "none"))
    return "\n".join(lines)


def gantt_svg(forecast: Forecast, chart_id: str = "chart-forecast", *, width: int = 1100, limit: int = 60) -> str:
    """A static Gantt chart: one row per task (the first ``limit`` by start), bars on an hour axis, the critical path
    marked; a ``<title>`` and a ``<desc>`` state every row, so the picture is text too."""
    from html import escape

    from leadforge.metrics.charts import GRID, PALETTE, TEXT

    slots = list(forecast.slots)[:limit]
    label_w, row_h, top = 150, 18, 40
    height = top + max(1, len(slots)) * row_h + 30
    span = max(forecast.total_hours, 1e-9)
    plot_w = width - label_w - 20
    scale = plot_w / span
    facts = (
        "; ".join(
            f"{s.task} on {s.agent}: {s.start:.1f} h to {s.finish:.1f} h{' (critical)' if s.critical else ''}" for s in slots
        )
        or "nothing to schedule"
    )
    more = len(forecast.slots) - len(slots)
    if more > 0:
        facts += f"; and {more} more task(s)"
    title = f"Forecast: {forecast.total_hours:.1f} h to finish the queue"
    out = [
        (
            f'<svg class="gantt" id="{chart_id}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
            f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        ),
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(facts)}</desc>',
        f'<text x="0" y="18" font-size="15" font-weight="600" fill="{TEXT}">{escape(title)}</text>',
    ]
    ticks = 5
    for i in range(ticks + 1):
        x = label_w + plot_w * i / ticks
        out.append(f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{height - 24}" stroke="{GRID}" stroke-width="0.5"/>')
        out.append(
            f'<text x="{x:.1f}" y="{height - 10}" font-size="11" text-anchor="middle" fill="{TEXT}">'
            f"{round(span * i / ticks, 1):g} h</text>"
        )
    if not slots:
        out.append(f'<text x="{label_w + 8}" y="{top + 12}" font-size="13" fill="{TEXT}">Nothing to schedule</text>')
    for row, slot in enumerate(slots):
        y = top + row * row_h
        colour = PALETTE[1] if slot.critical else PALETTE[0]
        w = max(1.0, (slot.finish - slot.start) * scale)
        out.append(
            f'<text x="{label_w - 8}" y="{y + 12}" font-size="11" text-anchor="end" fill="{TEXT}">{escape(slot.task[:22])}</text>'
        )
        out.append(
            f'<rect class="bar{" critical" if slot.critical else ""}" x="{label_w + slot.start * scale:.1f}" y="{y + 2}" '
            f'width="{w:.1f}" height="{row_h - 5}" fill="{colour}"><title>{escape(slot.task)} · {escape(slot.agent)}: '
            f"{slot.start:.1f} h to {slot.finish:.1f} h</title></rect>"
        )
    out.append("</svg>")
    return "".join(out)
