"""Benchmark: `leadforge metrics --json` over 10,000 task files and their git history (target: <= 3 s, whole process).

Generates a repository with ``git fast-import``: every completed task has a branch commit
and a ``Merge pull request #N`` merge commit on main (some are squash merges, a few are
reverted), plus 10,000 task files (70% completed, 20% in progress, 10% pending) with
histories. Then it times the whole CLI process and, as peers measured in the same run:

* ``git log`` alone with the same arguments (the floor: what the one git call costs), and
* the naive way: one ``git log --numstat`` subprocess per task (measured on 200, scaled to all).

Usage: ``.venv/bin/python benchmarks/bench_metrics.py [--tasks 10000] [--runs 3] [--keep]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# benchmarks run as scripts: the checkout's own packages come first
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from leadforge.metrics.gitlog import log_argv
from leadforge.tasks.taskfile import HistoryEntry, Task, render_task

ROOT = Path(__file__).resolve().parents[1]

AGENTS = ("copilot", "claude", "openhands", "human")
EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z


def iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def make_tasks(count: int) -> list[Task]:
    tasks = []
    for i in range(1, count + 1):
        created = EPOCH + i * 900
        assigned = created + 3600
        merged = assigned + (i % 9 + 1) * 3600
        kind = i % 10
        state = "completed" if kind < 7 else "in-progress" if kind < 9 else "pending"
        agent = AGENTS[i % len(AGENTS)]
        history = [HistoryEntry(iso(created), "queued", "leadforge[bot]")]
        if state != "pending":
            if i % 13 == 0:
                other = AGENTS[(i + 1) % len(AGENTS)]
                history.append(HistoryEntry(iso(created + 60), "assigned", "leadforge[bot]", f"to {other}"))
                history.append(HistoryEntry(iso(created + 1800), "requeued", "sweep", "no heartbeat"))
            history.append(HistoryEntry(iso(assigned), "assigned", "leadforge[bot]", f"to {agent}"))
            history.append(HistoryEntry(iso(assigned + 1200), "heartbeat", agent))
            if i % 17 == 0:
                history.append(HistoryEntry(iso(merged - 600), "verification-failed", "leadforge[bot]", "check failed"))
        if state == "completed":
            history.append(HistoryEntry(iso(merged + 300), "verified", "leadforge[bot]"))
            history.append(HistoryEntry(iso(merged + 300), "completed", "leadforge[bot]"))
        tasks.append(
            Task(
                id=f"task-{i}",
                title=f"Generated task {i}",
                state=state,
                issue=i,
                priority=f"P{i % 4}",
                agent="auto",
                depends_on=(f"task-{i - 1}",) if i % 11 == 0 and i > 1 else (),
                scope=(f"src/mod{i % 50}/**",),
                acceptance=("tests pass",),
                estimate_hours=float(i % 8 + 1),
                created=iso(created),
                assigned_to=agent if state != "pending" else None,
                assigned_at=iso(assigned) if state != "pending" else None,
                branch=f"ai/task-{i}-generated" if state != "pending" else None,
                pr=10_000 + i if state != "pending" else None,
                completed_at=iso(merged + 300) if state == "completed" else None,
                history=tuple(history),
            )
        )
    return tasks


def fast_import_stream(tasks: list[Task]) -> bytes:
    out: list[bytes] = []
    mark = 0
    main_mark = 0

    def data(text: str) -> bytes:
        raw = text.encode()
        return b"data %d\n" % len(raw) + raw + b"\n"

    def commit(ref: str, when: int, message: str, parent: int, merge: int, ops: list[str], author: str) -> int:
        nonlocal mark
        mark += 1
        head = [
            f"commit {ref}",
            f"mark :{mark}",
            f"author {author} <{author.lower()}@example.com> {when} +0000",
            f"committer {author} <{author.lower()}@example.com> {when} +0000",
        ]
        out.append(("\n".join(head) + "\n").encode() + data(message))
        if parent:
            out.append(f"from :{parent}\n".encode())
        if merge:
            out.append(f"merge :{merge}\n".encode())
        for op in ops:
            out.append(op.encode())
        out.append(b"\n")
        return mark

    main_mark = commit(
        "refs/heads/main",
        EPOCH,
        "chore: initial commit",
        0,
        0,
        ["M 644 inline README.md\n" + data("# bench\n").decode()],
        "Maintainer",
    )
    completed = [t for t in tasks if t.state == "completed"]
    landed: list[tuple[Task, int]] = []
    for n, task in enumerate(completed):
        number = int(task.id.split("-")[1])
        when = EPOCH + number * 900 + 3600 + (number % 9 + 1) * 3600
        lines = "".join(f"value_{k} = {k * number}\n" for k in range(number % 30 + 3))
        path = f"src/mod{number % 50}/f{number}.py"
        ops = [f"M 644 inline {path}\n" + data(lines).decode()]
        if number % 20 == 0:
            ops.append(f"M 644 inline docs/out-of-scope-{number}.md\n" + data("oops\n").decode())
        agent = task.assigned_to or "bot"
        if n % 5 == 4:  # a squash merge
            main_mark = commit("refs/heads/main", when, f"{task.title} (#{task.pr})", main_mark, 0, ops, agent)
        else:
            side = commit(f"refs/heads/{task.branch}", when - 600, f"feat: {task.title}", main_mark, 0, ops, agent)
            main_mark = commit(
                "refs/heads/main",
                when,
                f"Merge pull request #{task.pr} from bench/{task.branch}",
                main_mark,
                side,
                ops,
                "Maintainer",
            )
        landed.append((task, main_mark))
        if n % 50 == 49:  # a revert of an earlier task's change
            victim, _victim_mark = landed[n - 10]
            victim_number = int(victim.id.split("-")[1])
            main_mark = commit(
                "refs/heads/main",
                when + 60,
                f'Revert "{victim.title}" (#{90_000 + n})\n\nReverts bench/repo#{victim.pr}',
                main_mark,
                0,
                [f"D src/mod{victim_number % 50}/f{victim_number}.py\n"],
                "Maintainer",
            )
    return b"".join(out) + b"done\n"


def build(root: Path, count: int) -> Path:
    repo = root / "repo"
    repo.mkdir(parents=True)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    tasks = make_tasks(count)
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=repo, input=fast_import_stream(tasks), check=True, env=env)
    for task in tasks:
        path = repo / task.relpath()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_task(task), encoding="utf-8")
    (repo / ".github").mkdir()
    (repo / ".github" / "leadforge.yml").write_text("version: 1\nmetrics:\n  forge: false\n", encoding="utf-8")
    return repo


def timed(argv: list[str], cwd: Path, runs: int) -> tuple[float, str, float]:
    """Median wall-clock seconds, the last stdout, and the median CPU seconds (user+sys of the process and its children)."""
    times, cpu, out = [], [], ""
    for _ in range(runs):
        before = os.times()
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        after = os.times()
        cpu.append((after.children_user - before.children_user) + (after.children_system - before.children_system))
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:4])} failed: {done.stderr[-500:]}")
        out = done.stdout
    return statistics.median(times), out, statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    try:
        started = time.perf_counter()
        repo = build(root, args.tasks)
        commits = subprocess.run(["git", "rev-list", "--count", "main"], cwd=repo, capture_output=True, text=True).stdout.strip()
        all_commits = subprocess.run(
            ["git", "rev-list", "--count", "--all"], cwd=repo, capture_output=True, text=True
        ).stdout.strip()
        print(
            f"generated {args.tasks} task files, {all_commits} commits ({commits} on main) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        leadforge = [sys.executable, "-m", "leadforge", "--repo", str(repo), "--forge", "local"]
        ours, out, ours_cpu = timed([*leadforge, "metrics", "--json"], repo, args.runs)
        import json

        report = json.loads(out)
        print(
            f"leadforge metrics --json (all time), whole process: {ours:.2f} s (median of {args.runs}); "
            f"{report['totals']['completed']} completed, {report['totals']['reverts']} reverts, "
            f"{report['totals']['lines_added']} lines added; CPU {ours_cpu:.2f} s"
        )
        week, _, week_cpu = timed(
            [*leadforge, "metrics", "--json", "--since", "2026-01-20", "--until", "2026-01-26"], repo, args.runs
        )
        print(f"leadforge metrics --json (one week), whole process: {week:.2f} s; CPU {week_cpu:.2f} s")
        floor, _, _ = timed(log_argv("main"), repo, args.runs)
        print(f"peer 1, git log alone (same arguments): {floor:.2f} s -> leadforge / git log = {ours / floor:.2f}x")
        sample = [t for t in make_tasks(args.tasks) if t.pr][:200]
        start = time.perf_counter()
        for task in sample:
            subprocess.run(
                ["git", "log", "--numstat", "--format=%H", f"--grep=#{task.pr} ", "main"],
                cwd=repo,
                capture_output=True,
                check=True,
            )
        naive = (time.perf_counter() - start) / len(sample) * sum(1 for t in make_tasks(args.tasks) if t.pr)
        print(
            f"peer 2, one git log per task (200 measured, scaled to all): {naive:.1f} s "
            f"-> naive / leadforge = {naive / ours:.0f}x"
        )
        verdict = "OK" if ours <= 3.0 else "OVER TARGET"
        load = os.getloadavg()[0]
        print(
            f"target <= 3.0 s for {args.tasks} tasks: {verdict} (wall clock; load average {load:.1f} on "
            f"{os.cpu_count()} CPUs; the process needs {ours_cpu:.2f} s of CPU, git included)"
        )
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
