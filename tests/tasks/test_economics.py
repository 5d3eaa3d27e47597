"""Queue economics, pure parts: the cost ledger and agents' usage files, budgets in the dispatch decision, the
critical-path order, the forecast, recurring templates and tasks from scan findings."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from leadforge.errors import InputError
from leadforge.findings import Finding
from leadforge.tasks.budget import Budget, budget_from_mapping, build_ledger
from leadforge.tasks.costs import (
    claude_execution_cost,
    copilot_usage_cost,
    cost_note,
    openhands_output_cost,
    parse_fields,
    record_cost,
    reports,
    split_evenly,
    trailer_costs,
)
from leadforge.tasks.dispatch import critical_paths, decide
from leadforge.tasks.findings import plan_findings
from leadforge.tasks.forecast import parse_capacities, simulate
from leadforge.tasks.profiles import Handoff, Profile, profile_from_mapping
from leadforge.tasks.recurring import due_instances, instance_id, parse_template
from leadforge.tasks.taskfile import Cost, Task, parse_task, render_task

NOW = "2026-01-20T12:00:00Z"


def t(task_id: str, **fields: Any) -> Task:
    fields.setdefault("title", task_id)
    fields.setdefault("issue", 1)
    fields.setdefault("created", "2026-01-01T00:00:00Z")
    fields.setdefault("scope", (f"src/{task_id}/**",))
    return Task(id=task_id, **fields)


def billed(
    task: Task, usd: float, *, at: str = "2026-01-10T00:00:00Z", agent: str = "claude", source: str = "", tokens: int = 0
) -> Task:
    new = record_cost(task, Cost(usd, tokens, 0, 1), at=at, agent=agent, source=source or f"s-{usd}-{at}")
    assert new is not None
    return new


# ---- the ledger -------------------------------------------------------------------------------------------------


def test_cost_reports_sum_into_the_front_matter_and_a_source_records_once() -> None:
    task = t("a", state="in-progress", assigned_to="claude")
    once = record_cost(task, Cost(1.25, 1000, 200, 3), at="2026-01-05T00:00:00Z", agent="claude", source="claude:run-7-1")
    assert once is not None
    twice = record_cost(once, Cost(0.5, 10, 5, 1), at="2026-01-06T00:00:00Z", agent="claude", source="cli:x")
    assert twice is not None and twice.cost == Cost(1.75, 1010, 205, 4)
    assert record_cost(twice, Cost(9.0), at="2026-01-07T00:00:00Z", agent="claude", source="claude:run-7-1") is None
    assert [(r.agent, r.cost.usd, r.source) for r in reports(twice)] == [
        ("claude", 1.25, "claude:run-7-1"),
        ("claude", 0.5, "cli:x"),
    ]
    # written and read back: the cost block and the history survive, exactly
    again = parse_task(render_task(twice), state="in-progress", source="a.md")
    assert again.cost == twice.cost and again.history == twice.history


def test_bad_cost_front_matter_names_the_key() -> None:
    text = "---\nid: a\ntitle: A\ncost: {usd: -1}\n---\n"
    with pytest.raises(InputError, match=r"'cost.usd' must be a non-negative number"):
        parse_task(text, state="pending", source="a.md")
    with pytest.raises(InputError, match=r"'cost.dollars': unknown key"):
        parse_task("---\nid: a\ntitle: A\ncost: {dollars: 1}\n---\n", state="pending", source="a.md")
    with pytest.raises(InputError, match="not_before"):
        parse_task("---\nid: a\ntitle: A\nnot_before: soon\n---\n", state="pending", source="a.md")


def test_cost_notes_and_trailers_parse_and_reject_bad_numbers() -> None:
    note = cost_note(Cost(0.42, 1200, 300, 2), "cli:abc")
    assert note == "usd=0.42 tokens_in=1200 tokens_out=300 requests=2 source=cli:abc"
    assert parse_fields(note, "x") == (Cost(0.42, 1200, 300, 2), "cli:abc")
    body = "Done.\n\nLeadforge-Cost: usd=3.10 tokens_in=90000 tokens_out=4000 requests=12\nleadforge-cost: usd=$0.90\n"
    assert trailer_costs(body, "#5 body") == [(Cost(3.1, 90000, 4000, 12), ""), (Cost(0.9), "")]
    with pytest.raises(InputError, match="#5 body: Leadforge-Cost: tokens_in must be a whole number"):
        trailer_costs("Leadforge-Cost: usd=1 tokens_in=1.5", "#5 body")


CLAUDE_EXECUTION = [
    {"type": "system", "subtype": "init", "model": "claude-sonnet-4-5"},
    {"type": "assistant", "message": {"content": []}},
    {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "num_turns": 14,
        "duration_ms": 93000,
        "total_cost_usd": 0.8731,
        "usage": {"input_tokens": 40, "output_tokens": 5100},
        "modelUsage": {
            "claude-sonnet-4-5": {
                "inputTokens": 40,
                "outputTokens": 5100,
                "cacheReadInputTokens": 210000,
                "cacheCreationInputTokens": 18000,
                "costUSD": 0.83,
            },
            "claude-haiku-4-5": {"inputTokens": 900, "outputTokens": 100, "costUSD": 0.0431},
        },
    },
]


def test_claude_execution_file_gives_cost_tokens_and_turns() -> None:
    cost = claude_execution_cost(json.dumps(CLAUDE_EXECUTION))
    assert cost == Cost(0.8731, 40 + 210000 + 18000 + 900, 5100 + 100, 14)
    # JSON lines work too, and the last result wins
    lines = "\n".join(json.dumps(m) for m in [*CLAUDE_EXECUTION, {"type": "result", "total_cost_usd": 1.5, "num_turns": 2}])
    assert claude_execution_cost(lines) == Cost(1.5, 0, 0, 2)
    with pytest.raises(InputError, match="no message with type 'result'"):
        claude_execution_cost(json.dumps(CLAUDE_EXECUTION[:2]), "out.json")


def test_openhands_output_reads_the_line_of_the_issue() -> None:
    lines = [
        {
            "issue": {"number": 7},
            "success": True,
            "metrics": {
                "accumulated_cost": 0.61,
                "max_budget_per_task": 4.0,
                "accumulated_token_usage": {"prompt_tokens": 52000, "completion_tokens": 3100},
                "costs": [{"cost": 0.3}, {"cost": 0.31}],
            },
        },
        {"issue": {"number": 8}, "success": False, "metrics": {"accumulated_cost": 2.0}},
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    assert openhands_output_cost(text, 7) == Cost(0.61, 52000, 3100, 2)
    assert openhands_output_cost(text).usd == pytest.approx(2.61)
    with pytest.raises(InputError, match="no line with metrics for issue #9"):
        openhands_output_cost(text, 9)


def test_copilot_usage_counts_the_billed_amount_and_premium_requests() -> None:
    payload = {
        "timePeriod": {"year": 2026, "month": 1, "day": 5},
        "organization": "octo-org",
        "user": "copilot-bot",
        "usageItems": [
            {
                "product": "Copilot",
                "sku": "Copilot Premium Request",
                "model": "Claude Sonnet 4",
                "unitType": "requests",
                "pricePerUnit": 0.04,
                "grossQuantity": 120,
                "grossAmount": 4.8,
                "discountQuantity": 50,
                "discountAmount": 2.0,
                "netQuantity": 70,
                "netAmount": 2.8,
            },
            {
                "product": "Copilot",
                "sku": "Copilot Premium Request",
                "model": "GPT-5",
                "unitType": "requests",
                "pricePerUnit": 0.04,
                "grossQuantity": 10,
                "grossAmount": 0.4,
                "discountQuantity": 0,
                "discountAmount": 0.0,
                "netQuantity": 10,
                "netAmount": 0.4,
            },
        ],
    }
    assert copilot_usage_cost(payload) == Cost(3.2, 0, 0, 130)
    assert split_evenly(Cost(1.0, 0, 0, 7), ["a", "b", "c"]) == {
        "a": Cost(0.333334, 0, 0, 3),
        "b": Cost(0.333333, 0, 0, 2),
        "c": Cost(0.333333, 0, 0, 2),
    }


# ---- budgets in dispatch ------------------------------------------------------------------------------------------


CLAUDE = Profile(
    "claude", Handoff("comment", "@claude"), capacity=5, weight=50, budget=Budget(usd_per_month=20.0, usd_per_task=6.0)
)
COPILOT = Profile("copilot", Handoff("assign", "Copilot"), capacity=5, weight=40)
HUMAN = Profile("human", Handoff("label", "needs-human"), capacity=5, weight=0, extra={"kind": "human"})


def history_of_claude() -> list[Task]:
    """Two completed claude tasks: 8 USD over 4 estimated hours -> 2 USD per hour; 9 USD spent this month."""
    done1 = billed(
        t("d1", state="completed", assigned_to="claude", estimate_hours=2.0, completed_at="2025-12-20T00:00:00Z"),
        3.0,
        at="2025-12-20T00:00:00Z",
    )
    done2 = billed(
        t("d2", state="completed", assigned_to="claude", estimate_hours=2.0, completed_at="2026-01-12T00:00:00Z"),
        5.0,
        at="2026-01-12T00:00:00Z",
    )
    running = billed(t("r1", state="in-progress", assigned_to="claude", estimate_hours=3.0), 4.0, at="2026-01-15T00:00:00Z")
    return [done1, done2, running]


def test_expected_cost_comes_from_the_agents_recent_cost_per_estimated_hour() -> None:
    ledger = build_ledger(history_of_claude(), NOW, budgets={"claude": CLAUDE.budget})
    assert ledger.month == "2026-01"
    assert ledger.rates["claude"].usd_per_hour == 2.0
    assert ledger.spent_usd["claude"] == 9.0  # December's 3 USD is last month
    assert ledger.committed_usd["claude"] == pytest.approx(2.0)  # r1: 3 h x 2 = 6 expected, 4 reported
    assert ledger.expected(t("x", estimate_hours=1.5), "claude", CLAUDE.budget).usd == 3.0
    people = build_ledger(history_of_claude(), NOW, humans=["human"])
    assert people.expected(t("x", estimate_hours=1.5), "human", None).usd == 0.0


def test_no_history_falls_back_to_the_repository_rate_then_the_per_task_cap_then_zero() -> None:
    other = billed(
        t("o", state="completed", assigned_to="copilot", estimate_hours=4.0, completed_at="2026-01-02T00:00:00Z"),
        2.0,
        agent="copilot",
    )
    ledger = build_ledger([other], NOW)
    assert ledger.expected(t("x", estimate_hours=2.0), "claude", None).usd == 1.0  # repository: 0.5 USD/h
    empty = build_ledger([], NOW, default_estimate=3.0)
    expected = empty.expected(t("x"), "claude", Budget(usd_per_task=6.0))
    assert (expected.usd, "per-task cap" in expected.basis) == (6.0, True)
    assert empty.expected(t("x"), "claude", None).usd == 0.0


def test_dispatch_never_passes_a_monthly_budget_and_names_it_or_uses_another_agent() -> None:
    tasks = [
        *history_of_claude(),
        t("p1", estimate_hours=2.0, priority="P1", agent="claude"),  # 4 USD: 9 + 2 + 4 = 15 <= 20
        t("p2", estimate_hours=2.0, priority="P2", agent="claude", created="2026-01-02T00:00:00Z"),  # 15 + 4 = 19
        t("p3", estimate_hours=1.0, priority="P2", agent="claude", created="2026-01-03T00:00:00Z"),  # 19 + 2 > 20
        t("p4", estimate_hours=2.0, priority="P3"),  # auto: claude is out of budget -> copilot
    ]
    plan = decide(tasks, [CLAUDE, COPILOT, HUMAN], now=NOW)
    assert [(a.task, a.agent) for a in plan.assigned] == [("p1", "claude"), ("p2", "claude"), ("p4", "copilot")]
    assert [a.expected_usd for a in plan.assigned[:2]] == [4.0, 4.0]
    waiting = {w.task: w.reason for w in plan.waiting}
    assert waiting["p3"].startswith(
        "agent claude: budget claude.budget.usd_per_month: 9.00 spent + 10.00 committed + 2.00 expected > 20.00 USD (2026-01)"
    )
    assert plan.to_dict()["budget_alerts"] == []  # 9 of 20 spent: below 80%


def test_per_task_cap_and_the_repository_budget_refuse_with_the_budget_named() -> None:
    tasks = [*history_of_claude(), t("big", estimate_hours=4.0, agent="claude"), t("any", estimate_hours=1.0, priority="P3")]
    plan = decide(tasks, [CLAUDE, HUMAN], now=NOW)
    assert {w.task: w.reason for w in plan.waiting}["big"].startswith(
        "agent claude: budget claude.budget.usd_per_task: expected 8.00 USD (4 h x 2.00 USD/h"
    )
    # the whole repository: 9 spent + 2 committed; a 10 USD month leaves no room for claude's 2 USD task, only a person
    repo = Budget(usd_per_month=10.0)
    plan = decide([*history_of_claude(), t("any", estimate_hours=1.0)], [CLAUDE, HUMAN], now=NOW, budget=repo)
    assert [(a.task, a.agent) for a in plan.assigned] == [("any", "human")]
    alerts = {(a.scope, a.threshold) for a in plan.alerts}
    assert alerts == {("repository", 80)}  # 9 of 10 spent


def test_thresholds_are_reported_at_80_and_95_percent_of_reported_spend() -> None:
    tasks = [*history_of_claude(), billed(t("r2", state="in-progress", assigned_to="claude"), 10.0, at="2026-01-18T00:00:00Z")]
    plan = decide(tasks, [CLAUDE], now=NOW)
    assert [(a.scope, a.limit, a.threshold, a.key) for a in plan.alerts] == [
        ("claude", "usd_per_month", 95, "budget:claude:usd_per_month:2026-01:95")
    ]
    assert "at 95% (19.00 of 20.00 USD)" in plan.alerts[0].text()


def test_budget_mappings_are_checked() -> None:
    assert budget_from_mapping({"usd_per_month": 50}, "x") == Budget(usd_per_month=50.0)
    assert budget_from_mapping({}, "x") is None
    with pytest.raises(InputError, match=r"profiles/a.yml: budget.usd_per_day: unknown key"):
        profile_from_mapping({"name": "a", "handoff": {"label": "x"}, "budget": {"usd_per_day": 1}}, "profiles/a.yml")
    with pytest.raises(InputError, match="tokens_per_month: must be a whole number"):
        budget_from_mapping({"tokens_per_month": 1.5}, "tasks.budget")


# ---- order, not_before, hand-written tasks -------------------------------------------------------------------------


def test_within_a_priority_the_longer_chain_of_unblocked_work_goes_first() -> None:
    tasks = [
        t("old-leaf", estimate_hours=1.0, created="2026-01-01T00:00:00Z"),
        t("new-root", estimate_hours=1.0, created="2026-01-05T00:00:00Z"),
        t("child", estimate_hours=5.0, depends_on=("new-root",)),
        t("urgent", estimate_hours=1.0, priority="P0", created="2026-01-09T00:00:00Z"),
    ]
    assert critical_paths(tasks)["new-root"] == 6.0 and critical_paths(tasks)["old-leaf"] == 1.0
    one = Profile("solo", Handoff("label", "x"), capacity=2)
    plan = decide(tasks, [one])
    assert [a.task for a in plan.assigned] == ["urgent", "new-root"]  # priority first, then the critical path


def test_not_before_delays_a_task_until_its_time() -> None:
    tasks = [t("later", not_before="2026-02-01T00:00:00Z"), t("now")]
    plan = decide(tasks, [COPILOT], now=NOW)
    assert [a.task for a in plan.assigned] == ["now"]
    assert [(w.task, w.reason) for w in plan.waiting] == [("later", "not before 2026-02-01T00:00:00Z")]
    assert [a.task for a in decide(tasks, [COPILOT], now="2026-02-01T00:00:00Z").assigned] == ["later", "now"]


def test_a_hand_written_task_goes_to_any_hand_off_when_dispatch_may_open_its_issue() -> None:
    task = t("handmade", issue=None)
    assert decide([task], [COPILOT]).blocked  # as before: nobody to hand it to
    plan = decide([task], [COPILOT], open_issues=True)
    assert [(a.task, a.agent, a.opens_issue) for a in plan.assigned] == [("handmade", "copilot", True)]
    assert plan.to_dict()["assigned"][0]["opens_issue"] is True


# ---- forecast ----------------------------------------------------------------------------------------------------


def test_forecast_follows_dependencies_scopes_and_capacity_and_finds_the_critical_path() -> None:
    tasks = [
        t("running", state="in-progress", assigned_to="a", assigned_at="2026-01-20T10:00:00Z", estimate_hours=3.0),
        t("after", depends_on=("running",), estimate_hours=4.0),
        t("same-scope", scope=("src/running/x.py",), estimate_hours=1.0),
        t("free", estimate_hours=2.0, priority="P1"),
        t("free2", estimate_hours=2.0),
        t("ghost", depends_on=("missing",)),
    ]
    agents = [Profile("a", Handoff("label", "a"), capacity=1), Profile("b", Handoff("label", "b"), capacity=1)]
    forecast = simulate(tasks, agents, now=NOW)
    slots = {s.task: (s.agent, s.start, s.finish) for s in forecast.slots}
    assert slots["running"] == ("a", 0.0, 1.0)  # 3 h estimate, 2 h already spent
    assert slots["free"] == ("b", 0.0, 2.0)
    assert slots["same-scope"][1] >= 1.0  # waits for the overlapping running task
    assert slots["after"][1] == pytest.approx(1.0) and slots["after"][2] == pytest.approx(5.0)
    assert forecast.critical_path == ("running", "after") and forecast.critical_hours == 5.0
    assert forecast.total_hours == 5.0 and [u.task for u in forecast.unscheduled] == ["ghost"]
    data = forecast.to_dict()
    assert data["finish_at"] == "2026-01-20T17:00:00Z" and data["lower_bound_hours"] == 5.0
    # what if: a third agent does not help a chain
    wider = simulate(tasks, [*agents, Profile("c", Handoff("label", "c"), capacity=1)], now=NOW)
    assert wider.total_hours == 5.0
    assert simulate(tasks, agents, now=NOW).to_dict() == data  # deterministic
    assert parse_capacities("a=2, b=0") == {"a": 2, "b": 0}
    with pytest.raises(InputError, match="--agents: expected name=capacity"):
        parse_capacities("a:2")


def test_the_critical_order_beats_age_order_on_a_long_chain() -> None:
    tasks = [t(f"short{i}", estimate_hours=3.0, created=f"2026-01-01T00:0{i}:00Z") for i in range(2)]
    tasks += [t("c0", estimate_hours=2.0, created="2026-01-02T00:00:00Z")]
    tasks += [t(f"c{i}", estimate_hours=2.0, depends_on=(f"c{i - 1}",), created="2026-01-02T00:00:00Z") for i in range(1, 3)]
    two = [Profile("a", Handoff("label", "a"), capacity=2)]
    ours, peer = simulate(tasks, two, policy="critical"), simulate(tasks, two, policy="age")
    assert ours.total_hours == pytest.approx(6.0)  # the chain starts at once; the short tasks fill the other slot
    assert peer.total_hours == pytest.approx(9.0)  # the older short tasks first, then the whole chain
    assert ours.lower_bound == pytest.approx(6.0)
    assert simulate(tasks, [Profile("a", Handoff("label", "a"), capacity=1)]).total_hours == pytest.approx(12.0)


# ---- recurring templates -------------------------------------------------------------------------------------------


TEMPLATE = (
    '---\ntitle: Refresh dependencies\nschedule: "0 6 * * 1"\ntype: chore\nscope: [requirements.lock, uv.lock]\n---\n'
    "\nRun uv lock.\n"
)


def test_a_due_template_makes_one_instance_per_period_with_a_derived_id() -> None:
    template = parse_template(TEMPLATE, name="deps-refresh", source="docs/TASKS/recurring/deps-refresh.md")
    made = due_instances([template], [], "2026-01-21T09:00:00Z")  # Wednesday: the period began Monday 06:00
    assert [(m.id, m.created, m.from_template, m.type, m.scope) for m in made] == [
        ("deps-refresh-20260119t0600", "2026-01-19T06:00:00Z", "deps-refresh", "chore", ("requirements.lock", "uv.lock"))
    ]
    assert made[0].body.strip() == "Run uv lock." and made[0].history[0].event == "queued"
    assert due_instances([template], made, "2026-01-25T23:59:00Z") == []  # same period: nothing
    done = [Task(**{**{f: getattr(made[0], f) for f in made[0].__slots__}, "state": "completed"})]
    assert due_instances([template], done, "2026-01-22T00:00:00Z") == []  # completed counts too
    assert [m.id for m in due_instances([template], made, "2026-01-26T06:00:00Z")] == ["deps-refresh-20260126t0600"]
    assert made[0].created
    assert instance_id("x", datetime(2026, 1, 2, 3, 4)) == "x-20260102t0304"


def test_bad_templates_are_errors_naming_the_file() -> None:
    with pytest.raises(InputError, match=r"deps.md: 'schedule' '61 \* \* \* \*' is not a five-field cron"):
        parse_template(TEMPLATE.replace("0 6 * * 1", "61 * * * *"), name="deps", source="deps.md")
    with pytest.raises(InputError, match="'schedule' is required"):
        parse_template("---\ntitle: x\n---\n", name="deps", source="deps.md")
    with pytest.raises(InputError, match="'assigned_to' has no meaning in a template"):
        parse_template(TEMPLATE.replace("type: chore", "assigned_to: claude"), name="deps", source="deps.md")


# ---- tasks from findings -------------------------------------------------------------------------------------------


def finding(rule: str, path: str, line: int, severity: str = "error") -> Finding:
    return Finding("semgrep", rule, severity, path, line, message=f"{rule} here", code_line=f"{path}:{line}")


def test_new_findings_make_one_task_per_rule_and_file_group_and_never_two() -> None:
    found = [
        finding("eval", "a.py", 1),
        finding("eval", "a.py", 9),
        finding("eval", "b.py", 3),
        finding("eval", "c.py", 4),
        finding("yaml-load", "a.py", 2, "warning"),
    ]
    plan = plan_findings(found, [], now=NOW, max_files=2)
    made = {t.title: t for t in plan.new}
    assert sorted(made) == [
        "Fix eval (semgrep) in 1 file(s)",
        "Fix eval (semgrep) in 2 file(s)",
        "Fix yaml-load (semgrep) in 1 file(s)",
    ]
    pair = made["Fix eval (semgrep) in 2 file(s)"]
    assert pair.scope == ("a.py", "b.py") and len(pair.findings) == 3 and pair.priority == "P1" and pair.type == "security"
    assert made["Fix yaml-load (semgrep) in 1 file(s)"].priority == "P2"
    again = plan_findings(found, list(plan.new), now=NOW, max_files=2)
    assert again.new == () and again.resolved == ()
    assert [t.id for t in plan_findings(found, [], now=NOW, max_files=2).new] == [t.id for t in plan.new]  # same ids
    # a.py and b.py fixed: the pair's task completes; c.py's stays open
    fixed = plan_findings([finding("eval", "c.py", 4), finding("yaml-load", "a.py", 2, "warning")], list(plan.new), now=NOW)
    assert [i for i, _ in fixed.resolved] == [pair.id] and "no longer reports any of its 3" in fixed.resolved[0][1]
