"""Workflow harness overhead: one workflow run (checkout + N bash steps) vs the same work done by hand.

Peer: the same steps without the harness, measured in the same run: `git clone` of the repository, then
each step's script run by `bash --noprofile --norc -eo pipefail` in the clone (what a runner does at minimum).
The ratio is what the harness adds (trigger matching, expressions, per-step GITHUB_* files, output parsing).
Also: `zizmor --offline` and `check-jsonschema` over all of the project's workflows (the security tests' cost).

    .venv/bin/python benchmarks/bench_workflows.py [--runs 5] [--steps 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# benchmarks run as scripts: the checkout's own packages come first
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.events import load_event
from tests.harness import Harness
from tests.workflows.pins import uses

ROOT = Path(__file__).resolve().parents[1]

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.com",
}


def make_repo(path: Path) -> None:
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    for i in range(50):
        (path / f"file{i}.txt").write_text(f"{i}\n" * 100)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=path, check=True, env=GIT_ENV)


def step_script(i: int) -> str:
    return f'echo "step {i} $GITHUB_SHA" && wc -l file{i % 50}.txt >/dev/null && echo "n{i}={i}" >> "$GITHUB_OUTPUT"'


def write_workflow(folder: Path, steps: int) -> None:
    folder.mkdir(parents=True)
    lines = [
        "on: push",
        "permissions: {}",
        "jobs:",
        "  bench:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        f"      - uses: {uses('actions/checkout')}",
    ]
    for i in range(steps):
        lines += [f"      - id: s{i}", "        shell: bash", f"        run: {step_script(i)} # ${{{{ github.event_name }}}}"]
    (folder / "bench.yml").write_text("\n".join(lines) + "\n")


def by_hand(repo: Path, work: Path, steps: int) -> None:
    clone = work / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(work), "GITHUB_SHA": "x"}
    for i in range(steps):
        out = work / f"out{i}"
        out.write_text("")
        script = work / f"s{i}.sh"
        script.write_text(step_script(i))
        subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=clone,
            env={**env, "GITHUB_OUTPUT": str(out)},
            check=True,
            capture_output=True,
        )


def timed(fn, runs: int) -> list[float]:
    times = []
    for index in range(runs):
        start = time.perf_counter()
        fn(index)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        repo = tmp / "repo"
        make_repo(repo)
        write_workflow(tmp / "wf", args.steps)
        harness = Harness(repo, root=tmp / "gh", workflows_dir=tmp / "wf")
        payload = load_event("push", ref="refs/heads/main")

        def harness_run(_: int) -> None:
            result = harness.run("bench.yml", "push", payload)
            assert result.ok and len(result.job("bench").steps) == args.steps + 1, result.explain()

        def hand_run(index: int) -> None:
            work = tmp / f"hand{index}"
            work.mkdir()
            by_hand(repo, work, args.steps)

        harness_run(0)  # warm caches
        hand_run(99)
        h_times, p_times = timed(harness_run, args.runs), timed(hand_run, args.runs)
        h, p = statistics.median(h_times), statistics.median(p_times)
        print(
            f"harness: checkout + {args.steps} bash steps: median {h * 1000:.0f} ms "
            f"({h / (args.steps + 1) * 1000:.1f} ms/step) over {args.runs} runs"
        )
        print(f"by hand (peer): clone + {args.steps} bash scripts: median {p * 1000:.0f} ms")
        print(f"ratio harness / by hand: {h / p:.2f}x")

        workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
        bin_dir = Path(sys.prefix) / "bin"
        for label, argv in (
            ("zizmor --offline", [str(bin_dir / "zizmor"), "--offline", "--no-progress", *map(str, workflows)]),
            (
                "check-jsonschema",
                [str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, workflows)],
            ),
        ):
            if Path(argv[0]).exists():
                times = timed(lambda _, argv=argv: subprocess.run(argv, capture_output=True), 3)
                print(f"{label} over {len(workflows)} workflows: median {statistics.median(times) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
