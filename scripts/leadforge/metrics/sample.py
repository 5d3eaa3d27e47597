"""A fixed sample queue and history for `leadforge dashboard build --sample`.

Everything here has fixed dates and numbers, so the page it renders is the same on
every run: it is what the visual-regression pipeline screenshots for LeadForge's own
repository (the real dashboard changes with every task, which would make each PR a
visual change).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadforge.metrics.gitlog import GitIndex, Landed, Revert
from leadforge.tasks.costs import cost_note
from leadforge.tasks.taskfile import Cost, HistoryEntry, Task

BASE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
BOT = "leadforge[bot]"
SAMPLE_URL = "https://github.com/example/shop"

_SPEC = (
    # id, title, state, agent, priority, type, hours to assign, hours to merge, lines (+, -), estimate, deps, scope
    ("checkout-page", "One-page checkout", "completed", "copilot", "P1", "feature", 1, 6, (182, 40), 6.0, (), "web/checkout/**"),
    ("search-index", "Search index", "completed", "claude", "P1", "feature", 2, 20, (260, 12), 10.0, (), "api/search/**"),
    ("fix-tax-rounding", "Fix tax rounding", "completed", "openhands", "P0", "bug", 1, 3, (14, 9), 2.0, (), "api/tax/**"),
    ("docs-api", "Document the API", "completed", "mona", "P3", "docs", 5, 30, (120, 4), 4.0, (), "docs/api/**"),
    (
        "search-ui",
        "Search results page",
        "in-progress",
        "copilot",
        "P1",
        "feature",
        1,
        0,
        (0, 0),
        5.0,
        ("search-index",),
        "web/search/**",
    ),
    ("cache-layer", "Cache product reads", "in-progress", "claude", "P2", "refactor", 3, 0, (0, 0), 3.0, (), "api/cache/**"),
    (
        "reviews-widget",
        "Product reviews widget",
        "pending",
        "",
        "P2",
        "feature",
        0,
        0,
        (0, 0),
        8.0,
        ("search-ui",),
        "web/reviews/**",
    ),
    ("gift-cards", "Gift cards", "pending", "", "P2", "feature", 0, 0, (0, 0), 12.0, ("payments-v2",), "api/gift/**"),
    ("dark-mode", "Dark mode", "pending", "", "P3", "feature", 0, 0, (0, 0), 3.0, (), "web/theme/**"),
)


# what the agents' own runs reported (history ``cost`` events): usd, tokens in, tokens out, requests
_COSTS = {
    "checkout-page": (1.2, 0, 0, 30),
    "search-index": (6.4, 1_850_000, 96_000, 41),
    "fix-tax-rounding": (0.85, 310_000, 12_000, 9),
}


def sample_profiles() -> list[Any]:
    """The agents of the sample repository, for the forecast (capacities as in the shipped profiles)."""
    from leadforge.tasks.profiles import Handoff, Profile

    return [
        Profile("claude", Handoff("comment", "@claude"), capacity=2, weight=50),
        Profile("copilot", Handoff("assign", "Copilot"), capacity=3, weight=40),
        Profile("openhands", Handoff("label", "fix-me"), types=("bug", "refactor", "test", "chore"), capacity=2, weight=30),
    ]


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def sample_tasks() -> list[Task]:
    tasks = []
    for n, (task_id, title, state, agent, prio, kind, to_assign, to_merge, _lines, estimate, deps, scope) in enumerate(_SPEC):
        created = BASE + timedelta(hours=4 * n)
        history = [HistoryEntry(_iso(created), "queued", BOT)]
        assigned = created + timedelta(hours=to_assign)
        fields: dict = {}
        if state != "pending":
            history.append(HistoryEntry(_iso(assigned), "assigned", BOT, f"{agent} (sample), branch ai/{task_id}"))
            fields.update(assigned_to=agent, assigned_at=_iso(assigned), branch=f"ai/{task_id}")
        if state == "completed":
            done = assigned + timedelta(hours=to_merge, minutes=10)
            if task_id in _COSTS:
                usd, tokens_in, tokens_out, requests = _COSTS[task_id]
                cost = Cost(usd, tokens_in, tokens_out, requests)
                history.append(
                    HistoryEntry(_iso(done - timedelta(minutes=5)), "cost", agent, cost_note(cost, f"sample:{task_id}"))
                )
                fields["cost"] = cost
            history.append(HistoryEntry(_iso(done), "completed", BOT))
            fields.update(completed_at=_iso(done), pr=100 + n)
        tasks.append(
            Task(
                id=task_id,
                title=title,
                state=state,
                issue=10 + n,
                priority=prio,
                type=kind,
                depends_on=deps,
                scope=(scope,),
                estimate_hours=estimate,
                created=_iso(created),
                history=tuple(history),
                **fields,
            )
        )
    return tasks


def sample_git() -> GitIndex:
    landed = []
    for n, (task_id, _t, state, _a, _p, _k, to_assign, to_merge, (added, removed), _e, _d, scope) in enumerate(_SPEC):
        if state != "completed":
            continue
        at = BASE + timedelta(hours=4 * n + to_assign + to_merge)
        path = scope.replace("**", "main.py")
        landed.append(Landed(f"{n:040x}", at, task_id, "sample", "sample@example.com", added, removed, (path,), True))
    by_task = {item.task: (item,) for item in landed if item.task}
    reverts = (Revert(f"{99:040x}", BASE + timedelta(days=3), "fix-tax-rounding"),)
    return GitIndex(tuple(landed), reverts, len(landed), by_task)
