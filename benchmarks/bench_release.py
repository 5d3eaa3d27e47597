"""Benchmark: `leadforge release notes` (and `--json`) vs git-cliff (and `git-cliff --context`).

Builds a synthetic 50,000-commit range with `git fast-import` (conventional commits of every
type, scopes, bodies, footers, breaking changes, PR numbers, some non-conventional ones),
tags its ends v1.0.0 and v2.0.0, then times each tool as a whole process (start-up included)
over v1.0.0..v2.0.0. git-cliff runs with its conventional preset (`git-cliff --init`).

    .venv/bin/python benchmarks/bench_release.py [--commits 50000] [--runs 3]

Prints the median wall and CPU time (user+sys, children included) of each command and the ratios
leadforge / git-cliff (target <= 0.25).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
TYPES = ("feat", "fix", "docs", "perf", "refactor", "style", "test", "chore", "ci", "build", "revert")
SCOPES = ("api", "ui", "core", "parser", "cli", None)


def message(i: int) -> str:
    kind = TYPES[i % len(TYPES)]
    scope = SCOPES[i % len(SCOPES)]
    if i % 17 == 0:
        return f"Update things number {i}\n"
    head = f"{kind}({scope})" if scope else kind
    bang = "!" if i % 997 == 0 else ""
    text = f"{head}{bang}: change number {i}"
    if i % 5 == 0:
        text += f" (#{i // 5})"
    text += "\n"
    if i % 3 == 0:
        text += f"\nSome body text for commit {i} explaining the change in a little detail.\nA second line.\n"
    if i % 7 == 0:
        text += f"\nCloses #{i}\nCo-authored-by: Pair Programmer <pair{i % 13}@example.com>\n"
    if i % 1999 == 0:
        text += "\nBREAKING CHANGE: behaviour changed\n"
    return text


def fast_import_stream(count: int) -> bytes:
    out: list[bytes] = []
    stamp = 1_767_225_600  # 2026-01-01
    for i in range(count + 1):
        msg = (message(i) if i else "chore: initial commit\n").encode()
        author = f"Dev {i % 40} <dev{i % 40}@example.com> {stamp + i * 60} +0000"
        out.append(b"commit refs/heads/main\nmark :%d\n" % (i + 1))
        out.append(f"author {author}\ncommitter {author}\n".encode())
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        if i:
            out.append(b"from :%d\n" % i)
        out.append(b"M 644 inline file.txt\ndata %d\n%d\n\n" % (len(str(i)) + 1, i))
    out.append(b"reset refs/tags/v1.0.0\nfrom :1\n\n")
    out.append(b"reset refs/tags/v2.0.0\nfrom :%d\n\n" % (count + 1))
    return b"".join(out)


def build(repo: Path, count: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=fast_import_stream(count), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, runs: int, env: dict[str, str]) -> tuple[float, float, int]:
    """Median wall time and median CPU time (user+sys of the process and its children, e.g. git)."""
    walls, cpus = [], []
    size = 0
    for _ in range(runs):
        # stdout goes to a file (as `> notes.md` would): a pipe would time this script's reading too
        with tempfile.TemporaryFile() as sink:
            cpu = _children_cpu()
            start = time.perf_counter()
            done = subprocess.run(argv, cwd=cwd, env=env, stdout=sink, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - start)
            cpus.append(_children_cpu() - cpu)
            size = sink.seek(0, os.SEEK_END)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}")
    return statistics.median(walls), statistics.median(cpus), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(GIT_CONFIG_NOSYSTEM="1")
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        repo = Path(tmp) / "repo"
        started = time.perf_counter()
        build(repo, args.commits)
        print(f"built {args.commits} commits with git fast-import in {time.perf_counter() - started:.2f}s")
        preset = Path(tmp) / "preset"
        preset.mkdir()
        subprocess.run([str(VENV / "git-cliff"), "--init"], cwd=preset, check=True, capture_output=True)
        cliff = [str(VENV / "git-cliff"), "--config", str(preset / "cliff.toml"), "--offline", "v1.0.0..v2.0.0"]
        ours = [str(VENV / "leadforge"), "--repo", str(repo), "release", "notes", "--tag", "v2.0.0"]
        log = ["git", "log", "--topo-order", "-z", "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%B", "v2.0.0", "^v1.0.0"]
        rows = [
            ("git log (one streamed call)", log),
            ("leadforge release notes", ours),
            ("leadforge release notes --json", ours + ["--json"]),
            ("git-cliff", cliff),
            ("git-cliff --context", cliff + ["--context"]),
        ]
        results = {}
        print(f"{'command':34s} {'wall':>8s} {'cpu':>8s}")
        for label, argv in rows:
            results[label] = timed(argv, repo, args.runs, env)
            wall, cpu, size = results[label]
            print(f"{label:34s} {wall:7.3f}s {cpu:7.3f}s  ({size / 1024:.0f} KiB of output)")
        for ours, peer in (("leadforge release notes", "git-cliff"), ("leadforge release notes --json", "git-cliff --context")):
            wall = results[ours][0] / results[peer][0]
            cpu = results[ours][1] / results[peer][1]
            print(f"ratio {ours} / {peer}: wall {wall:.3f}x, cpu {cpu:.3f}x  (target <= 0.25x)")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
              "(wall times stretch on a busy machine; the CPU ratio does not)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
