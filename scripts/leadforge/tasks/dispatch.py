"""Which pending tasks go to which agent now: a pure decision over plain data.

``decide(tasks, profiles, ...) -> DispatchPlan``:

* A pending task is *ready* when every ``depends_on`` is completed. A dependency that names no task
  anywhere in the queue, or a dependency cycle, makes the task *blocked* (the cycle is spelled out:
  ``task-a -> task-b -> task-a``); so does depending on a blocked task, or asking for an agent no
  profile describes, or a type/scope no profile takes.
* A task whose ``not_before`` is still in the future *waits* (the reason names the time).
* Ready tasks are taken in priority order (P0 first); within a priority, the task with the longest chain of
  estimated work it unblocks goes first (its *critical path*: its own estimate plus the longest such chain
  among the tasks that depend on it), then oldest ``created`` first, then by id.
* A task may not start while one of its scope globs overlaps a scope of an in-progress or
  just-assigned task (``scopes.scopes_meet``); it *waits*, and the reason names the other task.
* The agent is the profile named by ``agent``, else the highest-weight profile that takes the type
  and every scope glob and still has capacity (ties: name). No capacity left: the task waits. A task
  without an issue can only go to a profile that hands off by workflow dispatch, unless dispatch may open
  its tracking issue (``open_issues``).
* Budgets (``budget.py``): an agent is skipped when the task's expected cost would pass its budget or the
  repository's; when every eligible agent is skipped so, the task waits with the budget named.

The greedy pass is maximal: the active scopes only grow and capacities only shrink during the pass, so
a task that had to wait when its turn came still could not be assigned at the end (committed budget
spend only grows during the pass too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from leadforge.tasks.budget import REPOSITORY, Alert, Budget, Expected, Ledger, alerts, build_ledger, refusal
from leadforge.tasks.profiles import Profile
from leadforge.tasks.scopes import ScopeIndex, TrackedFiles, includes, parse_scope
from leadforge.tasks.taskfile import PRIORITIES, QUEUE_DIR, Task, parse_timestamp

_PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}


@dataclass(frozen=True, slots=True)
class Assignment:
    task: str
    agent: str
    branch: str
    opens_issue: bool = False  # a hand-written task: dispatch opens its tracking issue before the hand-off
    expected_usd: float | None = None  # when a budget applies

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"task": self.task, "agent": self.agent, "branch": self.branch}
        if self.opens_issue:
            data["opens_issue"] = True
        if self.expected_usd is not None:
            data["expected_usd"] = self.expected_usd
        return data


@dataclass(frozen=True, slots=True)
class Held:
    """A task that was not assigned, and why."""

    task: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"task": self.task, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class DispatchPlan:
    assigned: tuple[Assignment, ...] = ()
    waiting: tuple[Held, ...] = ()
    blocked: tuple[Held, ...] = ()
    budgeted: bool = False  # some budget is configured
    alerts: tuple[Alert, ...] = ()  # monthly budgets at or past 80% / 95% (reported spend)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "assigned": [a.to_dict() for a in self.assigned],
            "waiting": [w.to_dict() for w in self.waiting],
            "blocked": [b.to_dict() for b in self.blocked],
        }
        if self.budgeted:
            data["budget_alerts"] = [a.to_dict() for a in self.alerts]
        return data


def slugify(title: str, length: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(slug) > length:
        cut = slug[:length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug.strip("-") or "task"


def branch_name(task: Task, prefix: str = "ai/", length: int = 40) -> str:
    return f"{prefix}{task.id}-{slugify(task.title, length)}"


def scope_of(task: Task) -> tuple[str, ...]:
    """A task without a scope could touch anything: it counts as the whole repository."""
    return task.scope or ("",)


def covers(profile: Profile, task: Task) -> bool:
    """Every scope glob of the task lies inside the profile's ``paths`` (a profile without paths takes any scope)."""
    return not profile.paths or all(any(includes(p, s) for p in profile.paths) for s in scope_of(task))


def order_key(task: Task, critical: float = 0.0) -> tuple[int, float, str, str]:
    """Dispatch order: priority, then the longest chain of work the task unblocks (``critical_paths``), then age, id."""
    return (_PRIORITY_RANK.get(task.priority, len(PRIORITIES)), -critical, task.created or "", task.id)


def age_key(task: Task) -> tuple[int, str, str]:
    """Plain priority-then-age (what most task queues do): the order reasons and listings are shown in."""
    return (_PRIORITY_RANK.get(task.priority, len(PRIORITIES)), task.created or "", task.id)


def critical_paths(tasks: Iterable[Task], default_estimate: float = 2.0) -> dict[str, float]:
    """For each task not completed: its estimate plus the longest chain of estimated work among the open tasks that
    depend on it (directly or not). A dependency cycle contributes nothing beyond the first repeat."""
    open_tasks = {t.id: t for t in tasks if t.state != "completed"}
    dependants: dict[str, list[str]] = {}
    for task in open_tasks.values():
        for dep in task.depends_on:
            if dep in open_tasks and dep != task.id:
                dependants.setdefault(dep, []).append(task.id)
    rank: dict[str, float] = {}
    visiting: set[str] = set()
    for root in open_tasks:
        if root in rank:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        visiting.add(root)
        while stack:
            node, index = stack[-1]
            children = dependants.get(node, ())
            if index < len(children):
                stack[-1] = (node, index + 1)
                child = children[index]
                if child not in rank and child not in visiting:
                    visiting.add(child)
                    stack.append((child, 0))
                continue
            stack.pop()
            visiting.discard(node)
            own = open_tasks[node].estimate_hours
            best = max((rank.get(c, 0.0) for c in children), default=0.0)
            rank[node] = (own if own is not None else default_estimate) + best
    return rank


# ---- dependencies -----------------------------------------------------------------------------------------


def _cycles(graph: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """For every node on a dependency cycle: one cycle through it, as a path that returns to it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    cycles: dict[str, list[str]] = {}
    for component in components:
        members = set(component)
        if len(component) == 1 and component[0] not in graph.get(component[0], ()):
            continue
        for start in sorted(members):
            # shortest path start -> ... -> start inside the component (BFS)
            previous: dict[str, str] = {}
            frontier = [start]
            found = False
            while frontier and not found:
                nxt = []
                for node in frontier:
                    for child in sorted(graph.get(node, ())):
                        if child not in members:
                            continue
                        if child == start:
                            previous[start] = node
                            found = True
                            break
                        if child not in previous:
                            previous[child] = node
                            nxt.append(child)
                    if found:
                        break
                frontier = nxt
            path = [start]
            node = previous[start]
            while node != start:
                path.append(node)
                node = previous[node]
            path.reverse()
            cycles[start] = [start, *path[:-1], start] if len(path) > 1 else [start, start]
    return cycles


# ---- the decision ---------------------------------------------------------------------------------------


def decide(
    tasks: Iterable[Task],
    profiles: Sequence[Profile],
    *,
    tracked: Callable[[], Sequence[str]] | Sequence[str] = (),
    unreadable: Iterable[str] = (),
    branch_prefix: str = "ai/",
    slug_length: int = 40,
    now: str = "",
    budget: Budget | None = None,
    default_estimate: float = 2.0,
    open_issues: bool = False,
) -> DispatchPlan:
    """The dispatch plan for this queue. ``tracked``: the repository's files (or a function giving
    them, called only when a reason needs a witness). ``unreadable``: ids of task files that could
    not be read (a dependency on one waits instead of being unknown). ``now``: ISO time for
    ``not_before`` and the budget month. ``budget``: the repository-wide budget (profiles carry their
    own). ``open_issues``: a task without an issue may go to any hand-off (dispatch opens the issue)."""
    tasks = list(tasks)
    by_id = {t.id: t for t in tasks}
    unreadable_ids = set(unreadable)
    completed = {t.id for t in tasks if t.state == "completed"}
    clock = parse_timestamp(now) if now else None
    pending = [t for t in tasks if t.state == "pending"]
    in_progress = [t for t in tasks if t.state == "in-progress"]
    profile_by_name = {p.name: p for p in profiles}

    # dependency cycles among tasks not yet completed
    # (only tasks with an open dependency can be on a cycle)
    graph = {}
    for t in tasks:
        if t.depends_on and t.id not in completed:
            edges = tuple(d for d in t.depends_on if d in by_id and d not in completed)
            if edges:
                graph[t.id] = edges
    cycles = _cycles(graph)

    blocked: dict[str, str] = {}
    waiting: dict[str, str] = {}
    ready: list[Task] = []
    for task in pending:
        unknown = [d for d in task.depends_on if d not in by_id and d not in unreadable_ids]
        if unknown:
            blocked[task.id] = f"unknown dependency {', '.join(unknown)}"
        elif task.id in cycles:
            blocked[task.id] = "dependency cycle: " + " -> ".join(cycles[task.id])
    # tasks that wait on a blocked task are blocked too (transitively), naming the root cause:
    # a breadth-first walk from the blocked tasks along reverse dependency edges (linear in the queue)
    dependants: dict[str, list[Task]] = {}
    for task in pending:
        for dep in task.depends_on:
            dependants.setdefault(dep, []).append(task)
    cause = dict(blocked)
    frontier = sorted(blocked)
    while frontier:
        following: list[str] = []
        for dep in frontier:
            for task in dependants.get(dep, ()):
                if task.id in blocked:
                    continue
                cause[task.id] = cause[dep]
                blocked[task.id] = f"depends on {dep}, which is blocked: {cause[dep]}"
                following.append(task.id)
        frontier = following
    for task in pending:
        if task.id in blocked:
            continue
        open_deps = [d for d in task.depends_on if d not in completed]
        if open_deps:
            states = []
            for dep in open_deps:
                state = by_id[dep].state if dep in by_id else "unreadable"
                states.append(f"{dep} ({state})")
            waiting[task.id] = "waiting for " + ", ".join(states)
            continue
        if task.agent != "auto" and task.agent not in profile_by_name:
            blocked[task.id] = f"unknown agent {task.agent!r}: no profiles/{task.agent}.yml"
            continue
        if task.not_before and clock is not None:
            start = parse_timestamp(task.not_before)
            if start is not None and start > clock:
                waiting[task.id] = f"not before {task.not_before}"
                continue
        ready.append(task)

    ranks = critical_paths(tasks, default_estimate)
    ready.sort(key=lambda t: order_key(t, ranks.get(t.id, 0.0)))

    budgets = {p.name: p.budget for p in profiles if p.budget is not None}
    ledger: Ledger | None = None
    if budgets or budget is not None:
        ledger = build_ledger(
            tasks, now, default_estimate=default_estimate, budgets=budgets, humans=[p.name for p in profiles if p.is_human]
        )

    def over_budget(profile: Profile, task: Task) -> tuple[str | None, Expected | None]:
        """Why a budget refuses ``profile`` this task (None: it fits), and the expected cost (None: no budget)."""
        if ledger is None:
            return None, None
        expected = ledger.expected(task, profile.name, profile.budget)
        metered = profile.name not in ledger.humans
        reason = refusal(profile.name, profile.budget, expected, ledger, [profile.name], metered)
        if reason is None and budget is not None:
            everyone = sorted(set(ledger.spent_usd) | set(ledger.committed_usd) | set(ledger.spent_tokens) | {profile.name})
            reason = refusal(REPOSITORY, budget, expected, ledger, everyone, metered)
        return reason, expected

    # the active scopes and each agent's load
    index = ScopeIndex()
    load: dict[str, int] = {p.name: 0 for p in profiles}
    for task in in_progress:
        for glob in scope_of(task):
            index.add(glob, task.id)
        if task.assigned_to in load:
            load[task.assigned_to] += 1

    takes_cache: dict[tuple[str, tuple[str, ...]], bool] = {}

    def reachable(profile: Profile, task: Task) -> bool:
        """Assign, label and comment hand-offs act on the task's issue; only a workflow needs none."""
        return task.issue is not None or open_issues or profile.handoff.kind == "workflow"

    def takes(profile: Profile, task: Task) -> bool:
        if task.type not in profile.types or not reachable(profile, task):
            return False
        if not profile.paths:
            return True
        key = (profile.name, task.scope)
        if key not in takes_cache:
            takes_cache[key] = covers(profile, task)
        return takes_cache[key]

    ranked = sorted(profiles, key=lambda p: (-p.weight, p.name))
    tracked_files: TrackedFiles | None = None

    def explain(mine: str, theirs: str, owner: str) -> str:
        nonlocal tracked_files
        state = "just assigned" if owner in just_assigned else "in progress"
        text = f"scope {mine or '(whole repository)'} overlaps {owner} ({state}: {theirs or '(whole repository)'})"
        if not (parse_scope(mine).pathlike and parse_scope(theirs).pathlike):
            if tracked_files is None:
                tracked_files = TrackedFiles(tracked() if callable(tracked) else tracked, exclude=QUEUE_DIR.as_posix())
            hit = tracked_files.witness(mine, theirs)
            text += f"; both cover {hit}" if hit else "; no tracked file matches both, but the globs cannot be shown apart"
        return text

    assigned: list[Assignment] = []
    just_assigned: set[str] = set()
    for task in ready:
        scope = scope_of(task)
        conflict = index.first_conflict(scope)
        if conflict is not None:
            waiting[task.id] = explain(*conflict)
            continue
        if task.agent != "auto":
            profile = profile_by_name[task.agent]
            if not reachable(profile, task):
                blocked[task.id] = f"agent {profile.name} hands off on the issue ({profile.handoff.kind}), and the task has none"
                continue
            if load[profile.name] >= profile.capacity:
                waiting[task.id] = f"agent {profile.name} is at capacity ({load[profile.name]}/{profile.capacity})"
                continue
            refused, expected = over_budget(profile, task)
            if refused is not None:
                waiting[task.id] = f"agent {profile.name}: {refused}"
                continue
            chosen = profile
        else:
            eligible = [p for p in ranked if takes(p, task)]
            if not eligible:
                blocked[task.id] = (
                    f"no agent profile takes type {task.type} with scope {', '.join(task.scope) or '(whole repository)'}"
                    + ("" if task.issue is not None else " without an issue (only workflow hand-offs need none)")
                )
                continue
            free = [p for p in eligible if load[p.name] < p.capacity]
            if not free:
                waiting[task.id] = "every eligible agent is at capacity: " + ", ".join(
                    f"{p.name} {load[p.name]}/{p.capacity}" for p in eligible
                )
                continue
            refusals: list[str] = []
            picked: Profile | None = None
            expected = None
            for candidate in free:
                refused, expected = over_budget(candidate, task)
                if refused is None:
                    picked = candidate
                    break
                refusals.append(f"{candidate.name}: {refused}")
            if picked is None:
                full = [f"{p.name} {load[p.name]}/{p.capacity}" for p in eligible if p not in free]
                waiting[task.id] = "over budget: " + "; ".join(refusals) + (f" (at capacity: {', '.join(full)})" if full else "")
                continue
            chosen = picked
        if ledger is not None and expected is not None:
            ledger.commit(chosen.name, expected)
        load[chosen.name] += 1
        for glob in scope:
            index.add(glob, task.id)
        just_assigned.add(task.id)
        assigned.append(
            Assignment(
                task.id,
                chosen.name,
                branch_name(task, branch_prefix, slug_length),
                opens_issue=task.issue is None and chosen.handoff.kind != "workflow",
                expected_usd=expected.usd if expected is not None else None,
            )
        )

    pending_order = sorted(pending, key=age_key)
    return DispatchPlan(
        assigned=tuple(assigned),
        waiting=tuple(Held(t.id, waiting[t.id]) for t in pending_order if t.id in waiting),
        blocked=tuple(Held(t.id, blocked[t.id]) for t in pending_order if t.id in blocked),
        budgeted=ledger is not None,
        alerts=tuple(alerts(ledger, budgets, budget)) if ledger is not None else (),
    )
