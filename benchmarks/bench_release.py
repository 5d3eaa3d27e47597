"""Benchmark: `leadforge release notes` (and `--json`) vs git-cliff (and `git-cliff --context`).

Two cases, each timed as whole processes (start-up included) in the same run as the peer:

* a large range: a synthetic 50,000-commit range built with `git fast-import` (conventional
  commits of every type, scopes, bodies, footers, breaking changes, PR numbers, some
  non-conventional ones), tagged v1.0.0 and v2.0.0; target ratio <= 0.25;
* a one-release range: 20 commits (the same generator), where start-up is all there is; target
  <= 0.15 s for `release notes`, next to git-cliff's time and the ratio. Also shown: the run
  without LeadForge's caches (`LEADFORGE_CACHE_DIR=off`: no compiled templates, a fresh CI runner's case).

git-cliff runs with its conventional preset (`git-cliff --init`).

    .venv/bin/python benchmarks/bench_release.py [--commits 50000] [--runs 3] [--small 20] [--small-runs 30]

Prints the median wall and CPU time (user+sys, children included) of each command and the ratios
leadforge / git-cliff. Python's bytecode cache is allowed (PYTHONDONTWRITEBYTECODE is dropped from
the environment: an installed package has its .pyc files), and each command runs once untimed first.
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


def fast_import_stream(count: int, *, start_tag_at: int = 0) -> bytes:
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
    out.append(b"reset refs/tags/v1.0.0\nfrom :%d\n\n" % (start_tag_at + 1))
    out.append(b"reset refs/tags/v2.0.0\nfrom :%d\n\n" % (count + 1))
    return b"".join(out)


def build(repo: Path, count: int, *, history: int = 0) -> None:
    """``count`` commits between v1.0.0 and v2.0.0, after ``history`` older ones."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream = fast_import_stream(history + count, start_tag_at=history)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, runs: int, env: dict[str, str], warmup: int = 0) -> tuple[float, float, int]:
    """Median wall time and median CPU time (user+sys of the process and its children, e.g. git)."""
    walls, cpus = [], []
    size = 0
    for _ in range(warmup):
        subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def small_range(tmp: Path, cliff_config: Path, args: argparse.Namespace, env: dict[str, str]) -> None:
    """The one-release case: ~20 commits after a longer history, start-up dominates."""
    repo = tmp / "small"
    build(repo, args.small, history=200)
    ours = [str(VENV / "leadforge"), "--repo", str(repo), "release", "notes", "--tag", "v2.0.0"]
    cliff = [str(VENV / "git-cliff"), "--config", str(cliff_config), "--offline", "v1.0.0..v2.0.0"]
    cold = {**env, "LEADFORGE_CACHE_DIR": "off"}
    rows = [
        (f"leadforge release notes ({args.small} commits)", ours, env),
        ("  same, templates compiled afresh", ours, cold),
        (f"git-cliff ({args.small} commits)", cliff, env),
    ]
    results = {}
    print(f"\none-release range: {args.small} commits (v1.0.0..v2.0.0), median of {args.small_runs} runs after one warm-up")
    print(f"{'command':40s} {'wall':>8s} {'cpu':>8s}")
    for label, argv, run_env in rows:
        results[label] = timed(argv, repo, args.small_runs, run_env, warmup=1)
        wall, cpu, size = results[label]
        print(f"{label:40s} {wall:7.3f}s {cpu:7.3f}s  ({size} bytes of output)")
    ours_wall, ours_cpu, _ = results[rows[0][0]]
    peer_wall, peer_cpu, _ = results[rows[2][0]]
    verdict = "met" if ours_wall <= 0.15 else "NOT met"
    print(
        f"ratio leadforge / git-cliff ({args.small} commits): wall {ours_wall / peer_wall:.1f}x, "
        f"cpu {ours_cpu / peer_cpu:.1f}x; leadforge {ours_wall:.3f}s (target <= 0.150s: {verdict})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=50_000, help="commits in the large range (0: skip that case)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--small", type=int, default=20, help="commits in the one-release range (0: skip that case)")
    parser.add_argument("--small-runs", type=int, default=30)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(GIT_CONFIG_NOSYSTEM="1")
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        env.setdefault("LEADFORGE_CACHE_DIR", str(Path(tmp) / "cache"))
        preset = Path(tmp) / "preset"
        preset.mkdir()
        subprocess.run([str(VENV / "git-cliff"), "--init"], cwd=preset, check=True, capture_output=True)
        if args.commits:
            large_range(Path(tmp), preset / "cliff.toml", args, env)
        if args.small:
            small_range(Path(tmp), preset / "cliff.toml", args, env)
        print(
            f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
            "(wall times stretch on a busy machine; the CPU ratio does not)"
        )
    return 0


def large_range(tmp: Path, cliff_config: Path, args: argparse.Namespace, env: dict[str, str]) -> None:
    repo = tmp / "repo"
    started = time.perf_counter()
    build(repo, args.commits)
    print(f"built {args.commits} commits with git fast-import in {time.perf_counter() - started:.2f}s")
    cliff = [str(VENV / "git-cliff"), "--config", str(cliff_config), "--offline", "v1.0.0..v2.0.0"]
    ours = [str(VENV / "leadforge"), "--repo", str(repo), "release", "notes", "--tag", "v2.0.0"]
    log = ["git", "log", "--topo-order", "-z", "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%B", "v2.0.0", "^v1.0.0"]
    rows = [
        ("git log (one streamed call)", log),
        ("leadforge release notes", ours),
        ("leadforge release notes --json", [*ours, "--json"]),
        ("git-cliff", cliff),
        ("git-cliff --context", [*cliff, "--context"]),
    ]
    results = {}
    print(f"{'command':34s} {'wall':>8s} {'cpu':>8s}")
    for label, argv in rows:
        results[label] = timed(argv, repo, args.runs, env, warmup=1 if label.startswith("leadforge") else 0)
        wall, cpu, size = results[label]
        print(f"{label:34s} {wall:7.3f}s {cpu:7.3f}s  ({size / 1024:.0f} KiB of output)")
    for ours_label, peer in (("leadforge release notes", "git-cliff"), ("leadforge release notes --json", "git-cliff --context")):
        wall = results[ours_label][0] / results[peer][0]
        cpu = results[ours_label][1] / results[peer][1]
        print(f"ratio {ours_label} / {peer}: wall {wall:.3f}x, cpu {cpu:.3f}x  (target <= 0.25x)")


if __name__ == "__main__":
    sys.exit(main())
