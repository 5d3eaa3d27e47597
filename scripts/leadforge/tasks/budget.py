"""AI cost budgets: what each agent (and the repository) spent this month and may still spend (pure).

A budget (``budget:`` in a profile, ``tasks.budget`` for the whole repository) has up to three limits:
``usd_per_month``, ``tokens_per_month`` (calendar month, UTC) and ``usd_per_task``.

* **Spent** this month: the cost reports (``costs.reports``) made this month, charged to the agent named by the
  report (else the task's holder).
* **Committed**: for every in-progress task, its expected cost minus what it reported so far (never below 0), so
  work already handed out counts before its bill arrives and two dispatch runs cannot both spend the same room.
* **Expected cost** of a task = its estimate (``estimate_hours``, else ``tasks.default_estimate_hours``) x the
  agent's recent cost per estimated hour: the agent's last ``RATE_WINDOW`` completed tasks that have both an
  estimate and a cost. Fallbacks, in order: the same over every agent's completed tasks (the repository's rate);
  the agent's ``usd_per_task`` cap (with no history, assume a task may cost what its cap allows); 0 (only money
  actually reported counts). People (profiles with ``extra: {kind: human}``) are not metered: expected 0.

Dispatch assigns a task to an agent only when spent + committed + expected stays within every limit that applies
(the agent's and the repository's), and the expected cost stays within ``usd_per_task``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadforge.errors import InputError
from leadforge.tasks.costs import reports
from leadforge.tasks.taskfile import Task, parse_timestamp

BUDGET_KEYS = ("usd_per_month", "usd_per_task", "tokens_per_month")
REPOSITORY = "repository"  # the scope name of the repository-wide budget (tasks.budget)
RATE_WINDOW = 20  # completed tasks that make an agent's recent cost per estimated hour
THRESHOLDS = (80, 95)  # percent of a monthly budget at which dispatch says so (once each per month)


@dataclass(frozen=True, slots=True)
class Budget:
    usd_per_month: float | None = None
    usd_per_task: float | None = None
    tokens_per_month: int | None = None

    def is_set(self) -> bool:
        return any(v is not None for v in (self.usd_per_month, self.usd_per_task, self.tokens_per_month))

    def to_dict(self) -> dict[str, float | int | None]:
        return {"usd_per_month": self.usd_per_month, "usd_per_task": self.usd_per_task, "tokens_per_month": self.tokens_per_month}


def budget_from_mapping(raw: Any, where: str) -> Budget | None:
    """``{usd_per_month, usd_per_task, tokens_per_month}`` (each optional, >= 0) -> Budget; errors name ``where``."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be a mapping of {', '.join(BUDGET_KEYS)}")
    unknown = sorted(set(raw) - set(BUDGET_KEYS))
    if unknown:
        raise InputError(f"{where}.{unknown[0]}: unknown key (use {', '.join(BUDGET_KEYS)})")
    values: dict[str, Any] = {}
    for key in BUDGET_KEYS:
        value = raw.get(key)
        if value is None:
            values[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise InputError(f"{where}.{key}: must be a number >= 0, got {value!r}")
        if key == "tokens_per_month" and not float(value).is_integer():
            raise InputError(f"{where}.{key}: must be a whole number, got {value!r}")
        values[key] = int(value) if key == "tokens_per_month" else float(value)
    budget = Budget(**values)
    return budget if budget.is_set() else None


def month_of(at: str) -> str:
    """``2026-01-05T10:00:00Z`` -> ``2026-01`` (the budget period); "" for an unreadable time."""
    moment = parse_timestamp(at)
    return f"{moment.year:04d}-{moment.month:02d}" if moment else ""


@dataclass(frozen=True, slots=True)
class Rate:
    usd_per_hour: float | None
    tokens_per_hour: float | None
    basis: str  # how it was found, for reasons and the forecast


@dataclass(frozen=True, slots=True)
class Expected:
    usd: float
    tokens: int
    basis: str


@dataclass
class Ledger:
    """Spend this month and committed (expected, not yet reported) cost of in-progress work, per agent.

    Mutable on purpose: the dispatch pass adds each assignment's expected cost to ``committed`` as it goes.
    """

    month: str
    default_estimate: float
    humans: frozenset[str] = frozenset()
    spent_usd: dict[str, float] = field(default_factory=dict)
    spent_tokens: dict[str, int] = field(default_factory=dict)
    committed_usd: dict[str, float] = field(default_factory=dict)
    committed_tokens: dict[str, int] = field(default_factory=dict)
    rates: dict[str, Rate] = field(default_factory=dict)
    repository_rate: Rate = Rate(None, None, "no completed task has both an estimate and a cost")

    def rate(self, agent: str) -> Rate:
        own = self.rates.get(agent)
        if own is not None:
            return own
        return self.repository_rate

    def expected(self, task: Task, agent: str, budget: Budget | None) -> Expected:
        if agent in self.humans:
            return Expected(0.0, 0, f"{agent} is a person: not metered")
        hours = task.estimate_hours if task.estimate_hours is not None else self.default_estimate
        rate = self.rate(agent)
        if rate.usd_per_hour is not None:
            usd = round(hours * rate.usd_per_hour, 4)
            tokens = round(hours * (rate.tokens_per_hour or 0.0))
            return Expected(usd, tokens, f"{hours:g} h x {rate.usd_per_hour:.2f} USD/h ({rate.basis})")
        if budget is not None and budget.usd_per_task is not None:
            return Expected(budget.usd_per_task, 0, f"no cost history: assumed the per-task cap {budget.usd_per_task:.2f} USD")
        return Expected(0.0, 0, "no cost history: only reported spend counts")

    def spent(self, agents: Sequence[str]) -> tuple[float, int]:
        """USD and tokens these agents reported this month."""
        return sum(self.spent_usd.get(a, 0.0) for a in agents), sum(self.spent_tokens.get(a, 0) for a in agents)

    def committed(self, agents: Sequence[str]) -> tuple[float, int]:
        """USD and tokens these agents' in-progress work is expected to cost beyond what it reported."""
        return sum(self.committed_usd.get(a, 0.0) for a in agents), sum(self.committed_tokens.get(a, 0) for a in agents)

    def commit(self, agent: str, expected: Expected) -> None:
        self.committed_usd[agent] = self.committed_usd.get(agent, 0.0) + expected.usd
        self.committed_tokens[agent] = self.committed_tokens.get(agent, 0) + expected.tokens


def _rate(tasks: Sequence[Task], basis: str) -> Rate | None:
    usd = tokens = hours = 0.0
    for task in tasks:
        usd += task.cost.usd if task.cost else 0.0
        tokens += task.cost.tokens if task.cost else 0
        hours += task.estimate_hours or 0.0
    if hours <= 0:
        return None
    return Rate(round(usd / hours, 4), round(tokens / hours, 1), basis)


def build_ledger(
    tasks: Iterable[Task],
    now: str,
    *,
    default_estimate: float = 2.0,
    budgets: Mapping[str, Budget | None] | None = None,
    humans: Iterable[str] = (),
) -> Ledger:
    """Spend of the month of ``now``, recent rates, and the committed cost of in-progress tasks."""
    tasks = list(tasks)
    ledger = Ledger(month_of(now) if now else "", default_estimate, frozenset(humans))
    metered = [t for t in tasks if t.state == "completed" and t.cost is not None and t.estimate_hours]
    metered.sort(key=lambda t: (t.completed_at or "", t.id), reverse=True)
    by_agent: dict[str, list[Task]] = {}
    for task in metered:
        by_agent.setdefault(task.assigned_to or "", []).append(task)
    for agent, done in by_agent.items():
        rate = _rate(done[:RATE_WINDOW], f"{agent}'s last {min(len(done), RATE_WINDOW)} completed task(s)")
        if agent and rate is not None:
            ledger.rates[agent] = rate
    repo_rate = _rate(
        metered[:RATE_WINDOW], f"no history for this agent: the repository's last {min(len(metered), RATE_WINDOW)} task(s)"
    )
    if repo_rate is not None:
        ledger.repository_rate = repo_rate
    for task in tasks:
        for report in reports(task):
            if ledger.month and month_of(report.at) != ledger.month:
                continue
            agent = report.agent or task.assigned_to or ""
            ledger.spent_usd[agent] = ledger.spent_usd.get(agent, 0.0) + report.cost.usd
            ledger.spent_tokens[agent] = ledger.spent_tokens.get(agent, 0) + report.cost.tokens
    budgets = budgets or {}
    for task in tasks:
        if task.state != "in-progress" or not task.assigned_to:
            continue
        agent = task.assigned_to
        expected = ledger.expected(task, agent, budgets.get(agent))
        so_far = task.cost or None
        remaining_usd = max(0.0, expected.usd - (so_far.usd if so_far else 0.0))
        remaining_tokens = max(0, expected.tokens - (so_far.tokens if so_far else 0))
        ledger.commit(agent, Expected(remaining_usd, remaining_tokens, expected.basis))
    return ledger


def _money(value: float) -> str:
    return f"{value:,.2f}"


def refusal(
    scope: str, budget: Budget | None, expected: Expected, ledger: Ledger, agents: Sequence[str], metered: bool = True
) -> str | None:
    """Why ``budget`` (of ``scope``: an agent, or ``REPOSITORY`` over ``agents``) refuses this task, or None.

    A monthly limit refuses when spent + committed + expected passes it, or, for a metered agent, when spent +
    committed already reached it (an agent with no cost history has an expected cost of 0 but is still stopped
    once its month is used up). People (``metered=False``) add nothing and are never refused.
    """
    if budget is None or not metered:
        return None
    name = "tasks.budget" if scope == REPOSITORY else f"{scope}.budget"
    if budget.usd_per_task is not None and expected.usd > budget.usd_per_task:
        return (
            f"budget {name}.usd_per_task: expected {_money(expected.usd)} USD ({expected.basis}) "
            f"> {_money(budget.usd_per_task)} USD"
        )
    spent_usd, spent_tokens = ledger.spent(agents)
    committed_usd, committed_tokens = ledger.committed(agents)
    if budget.usd_per_month is not None and (
        spent_usd + committed_usd + expected.usd > budget.usd_per_month + 1e-9
        or spent_usd + committed_usd >= budget.usd_per_month
    ):
        return (
            f"budget {name}.usd_per_month: {_money(spent_usd)} spent + {_money(committed_usd)} committed + "
            f"{_money(expected.usd)} expected > {_money(budget.usd_per_month)} USD ({ledger.month})"
        )
    if budget.tokens_per_month is not None and (
        spent_tokens + committed_tokens + expected.tokens > budget.tokens_per_month
        or spent_tokens + committed_tokens >= budget.tokens_per_month
    ):
        return (
            f"budget {name}.tokens_per_month: {spent_tokens:,} spent + {committed_tokens:,} committed + "
            f"{expected.tokens:,} expected > {budget.tokens_per_month:,} tokens ({ledger.month})"
        )
    return None


@dataclass(frozen=True, slots=True)
class Alert:
    """A monthly budget at or past a threshold (80 or 95 percent of its limit), from reported spend."""

    scope: str  # agent name or REPOSITORY
    limit: str  # usd_per_month | tokens_per_month
    threshold: int
    used: float
    cap: float
    month: str

    @property
    def key(self) -> str:
        """The marker of its tracking-issue comment: one comment per budget, limit, month and threshold."""
        return f"budget:{self.scope}:{self.limit}:{self.month}:{self.threshold}"

    @property
    def percent(self) -> float:
        return round(100.0 * self.used / self.cap, 1) if self.cap else 100.0

    def text(self) -> str:
        name = "tasks.budget" if self.scope == REPOSITORY else f"{self.scope}.budget"
        unit = "USD" if self.limit == "usd_per_month" else "tokens"
        used = _money(self.used) if unit == "USD" else f"{int(self.used):,}"
        cap = _money(self.cap) if unit == "USD" else f"{int(self.cap):,}"
        return (
            f"budget {name}.{self.limit} is at {self.percent:g}% ({used} of {cap} {unit}) in {self.month}: past {self.threshold}%"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "limit": self.limit,
            "threshold": self.threshold,
            "used": round(self.used, 4),
            "cap": self.cap,
            "percent": self.percent,
            "month": self.month,
        }


def alerts(ledger: Ledger, budgets: Mapping[str, Budget | None], repository: Budget | None) -> list[Alert]:
    """The highest threshold each monthly limit has reached (reported spend only), agents by name, then the repository."""
    found = []
    scopes: list[tuple[str, Budget | None, list[str]]] = [(name, b, [name]) for name, b in sorted(budgets.items())]
    everyone = sorted(set(ledger.spent_usd) | set(ledger.spent_tokens))
    scopes.append((REPOSITORY, repository, everyone))
    for scope, budget, agents in scopes:
        if budget is None:
            continue
        usd, tokens = ledger.spent(agents)
        for limit, cap, used in (
            ("usd_per_month", budget.usd_per_month, usd),
            ("tokens_per_month", budget.tokens_per_month, float(tokens)),
        ):
            if cap is None:
                continue
            reached = [t for t in THRESHOLDS if used >= cap * t / 100.0 and (cap > 0 or used > 0)]
            if reached:
                found.append(Alert(scope, limit, max(reached), used, float(cap), ledger.month))
    return found
