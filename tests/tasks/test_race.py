"""Four dispatchers at once, from four clones of one bare remote, on a 300-task queue."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from leadforge.forge.local import LocalForge
from leadforge.tasks.dispatch import scope_of
from leadforge.tasks.scopes import scopes_meet
from leadforge.tasks.store import load_queue
from tests.conftest import git
from tests.tasks.conftest import add_profiles, add_task

CAPACITY = {"alpha": 12, "beta": 9, "gamma": 7, "delta": 5}


def _profiles() -> dict[str, str]:
    return {
        name: f'name: {name}\nhandoff:\n  workflow:\n    file: agent-{name}.yml\n    inputs:\n      task: "{{id}}"\n'
        f"capacity: {cap}\nweight: {cap}\n"
        for name, cap in CAPACITY.items()
    }


def _race(tmp_path: Path, seed: Path, message: str, **env: str) -> tuple[list[Path], list[tuple[str, str]], Path]:
    """Commit ``seed``, push it to a bare remote, run ``task dispatch`` in four clones of it at once (each must exit 0);
    return the clones, each dispatcher's (stdout, stderr), and a fresh clone of the remote afterwards."""
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", message)
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(remote))
    clones = []
    for i in range(4):
        clone = tmp_path / f"clone{i}"
        git(tmp_path, "clone", "-q", str(remote), str(clone))
        clones.append(clone)
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}, **env}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "leadforge", "--repo", str(c), "--forge", "local", "--json", "task", "dispatch"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full,
        )
        for c in clones
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    final = tmp_path / "final"
    git(tmp_path, "clone", "-q", str(remote), str(final))
    return clones, outputs, final


@pytest.mark.integration
def test_four_racing_dispatchers_never_double_assign_or_lose_history(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    rng = random.Random(5)
    add_profiles(seed, _profiles())
    for k in range(300):
        area = f"src/m{rng.randrange(60)}"
        scope = (f"{area}/**",) if rng.random() < 0.7 else (f"{area}/f{k % 5}.py", f"docs/d{rng.randrange(60)}.md")
        deps = (f"task-{rng.randrange(k)}",) if k and rng.random() < 0.15 else ()
        add_task(
            seed,
            f"task-{k}",
            scope=scope,
            depends_on=deps,
            priority=f"P{rng.randrange(4)}",
            created=f"2026-01-01T{k // 60:02d}:{k % 60:02d}:00Z",
        )
    (seed / "docs/TASKS/queue/pending/bad-one.md").write_text("---\nid: bad-one\ntitle: x\nscope: {oops: 1}\n---\n")
    clones, outputs, final = _race(tmp_path, seed, "queue of 300")
    for _out, err in outputs:
        assert "bad-one.md" in err and "'scope'" in err  # reported with the file and the key
    plans = [json.loads(out) for out, _ in outputs]

    queue = load_queue(final)
    assert len(queue.tasks) == 300 and [e.path for e in queue.errors] == ["docs/TASKS/queue/pending/bad-one.md"]
    assert (final / "docs/TASKS/queue/pending/bad-one.md").read_text().endswith("scope: {oops: 1}\n---\n")  # untouched
    # each task in exactly one folder
    for task in queue.tasks:
        present = [s for s in ("pending", "in-progress", "completed") if (final / f"docs/TASKS/queue/{s}/{task.id}.md").exists()]
        assert present == [task.state], (task.id, present)
    running = queue.in_state("in-progress")
    assert running, "something was dispatched"
    # none assigned twice: the winning plans are disjoint, each assignment happened once
    assigned = [a["task"] for plan in plans for a in plan["assigned"]]
    assert len(assigned) == len(set(assigned))
    assert sorted(assigned) == sorted(t.id for t in running)
    handed = [d["inputs"]["task"] for c in clones for d in LocalForge(c, "local/repo").dispatches()]
    assert sorted(handed) == sorted(assigned)
    # capacities held, no overlapping scopes among running tasks
    for agent, cap in CAPACITY.items():
        assert sum(1 for t in running if t.assigned_to == agent) <= cap
    for i, x in enumerate(running):
        for y in running[i + 1 :]:
            assert not any(scopes_meet(a, b) for a in scope_of(x) for b in scope_of(y)), (x.id, y.id)
    # no history entry lost: queued once for all, assigned exactly once for the running ones
    for task in queue.tasks:
        events = [h.event for h in task.history]
        assert events == (["queued", "assigned"] if task.state == "in-progress" else ["queued"]), (task.id, events)
    # the remote's history is linear: every dispatcher's commit sits on the one before
    log = git(final, "log", "--format=%s", "--first-parent")
    assert log.count("tasks: dispatch") >= 1 and "Merge" not in log


BUDGETS = {"alpha": 30.0, "beta": 18.0, "gamma": 1000.0, "delta": 9.0}  # USD this month; every agent costs 1 USD/h


@pytest.mark.integration
def test_four_racing_dispatchers_keep_every_agent_within_its_budget(tmp_path: Path) -> None:
    from leadforge.tasks.budget import build_ledger
    from leadforge.tasks.costs import record_cost
    from leadforge.tasks.store import write_task
    from leadforge.tasks.taskfile import Cost, Task

    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    profiles = {name: text + f"budget:\n  usd_per_month: {BUDGETS[name]}\n" for name, text in _profiles().items()}
    add_profiles(seed, profiles)
    rng = random.Random(9)
    for name in CAPACITY:  # history: each agent completed a 4 h task for 4 USD this month (rate 1 USD per estimated hour)
        done = Task(
            id=f"done-{name}",
            title="done",
            state="completed",
            assigned_to=name,
            estimate_hours=4.0,
            created="2026-03-01T00:00:00Z",
            completed_at="2026-03-02T00:00:00Z",
        )
        billed = record_cost(done, Cost(4.0, 1000, 100, 2), at="2026-03-02T00:00:00Z", agent=name, source="seed")
        assert billed is not None
        write_task(seed, billed)
    for k in range(150):
        add_task(
            seed,
            f"task-{k}",
            scope=(f"src/m{k}/**",),
            priority=f"P{rng.randrange(4)}",
            estimate_hours=float(rng.choice([1, 2, 3, 5])),
            created=f"2026-03-01T{k // 60:02d}:{k % 60:02d}:00Z",
        )
    _clones, outputs, final = _race(tmp_path, seed, "queue of 150 with budgets", LEADFORGE_NOW="2026-03-10T12:00:00Z")
    plans = [json.loads(out) for out, _ in outputs]
    queue = load_queue(final)
    running = queue.in_state("in-progress")
    assigned = [a["task"] for plan in plans for a in plan["assigned"]]
    assert len(assigned) == len(set(assigned)) and sorted(assigned) == sorted(t.id for t in running)
    ledger = build_ledger(queue.tasks, "2026-03-10T12:00:00Z")
    for agent, cap in BUDGETS.items():
        spent = ledger.spent_usd.get(agent, 0.0)
        committed = sum(t.estimate_hours or 0.0 for t in running if t.assigned_to == agent)  # 1 USD per estimated hour
        assert spent == 4.0 and spent + committed <= cap + 1e-9, (agent, spent, committed, cap)
        assert sum(1 for t in running if t.assigned_to == agent) <= CAPACITY[agent]
    # the budgets bound something: the last plan has tasks waiting on a named budget
    waiting = [w["reason"] for plan in plans for w in plan["waiting"]]
    assert any("budget delta.budget.usd_per_month" in r or "budget beta.budget.usd_per_month" in r for r in waiting)
