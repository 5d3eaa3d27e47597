"""Benchmark: `leadforge task dispatch --dry-run --json`, whole process, on a big queue.

Target (issue 3): 10,000 pending + 200 in progress + 10 agents in <= 1.5 s; 20,000 pending in <= 2.2x
that time. Prints both figures (best of --runs) and the ratio. Not a test: run it by hand:

    .venv/bin/python benchmarks/bench_tasks.py [--runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from leadforge.tasks.taskfile import Task, render_task

AGENTS = 10
IN_PROGRESS = 200
COMPLETED = 500
TYPES = ("feature", "bug", "refactor", "docs", "test", "chore", "security")


def scope_for(rng: random.Random, k: int) -> tuple[str, ...]:
    area = f"src/pkg{rng.randrange(400)}"
    roll = rng.random()
    if roll < 0.6:
        return (f"{area}/**",)
    if roll < 0.8:
        return (f"{area}/mod{k % 7}.py", f"tests/pkg{rng.randrange(400)}/test_mod.py")
    if roll < 0.95:
        return (f"{area}/*.py",)
    return (f"docs/**/*{rng.randrange(50)}.md",)


def make_queue(root: Path, pending: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    queue = root / "docs/TASKS/queue"
    for state in ("pending", "in-progress", "completed"):
        (queue / state).mkdir(parents=True, exist_ok=True)
    profiles = root / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    for a in range(AGENTS):
        (profiles / f"agent{a}.yml").write_text(
            f"name: agent{a}\nhandoff:\n  label: agent-{a}\ntakes:\n  types: {list(TYPES[: 3 + a % 5])}\n"
            f"capacity: {25 + a}\nweight: {a * 10}\n",
            encoding="utf-8",
        )
    n = 0

    def write(state: str, **fields: Any) -> None:
        nonlocal n
        n += 1
        tid = f"task-{n}"
        created = f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"
        task = Task(
            id=tid,
            title=f"Task number {n}: improve module {n % 97}",
            state=state,
            issue=n,
            priority=f"P{rng.randrange(4)}",
            type=rng.choice(TYPES),
            scope=scope_for(rng, n),
            acceptance=("tests pass", f"module {n % 97} documented"),
            estimate_hours=float(1 + n % 8),
            created=created,
            **fields,
        )
        task = task.with_event("queued", at=created, by="leadforge")
        if state != "pending":
            task = task.with_event("assigned", at=created, by="leadforge", note="bench")
        (queue / state / f"{tid}.md").write_text(render_task(task), encoding="utf-8")

    for _ in range(COMPLETED):
        write("completed", assigned_to=f"agent{rng.randrange(AGENTS)}", completed_at="2026-06-01T00:00:00Z")
    for _ in range(IN_PROGRESS):
        write(
            "in-progress",
            assigned_to=f"agent{rng.randrange(AGENTS)}",
            assigned_at="2026-06-01T00:00:00Z",
            branch=f"ai/task-{n + 1}-x",
        )
    first_pending = n + 1
    for k in range(pending):
        deps: tuple[str, ...] = ()
        if k % 500 == 499:
            deps = (f"task-missing-{k}",)  # unknown dependency: blocked
        elif k < 3:
            deps = (f"task-{first_pending + (k + 1) % 3}",)  # a three-task cycle: blocked
        elif rng.random() < 0.3:
            deps = (f"task-{rng.randrange(1, n + 1)}",)
        write("pending", depends_on=deps)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@e",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@e",
    }
    subprocess.run(["git", "commit", "-q", "-m", "bench queue"], cwd=root, check=True, env=env)


def run_once(root: Path) -> tuple[float, dict[str, list[object]]]:
    cmd = [sys.executable, "-m", "leadforge", "--repo", str(root), "--forge", "local", "task", "dispatch", "--dry-run", "--json"]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"dispatch failed ({done.returncode}): {done.stderr}")
    return elapsed, json.loads(done.stdout)


def measure(pending: int, runs: int, keep: bool) -> tuple[float, dict[str, list[object]]]:
    root = Path(tempfile.mkdtemp(prefix=f"bench-tasks-{pending}-"))
    try:
        make_queue(root, pending)
        best, plan = float("inf"), dict[str, Any]()
        for _ in range(runs):
            elapsed, plan = run_once(root)
            best = min(best, elapsed)
        return best, plan
    finally:
        if keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    small, plan_small = measure(10_000, args.runs, args.keep)
    large, plan_large = measure(20_000, args.runs, args.keep)
    ratio = large / small
    for label, secs, plan in (("10,000", small, plan_small), ("20,000", large, plan_large)):
        print(
            f"dispatch --dry-run --json, {label} pending + {IN_PROGRESS} in progress + {AGENTS} agents: {secs:.3f} s "
            f"(assigned {len(plan['assigned'])}, waiting {len(plan['waiting'])}, blocked {len(plan['blocked'])})"
        )
    print(f"target 10k <= 1.500 s: {'ok' if small <= 1.5 else 'MISSED'}")
    print(f"ratio 20k / 10k = {ratio:.2f} (target <= 2.20: {'ok' if ratio <= 2.2 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
