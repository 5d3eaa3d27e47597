"""How good is the dispatch order? Simulated makespan on generated task DAGs (a schedule figure, not a timing).

For each seed: 1,000 tasks whose dependencies look like a real backlog (most tasks depend on 0-3 recent ones, a few
"epics" fan out to many), estimates from 0.5 h to 16 h (long-tailed), priorities mostly P2, one scope per task, and 10
agents of capacity 1. ``leadforge.tasks.forecast.simulate`` plays the queue forward twice, with the same rules
dispatch uses:

* ``critical``: our dispatch order (priority, then the longest chain of estimated work a task unblocks, then age);
* ``age``: plain priority-then-age, what Task Master's ``next`` does (highest priority first among tasks whose
  dependencies are done; its remaining ties go by dependency count and id, i.e. by age for a queue filed in order).

Both are compared with the lower bound max(critical path, total work / capacity). Targets: ours within 10% of the
bound, and never worse than priority-then-age. Run: ``.venv/bin/python benchmarks/bench_schedule.py [--seeds N]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from leadforge.tasks.forecast import simulate
from leadforge.tasks.profiles import Handoff, Profile
from leadforge.tasks.taskfile import Task

START = datetime(2026, 1, 1, tzinfo=UTC)  # tasks are filed a minute apart, in id order
TASKS = 1000
AGENTS = 10


def backlog(seed: int, n: int = TASKS, shape: str = "backlog") -> list[Task]:
    """``backlog``: wide and shallow (work bound dominates); ``chains``: most tasks continue one of 40 streams of work, so
    the critical path nearly meets total work / capacity and the order matters most."""
    rng = random.Random(seed)
    if shape == "chains":
        return _chains(rng, n)
    epics: list[int] = []
    tasks = []
    for k in range(n):
        deps: set[int] = set()
        if k and rng.random() < 0.08:
            epics.append(k)  # a foundation task many later ones build on
        roll = rng.random()
        fan_in = 0 if roll < 0.35 else 1 if roll < 0.7 else 2 if roll < 0.9 else 3
        for _ in range(fan_in):
            if k == 0:
                break
            if epics and rng.random() < 0.3:
                deps.add(rng.choice(epics[-5:]))
            else:
                deps.add(max(0, k - 1 - int(rng.expovariate(1 / 25))))
        deps.discard(k)
        tasks.append(_task(rng, k, deps))
    return tasks


def _chains(rng: random.Random, n: int) -> list[Task]:
    tails: list[int | None] = [None] * 40
    tasks = []
    for k in range(n):
        stream = rng.randrange(len(tails)) if rng.random() < 0.9 else None
        deps: set[int] = set()
        tail = tails[stream] if stream is not None else None
        if tail is not None:
            deps.add(tail)
        if k and rng.random() < 0.15:
            deps.add(rng.randrange(k))
        if stream is not None:
            tails[stream] = k
        tasks.append(_task(rng, k, deps))
    return tasks


def _task(rng: random.Random, k: int, deps: set[int]) -> Task:
    """Task ``k`` with these dependencies; draws its estimate, then its priority (the order the figures depend on)."""
    estimate = round(min(16.0, max(0.5, rng.lognormvariate(1.0, 0.8))), 1)
    priority = "P1" if rng.random() < 0.1 else "P3" if rng.random() < 0.1 else "P2"
    return Task(
        id=f"t{k:04d}",
        title=f"task {k}",
        issue=k + 1,
        priority=priority,
        estimate_hours=estimate,
        depends_on=tuple(f"t{d:04d}" for d in sorted(deps)),
        scope=(f"src/m{k}/**",),
        created=(START + timedelta(minutes=k)).isoformat().replace("+00:00", "Z"),
    )


def agents(n: int = AGENTS) -> list[Profile]:
    return [Profile(f"agent{i}", Handoff("label", f"a{i}"), capacity=1, weight=0) for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=TASKS)
    args = parser.parse_args(argv)
    profiles = agents()
    print(f"{args.tasks} tasks, {AGENTS} agents x capacity 1, {args.seeds} seeds per shape")
    print(
        f"{'shape':<8} {'seed':>4} {'work h':>8} {'crit h':>7} {'bound h':>8} {'ours h':>8} {'age h':>8} {'ours/bound':>10} "
        f"{'age/bound':>9} {'ours/age':>8} {'sim s':>6}"
    )
    worst_bound = 0.0
    worst_peer = 0.0
    for shape, seed in [(shape, seed) for shape in ("backlog", "chains") for seed in range(1, args.seeds + 1)]:
        tasks = backlog(seed, args.tasks, shape)
        started = time.perf_counter()
        ours = simulate(tasks, profiles, policy="critical")
        peer = simulate(tasks, profiles, policy="age")
        seconds = time.perf_counter() - started
        assert not ours.unscheduled and not peer.unscheduled, "every generated task is schedulable"
        bound = ours.lower_bound
        r_bound, r_age, r_peer = ours.total_hours / bound, peer.total_hours / bound, ours.total_hours / peer.total_hours
        worst_bound, worst_peer = max(worst_bound, r_bound), max(worst_peer, r_peer)
        print(
            f"{shape:<8} {seed:>4} {ours.work_hours:>8.1f} {ours.critical_hours:>7.1f} {bound:>8.1f} {ours.total_hours:>8.1f} "
            f"{peer.total_hours:>8.1f} {r_bound:>10.3f} {r_age:>9.3f} {r_peer:>8.3f} {seconds:>6.2f}"
        )
    print(f"worst ours/bound {worst_bound:.3f} (target <= 1.10); worst ours/priority-then-age {worst_peer:.3f} (target <= 1.000)")
    return 0 if worst_bound <= 1.10 and worst_peer <= 1.0 + 1e-9 else 1


if __name__ == "__main__":
    raise SystemExit(main())
