"""Per-agent metrics over a period: a pure function of task records, git history and review data.

Nothing here reads files or talks to git or the forge; ``source.py`` gathers the
inputs and ``render.py`` prints the result. Every task is accounted for: a task
that cannot be attributed to an agent, or placed in time, is counted under the
``unknown`` row and listed with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from leadforge.metrics.gitlog import QUEUE_PREFIXES, GitIndex
from leadforge.tasks.costs import reports as cost_reports
from leadforge.tasks.scopes import covered_by_any
from leadforge.tasks.taskfile import Task, parse_timestamp

UNKNOWN = "unknown"
KINDS = ("agent", "human", UNKNOWN)

# History event names written by the task queue (tasks/taskfile.py HistoryEntry).
ASSIGN_EVENTS = frozenset({"assigned", "reassigned"})
REQUEUE_EVENTS = frozenset({"requeued", "re-queued", "unassigned"})
FAILED_EVENTS = frozenset({"verification-failed", "verify-failed", "verification_failed"})
COMPLETE_EVENTS = frozenset({"completed"})
MERGE_EVENTS = frozenset({"verified", "merged"})
QUEUE_EVENTS = frozenset({"queued", "created", "intake"})
# tasks.complete writes "<n> changed file(s) outside the task's scope (...)" in the verification-failed note
SCOPE_NOTE = re.compile(r"outside (?:the )?(?:task's |declared )?scope|scope violation", re.IGNORECASE)
_NOTE_AGENT = re.compile(r"(?:\bto|\bagent)\s*[=:]?\s*@?([A-Za-z0-9][\w.\-\[\]]*)", re.IGNORECASE)


# ---- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """Half-open ``[since, until)``; None means unbounded on that side."""

    since: datetime | None = None
    until: datetime | None = None
    label: str = "all time"

    def contains(self, at: datetime | None) -> bool:
        if at is None:
            return False
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)

    def to_dict(self) -> dict[str, Any]:
        return {"since": iso(self.since), "until": iso(self.until), "label": self.label}


@dataclass(frozen=True, slots=True)
class People:
    """Who is who. ``agents`` None: every assignee name is accepted (no profiles to check against)."""

    agents: frozenset[str] | None = None
    humans: frozenset[str] = frozenset()
    aliases: Mapping[str, str] = field(default_factory=dict)  # commit author name or email -> row name

    def author(self, name: str, email: str) -> str:
        return self.aliases.get(email) or self.aliases.get(name) or name or UNKNOWN

    def kind(self, name: str) -> str:
        if name == UNKNOWN:
            return UNKNOWN
        if name in self.humans or name.lower() in {h.lower() for h in self.humans}:
            return "human"
        return "agent"

    def known(self, name: str) -> bool:
        if self.agents is None:
            return True
        return name in self.agents or name in self.humans


@dataclass(frozen=True, slots=True)
class PullInfo:
    """What the forge says about one pull request."""

    number: int
    merged_at: datetime | None = None
    additions: int = 0
    deletions: int = 0
    review_rounds: int = 0


@dataclass(frozen=True, slots=True)
class Weights:
    keystrokes_per_line: float = 35.0
    keystrokes_per_removed_line: float = 2.0
    untracked_commits: bool = True


# ---- output ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spread:
    median: float | None
    p90: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"median": self.median, "p90": self.p90}


@dataclass(frozen=True, slots=True)
class CostRow:
    """What an agent's reported work cost in the period (history ``cost`` events, tasks/costs.py)."""

    usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    requests: int = 0
    reports: int = 0
    usd_per_completed_task: float | None = None
    usd_per_hour_saved: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "usd": self.usd,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "requests": self.requests,
            "reports": self.reports,
            "usd_per_completed_task": self.usd_per_completed_task,
            "usd_per_hour_saved": self.usd_per_hour_saved,
        }


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent: str
    kind: str
    assigned: int
    completed: int
    requeued: int
    failed_verification: int
    lead_time_hours: Spread
    cycle_time_hours: Spread
    review_rounds: int
    reviewed_prs: int
    scope_violations: int
    reverts: int
    lines_added: int
    lines_removed: int
    hours_saved: float
    estimate_vs_actual: float | None
    keystrokes_saved: int
    completed_tasks: tuple[str, ...] = ()
    cost: CostRow = CostRow()

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "kind": self.kind,
            "assigned": self.assigned,
            "completed": self.completed,
            "requeued": self.requeued,
            "failed_verification": self.failed_verification,
            "lead_time_hours": self.lead_time_hours.to_dict(),
            "cycle_time_hours": self.cycle_time_hours.to_dict(),
            "review_rounds": self.review_rounds,
            "reviewed_prs": self.reviewed_prs,
            "scope_violations": self.scope_violations,
            "reverts": self.reverts,
            "lines_added": self.lines_added,
            "lines_removed": self.lines_removed,
            "hours_saved": self.hours_saved,
            "estimate_vs_actual": self.estimate_vs_actual,
            "keystrokes_saved": self.keystrokes_saved,
            "completed_tasks": list(self.completed_tasks),
            "cost": self.cost.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Unknown:
    task: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"task": self.task, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Sample:
    """One completed task's lead and cycle time, as the report's medians were computed from them.

    Not part of the JSON report; ``leadforge serve`` turns them into Prometheus histograms."""

    task: str
    agent: str
    kind: str
    lead_hours: float | None
    cycle_hours: float | None


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    agents: tuple[AgentRow, ...]
    totals: AgentRow
    unknown: tuple[Unknown, ...]
    formulas: Mapping[str, str]
    sources: Mapping[str, Any]
    samples: tuple[Sample, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "agents": [row.to_dict() for row in self.agents],
            "totals": self.totals.to_dict(),
            "unknown": [u.to_dict() for u in self.unknown],
            "formulas": dict(self.formulas),
            "sources": dict(self.sources),
        }


# ---- helpers ---------------------------------------------------------------------------------


def iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
    return round(value, 2)


def spread(values: Sequence[float]) -> Spread:
    return Spread(percentile(values, 0.5), percentile(values, 0.9))


def hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start) / timedelta(hours=1)


def is_bot(name: str, email: str) -> bool:
    """Commits by automation (``name[bot]``, GitHub Actions) are nobody's work."""
    lowered = f"{name} {email}".lower()
    return "[bot]" in lowered or name.lower().endswith("-bot") or "github-actions" in lowered


def in_scope(path: str, scope: Sequence[str]) -> bool:
    """A path is inside the scope when a glob matches it or one of its folders (``dir`` = ``dir/**``)."""
    return covered_by_any(list(scope), path)


def out_of_scope(paths: Iterable[str], scope: Sequence[str]) -> list[str]:
    if not scope:
        return []
    return sorted({p for p in paths if not p.startswith(QUEUE_PREFIXES) and not in_scope(p, scope)})


# ---- the task timeline -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Happening:
    kind: str  # assigned | requeued | failed | completed
    at: datetime | None
    agent: str


@dataclass(frozen=True, slots=True)
class Timeline:
    task: Task
    happenings: tuple[Happening, ...]
    queued_at: datetime | None
    assigned_at: datetime | None  # the last assignment
    completed_at: datetime | None
    completed_by: str | None  # the agent that completed it (None: not completed)
    verified_at: datetime | None
    scope_flagged: bool


_FIRST_WORD = re.compile(r"^@?([A-Za-z0-9][\w.\-]*)")


def _agent_of(entry_by: str, note: str, people: People, fallback: str | None) -> str:
    """Who an ``assigned`` entry hands the task to.

    The queue writes ``note: "<profile> (<hand-off>), branch <branch>"``; ``to <agent>`` and
    ``agent: <agent>`` are read too, and ``by`` when it names a known profile.
    """
    if entry_by and people.agents is not None and people.known(entry_by):
        return entry_by
    candidates = []
    first = _FIRST_WORD.match(note or "")
    if first and first.group(1).lower() not in {"to", "agent"}:
        candidates.append(first.group(1))
    match = _NOTE_AGENT.search(note or "")
    if match:
        candidates.append(match.group(1).rstrip(".,;"))
    if people.agents is None:  # no profiles to check names against
        if fallback and fallback in candidates:
            return fallback
        return candidates[0] if candidates else fallback or UNKNOWN
    for name in candidates:
        if name in people.agents or name in people.humans:
            return name
    return fallback or UNKNOWN


def timeline(task: Task, people: People) -> Timeline:
    happenings: list[Happening] = []
    holder: str | None = None
    queued_at = parse_timestamp(task.created) if task.created else None
    last_assigned: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    verified_at: datetime | None = None
    scope_flagged = False
    assigned_seen = False
    assign_entries = [i for i, e in enumerate(task.history) if e.event in ASSIGN_EVENTS]
    last_assign_index = assign_entries[-1] if assign_entries else -1
    for index, entry in enumerate(task.history):
        at = parse_timestamp(entry.at)
        event = entry.event
        if event in QUEUE_EVENTS and queued_at is None:
            queued_at = at
        if event in ASSIGN_EVENTS:
            fallback = task.assigned_to if index == last_assign_index else None
            holder = _agent_of(entry.by, entry.note, people, fallback)
            last_assigned = at
            assigned_seen = True
            happenings.append(Happening("assigned", at, holder))
        elif event == "handoff" and holder is None:
            holder = _agent_of(entry.by, entry.note, people, task.assigned_to)
        elif event in REQUEUE_EVENTS:
            happenings.append(Happening("requeued", at, holder or task.assigned_to or UNKNOWN))
            holder = None
        elif event in FAILED_EVENTS:
            happenings.append(Happening("failed", at, holder or task.assigned_to or UNKNOWN))
            if SCOPE_NOTE.search(entry.note or ""):
                scope_flagged = True
        elif event in MERGE_EVENTS:
            verified_at = at
        elif event in COMPLETE_EVENTS:
            completed_at = at or completed_at
            completed_by = holder or task.assigned_to or UNKNOWN
    if not assigned_seen and task.assigned_to:
        at = parse_timestamp(task.assigned_at)
        holder = task.assigned_to
        last_assigned = at
        happenings.append(Happening("assigned", at, holder))
    if task.assigned_at and parse_timestamp(task.assigned_at):
        last_assigned = parse_timestamp(task.assigned_at)
    if queued_at is None and task.history:
        queued_at = parse_timestamp(task.history[0].at)
    if task.state == "completed":
        completed_at = parse_timestamp(task.completed_at) or completed_at
        completed_by = completed_by or holder or task.assigned_to or UNKNOWN
        if completed_by != UNKNOWN and not people.known(completed_by):
            completed_by = UNKNOWN
    else:
        completed_at, completed_by = None, None
    happenings = [h if people.known(h.agent) else Happening(h.kind, h.at, UNKNOWN) for h in happenings]
    return Timeline(task, tuple(happenings), queued_at, last_assigned, completed_at, completed_by, verified_at, scope_flagged)


# ---- the computation -------------------------------------------------------------------------


@dataclass
class _Acc:
    agent: str
    kind: str
    assigned: int = 0
    completed: int = 0
    requeued: int = 0
    failed: int = 0
    lead: list[float] = field(default_factory=list)
    cycle: list[float] = field(default_factory=list)
    review_rounds: int = 0
    reviewed_prs: int = 0
    scope: int = 0
    reverts: int = 0
    added: int = 0
    removed: int = 0
    estimate: float = 0.0
    ratio_estimate: float = 0.0
    ratio_actual: float = 0.0
    tasks: list[str] = field(default_factory=list)
    usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    requests: int = 0
    reports: int = 0

    def cost_row(self) -> CostRow:
        usd = round(self.usd, 4)
        return CostRow(
            usd,
            self.tokens_in,
            self.tokens_out,
            self.requests,
            self.reports,
            round(usd / self.completed, 4) if self.completed and self.reports else None,
            round(usd / self.estimate, 4) if self.estimate > 0 and self.reports else None,
        )

    def row(self, weights: Weights) -> AgentRow:
        ratio = round(self.ratio_estimate / self.ratio_actual, 2) if self.ratio_actual > 0 else None
        keystrokes = self.added * weights.keystrokes_per_line + self.removed * weights.keystrokes_per_removed_line
        return AgentRow(
            agent=self.agent,
            kind=self.kind,
            assigned=self.assigned,
            completed=self.completed,
            requeued=self.requeued,
            failed_verification=self.failed,
            lead_time_hours=spread(self.lead),
            cycle_time_hours=spread(self.cycle),
            review_rounds=self.review_rounds,
            reviewed_prs=self.reviewed_prs,
            scope_violations=self.scope,
            reverts=self.reverts,
            lines_added=self.added,
            lines_removed=self.removed,
            hours_saved=round(self.estimate, 2),
            estimate_vs_actual=ratio,
            keystrokes_saved=round(keystrokes),
            completed_tasks=tuple(sorted(self.tasks)),
            cost=self.cost_row(),
        )


def formulas(weights: Weights) -> dict[str, str]:
    per_line = f"{weights.keystrokes_per_line:g}"
    per_removed = f"{weights.keystrokes_per_removed_line:g}"
    return {
        "keystrokes_saved": f"lines_added x {per_line} + lines_removed x {per_removed} (metrics.keystrokes_per_line, "
        "metrics.keystrokes_per_removed_line)",
        "hours_saved": "sum of estimate_hours of the tasks completed in the period",
        "estimate_vs_actual": "sum of estimate_hours / sum of cycle-time hours, over completed tasks that have both",
        "lead_time_hours": "created (or queued) -> completed",
        "cycle_time_hours": "last assigned -> merged (forge merge time, else the merge commit, else verification)",
        "review_rounds": "per pull request: 1 + reviews requesting changes (0 when it had no review)",
        "lines": "lines added/removed by the commits that landed in the period on the measured branch, per task's agent",
        "cost": "sum of the task cost reports made in the period, charged to the agent named by each report; "
        "usd_per_completed_task = usd / completed, usd_per_hour_saved = usd / hours_saved",
    }


def compute(
    tasks: Sequence[Task],
    *,
    period: Period,
    people: People = People(),
    git: GitIndex | None = None,
    pulls: Mapping[int, PullInfo] | None = None,
    problems: Sequence[tuple[str, str]] = (),
    weights: Weights = Weights(),
) -> Report:
    """The report for ``period``: one row per agent and human, plus ``unknown``; nothing dropped."""
    pulls = pulls or {}
    rows: dict[str, _Acc] = {}
    unknown: list[Unknown] = [Unknown(path, f"unreadable task file: {message}") for path, message in problems]

    def acc(name: str) -> _Acc:
        if name not in rows:
            rows[name] = _Acc(name, people.kind(name))
        return rows[name]

    task_agent: dict[str, str] = {}
    samples: list[Sample] = []
    for task in tasks:
        line = timeline(task, people)
        for happening in line.happenings:
            if happening.at is None:
                if happening.kind == "assigned":
                    unknown.append(Unknown(task.id, "assignment without a timestamp: not placed in any period"))
                continue
            if not period.contains(happening.at):
                continue
            row = acc(happening.agent)
            if happening.kind == "assigned":
                row.assigned += 1
            elif happening.kind == "requeued":
                row.requeued += 1
            elif happening.kind == "failed":
                row.failed += 1
        for report in cost_reports(task):
            at = parse_timestamp(report.at)
            if not period.contains(at):
                continue
            name = report.agent or task.assigned_to or UNKNOWN
            row = acc(name if people.known(name) else UNKNOWN)
            row.usd += report.cost.usd
            row.tokens_in += report.cost.tokens_in
            row.tokens_out += report.cost.tokens_out
            row.requests += report.cost.requests
            row.reports += 1
        if task.assigned_to and not people.known(task.assigned_to):
            unknown.append(Unknown(task.id, f"agent {task.assigned_to!r} has no profile: counted as unknown"))
        holder = task.assigned_to if task.assigned_to and people.known(task.assigned_to) else None
        task_agent[task.id] = line.completed_by or holder or UNKNOWN
        if task.state != "completed":
            continue
        # a completed task
        agent = line.completed_by or UNKNOWN
        if agent == UNKNOWN and not task.assigned_to and not any(h.kind == "assigned" for h in line.happenings):
            unknown.append(Unknown(task.id, "completed task with no agent recorded: counted as unknown"))
        if line.completed_at is None:
            unknown.append(Unknown(task.id, "completed task without completed_at: counted as unknown in every period"))
            agent = UNKNOWN
        elif not period.contains(line.completed_at):
            continue
        task_agent[task.id] = agent
        row = acc(agent)
        row.completed += 1
        row.tasks.append(task.id)
        lead = hours(line.queued_at, line.completed_at)
        if lead is not None:
            row.lead.append(lead)
        elif line.completed_at is not None:
            unknown.append(Unknown(task.id, "no created/queued timestamp: left out of lead time"))
        pull = pulls.get(task.pr) if task.pr is not None else None
        merged = (pull.merged_at if pull else None) or (git.merged_at(task.id) if git else None) or line.verified_at
        merged = merged or line.completed_at
        cycle = hours(line.assigned_at, merged)
        if cycle is not None:
            row.cycle.append(cycle)
        elif line.completed_at is not None:
            unknown.append(Unknown(task.id, "no assignment timestamp: left out of cycle time"))
        if lead is not None or cycle is not None:
            samples.append(Sample(task.id, agent, row.kind, lead, cycle))
        if task.estimate_hours is not None:
            row.estimate += task.estimate_hours
            if cycle is not None and cycle > 0:
                row.ratio_estimate += task.estimate_hours
                row.ratio_actual += cycle
        if pull is not None and pull.review_rounds:
            row.review_rounds += pull.review_rounds
            row.reviewed_prs += 1
        paths = [p for landed in (git.by_task.get(task.id, ()) if git else ()) for p in landed.paths]
        if line.scope_flagged or out_of_scope(paths, task.scope):
            row.scope += 1
    if git is not None:
        covered: set[str] = set()
        for landed in git.landed:
            if not period.contains(landed.at):
                continue
            if landed.task:
                covered.add(landed.task)
                row = acc(task_agent.get(landed.task, UNKNOWN))
            elif (
                weights.untracked_commits
                and not is_bot(landed.author, landed.email)
                and not all(p.startswith(QUEUE_PREFIXES) for p in landed.paths)
                and landed.paths
            ):
                name = people.author(landed.author, landed.email)
                if name not in rows:
                    is_agent = people.agents is not None and name in people.agents and name not in people.humans
                    rows[name] = _Acc(name, "agent" if is_agent else "human")
                row = rows[name]
            else:
                continue
            row.added += landed.added
            row.removed += landed.removed
        for revert in git.reverts:
            if period.contains(revert.at):
                acc(task_agent.get(revert.target_task, UNKNOWN)).reverts += 1
        # pull requests the forge knows but git history does not show (e.g. rebase merges)
        for task in tasks:
            if task.pr is None or task.id in covered or task.pr not in pulls:
                continue
            pull = pulls[task.pr]
            if pull.merged_at and period.contains(pull.merged_at) and task.id not in git.by_task:
                row = acc(task_agent.get(task.id, UNKNOWN))
                row.added += pull.additions
                row.removed += pull.deletions
    else:
        for task in tasks:
            pull = pulls.get(task.pr) if task.pr is not None else None
            if pull and pull.merged_at and period.contains(pull.merged_at):
                row = acc(task_agent.get(task.id, UNKNOWN))
                row.added += pull.additions
                row.removed += pull.deletions
    order = {kind: i for i, kind in enumerate(KINDS)}
    finished = sorted((a.row(weights) for a in rows.values()), key=lambda r: (order.get(r.kind, 9), r.agent.lower()))
    total = _Acc("total", "total")
    for a in rows.values():
        total.assigned += a.assigned
        total.completed += a.completed
        total.requeued += a.requeued
        total.failed += a.failed
        total.lead += a.lead
        total.cycle += a.cycle
        total.review_rounds += a.review_rounds
        total.reviewed_prs += a.reviewed_prs
        total.scope += a.scope
        total.reverts += a.reverts
        total.added += a.added
        total.removed += a.removed
        total.estimate += a.estimate
        total.ratio_estimate += a.ratio_estimate
        total.ratio_actual += a.ratio_actual
        total.usd += a.usd
        total.tokens_in += a.tokens_in
        total.tokens_out += a.tokens_out
        total.requests += a.requests
        total.reports += a.reports
    seen: set[tuple[str, str]] = set()
    listed = []
    for item in sorted(unknown, key=lambda u: (u.task, u.reason)):
        if (item.task, item.reason) not in seen:
            seen.add((item.task, item.reason))
            listed.append(item)
    sources = {
        "tasks": len(tasks),
        "unreadable": len(problems),
        "forge_pulls": len(pulls),
    }
    return Report(period, tuple(finished), total.row(weights), tuple(listed), formulas(weights), sources, tuple(samples))
