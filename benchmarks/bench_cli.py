"""`leadforge --help` start-up time (target: <= 0.25 s whole process).

Peer: a bare `python -c pass` measured in the same run, so the figure shows what
LeadForge itself adds on top of the interpreter's own start-up.

    .venv/bin/python benchmarks/bench_cli.py [--runs 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 0.25


def time_command(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    exe = shutil.which("leadforge", path=str(Path(sys.executable).parent)) or shutil.which("leadforge")
    if not exe:
        print("leadforge is not installed in this environment (run ./setup.sh)", file=sys.stderr)
        return 1
    time_command([exe, "--help"], 2)  # warm the page cache
    help_times = time_command([exe, "--help"], args.runs)
    bare_times = time_command([sys.executable, "-c", "pass"], args.runs)
    median_help, median_bare = statistics.median(help_times), statistics.median(bare_times)
    print(f"leadforge --help: median {median_help * 1000:.1f} ms, max {max(help_times) * 1000:.1f} ms over {args.runs} runs")
    print(f"python -c pass:   median {median_bare * 1000:.1f} ms")
    print(f"ratio leadforge --help / bare python: {median_help / median_bare:.2f}x")
    print(f"target <= {TARGET_SECONDS * 1000:.0f} ms: {'met' if median_help <= TARGET_SECONDS else 'NOT met'}")
    return 0 if median_help <= TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
