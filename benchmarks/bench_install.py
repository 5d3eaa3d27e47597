"""Installing LeadForge into a fresh venv: pip vs uv, warm cache vs cold cache, the core vs everything.

Peer: pip (the venv's own, from ``python -m venv``), measured in the same run as uv. Both install the same thing:
the locked runtime dependencies (``uv export`` of uv.lock: the core alone, or with every extra) plus LeadForge's
wheel, built once beforehand so no run pays for a build. Each run starts from a new venv:

- pip:  ``python -m venv V && V/bin/pip install -r locked.txt leadforge.whl``
- uv:   ``uv venv V && uv pip install --python V -r locked.txt leadforge.whl``

Warm: a cache that an untimed run filled. Cold: an empty cache folder each run, so every package comes from the
package registry. pip runs with no config file and no find-links (this machine's pip config points at local
wheel folders; the benchmark measures the registry).

    .venv/bin/python benchmarks/bench_install.py [--runs 3] [--cold-runs 1] [--only core|all]
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
from collections.abc import Callable
from pathlib import Path

# benchmarks run as scripts: the checkout's own packages come first
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from leadforge.tools import tool_path

ROOT = Path(__file__).resolve().parents[1]

SETS = {"core": [], "all": ["--all-extras"]}


def locked_requirements(uv: str, extras: list[str], target: Path) -> int:
    subprocess.run(
        [
            uv,
            "export",
            "--quiet",
            "--locked",
            "--no-dev",
            "--no-emit-project",
            "--no-hashes",
            *extras,
            "--project",
            str(ROOT),
            "-o",
            str(target),
        ],
        check=True,
    )
    return sum(1 for line in target.read_text().splitlines() if "==" in line and not line.startswith("#"))


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV")) or k == "PIP_CERT"}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", UV_PYTHON_DOWNLOADS="never", **extra)
    return env


def pip_install(python: str, uv: str, work: Path, requirements: Path, wheel: Path, cache: Path) -> None:
    venv = work / "venv-pip"
    shutil.rmtree(venv, ignore_errors=True)
    env = clean_env(PIP_CACHE_DIR=str(cache))
    subprocess.run([python, "-m", "venv", str(venv)], check=True, env=env)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(requirements), str(wheel)],
        check=True,
        env=env,
    )


def uv_install(python: str, uv: str, work: Path, requirements: Path, wheel: Path, cache: Path) -> None:
    venv = work / "venv-uv"
    shutil.rmtree(venv, ignore_errors=True)
    env = clean_env(UV_CACHE_DIR=str(cache))
    subprocess.run([uv, "venv", "--quiet", "--python", python, str(venv)], check=True, env=env)
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-r", str(requirements), str(wheel)],
        check=True,
        env=env,
    )


Installer = Callable[[str, str, Path, Path, Path, Path], None]


def timed(
    install: Installer, python: str, uv: str, work: Path, requirements: Path, wheel: Path, *, warm: bool, runs: int
) -> list[float]:
    times = []
    warm_cache = work / f"cache-{install.__name__}-{requirements.stem}"
    if warm:
        install(python, uv, work, requirements, wheel, warm_cache)  # fills the cache, untimed
    for run in range(runs):
        cache = warm_cache if warm else work / f"cold-{install.__name__}-{requirements.stem}-{run}"
        start = time.perf_counter()
        install(python, uv, work, requirements, wheel, cache)
        times.append(time.perf_counter() - start)
        if not warm:
            shutil.rmtree(cache, ignore_errors=True)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per warm-cache cell (default 3)")
    parser.add_argument("--cold-runs", type=int, default=1, help="timed runs per cold-cache cell (default 1: each downloads)")
    parser.add_argument("--only", choices=sorted(SETS), help="measure one dependency set only")
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the new venvs (default: this one)")
    args = parser.parse_args()
    uv = tool_path("uv") or shutil.which("uv")
    if not uv:
        print("uv is not installed (./setup.sh installs it in .venv-tools/uv)", file=sys.stderr)
        return 1
    python = args.python
    sets = [args.only] if args.only else list(SETS)
    results: dict[tuple[str, str, str], float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
        work = Path(tmp)
        subprocess.run(
            [uv, "build", "--quiet", "--wheel", "--out-dir", str(work / "wheel"), str(ROOT)], check=True, env=clean_env()
        )
        wheel = next((work / "wheel").glob("leadforge-*.whl"))
        counts = {}
        for name in sets:
            requirements = work / f"{name}.txt"
            counts[name] = locked_requirements(uv, SETS[name], requirements)
            for cache in ("warm", "cold"):
                for tool, install in (("pip", pip_install), ("uv", uv_install)):
                    runs = args.runs if cache == "warm" else args.cold_runs
                    times = timed(install, python, uv, work, requirements, wheel, warm=cache == "warm", runs=runs)
                    results[(name, cache, tool)] = statistics.median(times)
                    print(
                        f"  {name:<4} {cache} {tool:<3}: median {results[(name, cache, tool)]:6.2f} s of {runs} run(s)",
                        file=sys.stderr,
                        flush=True,
                    )
    version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"\nFresh venv + locked dependencies + the LeadForge wheel ({version}, pip from python -m venv, "
        f"{Path(python).name} {sys.version.split()[0]})"
    )
    print(f"{'dependencies':<22} {'cache':<5} {'pip (s)':>9} {'uv (s)':>9} {'pip / uv':>9}")
    for name in sets:
        for cache in ("warm", "cold"):
            pip_s, uv_s = results[(name, cache, "pip")], results[(name, cache, "uv")]
            label = f"{name} ({counts[name]} packages)"
            print(f"{label:<22} {cache:<5} {pip_s:9.2f} {uv_s:9.2f} {pip_s / uv_s:8.1f}x")
    if len(sets) == 2:
        print("\nThe core vs everything (all extras: visual, deploy, scan, serve):")
        for tool in ("pip", "uv"):
            for cache in ("warm", "cold"):
                core, full = results[("core", cache, tool)], results[("all", cache, tool)]
                print(f"  {tool:<3} {cache}: core {core:6.2f} s, all {full:6.2f} s, core takes {core / full:5.0%} of the time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
