"""The dispatch decision: readiness, order, overlap, agents, capacity, blocked reasons, maximality."""

from __future__ import annotations

import itertools
import random
from typing import Any

from leadforge.tasks.dispatch import branch_name, critical_paths, decide, order_key, slugify
from leadforge.tasks.profiles import Handoff, Profile
from leadforge.tasks.scopes import scopes_meet
from leadforge.tasks.taskfile import Task

COPILOT = Profile("copilot", Handoff("assign", "Copilot"), types=("feature", "bug"), capacity=2, weight=30)
CLAUDE = Profile("claude", Handoff("comment", "@claude"), capacity=1, weight=50)
HUMAN = Profile("human", Handoff("label", "needs-human"), capacity=1, weight=0)


def t(task_id: str, **fields: Any) -> Task:
    fields.setdefault("title", task_id)
    fields.setdefault("issue", 1)
    fields.setdefault("created", "2026-01-01T00:00:00Z")
    return Task(id=task_id, **fields)


def test_ready_tasks_go_in_priority_then_age_order_to_the_heaviest_free_agent() -> None:
    tasks = [
        t("old-p2", priority="P2", created="2026-01-01T00:00:00Z", scope=("a/**",)),
        t("new-p0", priority="P0", created="2026-03-01T00:00:00Z", scope=("b/**",)),
        t("new-p2", priority="P2", created="2026-02-01T00:00:00Z", scope=("c/**",)),
    ]
    plan = decide(tasks, [COPILOT, CLAUDE, HUMAN])
    assert [(a.task, a.agent) for a in plan.assigned] == [("new-p0", "claude"), ("old-p2", "copilot"), ("new-p2", "copilot")]
    assert plan.waiting == () and plan.blocked == ()


def test_a_task_waits_while_its_scope_overlaps_in_progress_or_just_assigned_work() -> None:
    tasks = [
        t("running", state="in-progress", assigned_to="human", scope=("src/api/**",)),
        t("inside", scope=("src/api/v1/users.py",), priority="P0"),
        t("first", scope=("docs/*.md",), priority="P1"),
        t("second", scope=("docs/guide.md",), priority="P2"),
        t("apart", scope=("docs/*.txt",), priority="P3"),
    ]
    plan = decide(tasks, [COPILOT, CLAUDE, HUMAN])
    assert [a.task for a in plan.assigned] == ["first", "apart"]
    reasons = {w.task: w.reason for w in plan.waiting}
    assert "overlaps running (in progress: src/api/**)" in reasons["inside"]
    assert "overlaps first (just assigned: docs/*.md)" in reasons["second"]


def test_glob_overlap_reason_names_a_tracked_witness_when_there_is_one() -> None:
    tasks = [t("a", state="in-progress", assigned_to="human", scope=("src/*_test.py",)), t("b", scope=("src/api_*",))]
    plan = decide(tasks, [CLAUDE, HUMAN], tracked=lambda: ["src/api_test.py", "src/other.py"])
    assert plan.waiting[0].reason.endswith("both cover src/api_test.py")
    plan = decide(tasks, [CLAUDE, HUMAN], tracked=[])
    assert "cannot be shown apart" in plan.waiting[0].reason


def test_dependencies_unknown_cycles_and_chains_are_blocked_with_the_cycle_spelled_out() -> None:
    tasks = [
        t("a", depends_on=("b",)),
        t("b", depends_on=("c",)),
        t("c", depends_on=("a",)),
        t("self", depends_on=("self",)),
        t("lost", depends_on=("nowhere",)),
        t("after-a", depends_on=("a",)),
        t("done", state="completed"),
        t("free", depends_on=("done",), scope=("x/**",)),
        t("later", depends_on=("free",), scope=("y/**",)),
    ]
    plan = decide(tasks, [CLAUDE])
    blocked = {b.task: b.reason for b in plan.blocked}
    assert blocked["a"] == "dependency cycle: a -> b -> c -> a"
    assert blocked["b"] == "dependency cycle: b -> c -> a -> b"
    assert blocked["self"] == "dependency cycle: self -> self"
    assert blocked["lost"] == "unknown dependency nowhere"
    assert blocked["after-a"].startswith("depends on a, which is blocked: dependency cycle")
    assert [a.task for a in plan.assigned] == ["free"]
    assert {w.task: w.reason for w in plan.waiting} == {"later": "waiting for free (pending)"}


def test_named_agent_is_used_even_outside_its_takes_and_waits_when_full() -> None:
    tasks = [
        t("docs1", type="docs", agent="copilot", scope=("d1/**",)),
        t("docs2", type="docs", agent="copilot", scope=("d2/**",)),
        t("docs3", type="docs", agent="copilot", scope=("d3/**",)),
        t("ghost", agent="nobody", scope=("g/**",)),
    ]
    plan = decide(tasks, [COPILOT, CLAUDE])
    assert [(a.task, a.agent) for a in plan.assigned] == [("docs1", "copilot"), ("docs2", "copilot")]
    assert plan.waiting[0].task == "docs3" and "copilot is at capacity (2/2)" in plan.waiting[0].reason
    assert "unknown agent 'nobody'" in {b.task: b.reason for b in plan.blocked}["ghost"]


def test_takes_types_and_paths_filter_auto_agents() -> None:
    web = Profile("web", Handoff("label", "web"), paths=("web/**",), capacity=5, weight=100)
    tasks = [
        t("in-web", scope=("web/app/*.ts",)),
        t("outside", scope=("web/app.ts", "api/x.py")),
        t("sec", type="security", scope=("z/**",)),
    ]
    plan = decide(tasks, [web, COPILOT])
    agents = {a.task: a.agent for a in plan.assigned}
    assert agents == {"in-web": "web", "outside": "copilot"}
    assert {b.task for b in plan.blocked} == {"sec"}  # nobody takes security here
    assert "no agent profile takes type security" in plan.blocked[0].reason


def test_a_task_without_an_issue_only_goes_to_a_workflow_hand_off() -> None:
    runner = Profile("runner", Handoff("workflow", "agent.yml"), capacity=1, weight=-5)
    tasks = [t("hand-written", issue=None, scope=("h/**",)), t("named", issue=None, agent="claude", scope=("n/**",))]
    plan = decide(tasks, [CLAUDE, runner])
    assert [(a.task, a.agent) for a in plan.assigned] == [("hand-written", "runner")]
    assert plan.blocked[0].reason == "agent claude hands off on the issue (comment), and the task has none"
    lonely = decide([t("alone", issue=None, scope=("a/**",))], [CLAUDE])
    assert lonely.blocked[0].reason.endswith("without an issue (only workflow hand-offs need none)")


def test_capacity_counts_in_progress_tasks_and_full_agents_make_tasks_wait() -> None:
    tasks = [t("busy", state="in-progress", assigned_to="claude", scope=("q/**",)), t("next", type="docs", scope=("r/**",))]
    plan = decide(tasks, [CLAUDE, COPILOT])
    assert plan.assigned == ()
    assert plan.waiting[0].reason == "every eligible agent is at capacity: claude 1/1"


def test_a_task_without_scope_counts_as_the_whole_repository() -> None:
    tasks = [t("anything"), t("small", scope=("a.txt",), priority="P3")]
    plan = decide(tasks, [HUMAN, CLAUDE])
    assert [a.task for a in plan.assigned] == ["anything"]
    assert "(whole repository)" in plan.waiting[0].reason


def test_branch_names_are_slugged_and_bounded() -> None:
    assert slugify("Fix: the LOGIN page (again)!") == "fix-the-login-page-again"
    assert len(slugify("word " * 40, 40)) <= 40
    assert branch_name(t("task-9", title="Add dark mode")) == "ai/task-9-add-dark-mode"


def _could_assign(task: Task, plan_tasks: list[Task], assigned: dict[str, str], profiles: list[Profile]) -> bool:
    active = [x for x in plan_tasks if x.state == "in-progress" or x.id in assigned]
    if any(scopes_meet(a or "", b or "") for x in active for a in (x.scope or ("",)) for b in (task.scope or ("",))):
        return False
    load = {p.name: 0 for p in profiles}
    for x in plan_tasks:
        if x.state == "in-progress" and x.assigned_to in load:
            load[x.assigned_to] += 1
    for agent in assigned.values():
        load[agent] += 1
    return any(task.type in p.types and load[p.name] < p.capacity for p in profiles)


def test_random_queues_get_maximal_conflict_free_plans_within_capacity() -> None:
    rng = random.Random(11)
    dirs = ["a", "a/b", "a/b/c", "d", "e/f", "g"]
    globs = [f"{d}/**" for d in dirs] + [f"{d}/x.py" for d in dirs] + ["a/*.py", "**/*.md", "e/*/z.txt"]
    profiles = [
        Profile(
            f"p{i}",
            Handoff("label", f"l{i}"),
            types=tuple(rng.sample(["feature", "bug", "docs"], 2)),
            capacity=rng.randrange(1, 4),
            weight=rng.randrange(10),
        )
        for i in range(3)
    ]
    for _ in range(60):
        tasks = []
        for k in range(rng.randrange(5, 25)):
            state = rng.choice(["pending"] * 4 + ["in-progress", "completed"])
            tasks.append(
                t(
                    f"t{k}",
                    state=state,
                    type=rng.choice(["feature", "bug", "docs"]),
                    priority=f"P{rng.randrange(4)}",
                    scope=tuple(rng.sample(globs, rng.randrange(1, 3))),
                    depends_on=tuple(f"t{d}" for d in rng.sample(range(25), rng.randrange(2)) if d != k),
                    assigned_to=rng.choice([p.name for p in profiles]) if state == "in-progress" else None,
                )
            )
        ids = {x.id for x in tasks}
        tasks = [
            x if all(d in ids for d in x.depends_on) else Task(**{**{f: getattr(x, f) for f in x.__slots__}, "depends_on": ()})
            for x in tasks
        ]
        plan = decide(tasks, profiles)
        assigned = {a.task: a.agent for a in plan.assigned}
        by_id = {x.id: x for x in tasks}
        # no two active tasks overlap (in-progress pairs are given; new ones must not add overlaps)
        new = [by_id[i] for i in assigned]
        for x, y in itertools.combinations(new, 2):
            assert not any(scopes_meet(a, b) for a in x.scope for b in y.scope)
        for x in new:
            for y in tasks:
                if y.state == "in-progress":
                    assert not any(scopes_meet(a, b) for a in x.scope for b in y.scope)
        # capacities hold
        for p in profiles:
            held = sum(1 for x in tasks if x.state == "in-progress" and x.assigned_to == p.name)
            added = sum(1 for a in assigned.values() if a == p.name)
            assert added == 0 or held + added <= p.capacity
        # maximal: no waiting task with its dependencies done could still be assigned
        completed = {x.id for x in tasks if x.state == "completed"}
        for w in plan.waiting:
            task = by_id[w.task]
            if all(d in completed for d in task.depends_on):
                assert not _could_assign(task, tasks, assigned, profiles), (w, plan)
        # priority order: a task waiting on a just-assigned task names one that came before it, and overlaps it
        for w in plan.waiting:
            if "(just assigned" in w.reason:
                owner = w.reason.split(" overlaps ", 1)[1].split(" ", 1)[0]
                ranks = critical_paths(tasks)
                assert owner in assigned and order_key(by_id[owner], ranks[owner]) < order_key(by_id[w.task], ranks[w.task]), w
                assert any(scopes_meet(a, b) for a in by_id[w.task].scope for b in by_id[owner].scope), w
        # the chosen agent takes the task's type
        for x in new:
            chosen = next(p for p in profiles if p.name == assigned[x.id])
            assert x.type in chosen.types
        # every pending task is accounted for exactly once
        pending = {x.id for x in tasks if x.state == "pending"}
        seen = [a.task for a in plan.assigned] + [w.task for w in plan.waiting] + [b.task for b in plan.blocked]
        assert sorted(seen) == sorted(pending)
