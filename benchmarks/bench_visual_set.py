#!/usr/bin/env python3
"""Benchmark: `leadforge visual compare` over a set of 50 screenshot pairs vs odiff, whole process.

    .venv/bin/python benchmarks/bench_visual_set.py [--repeat N] [--mix realistic|blocks|shift] [--data DIR] [--quick]

The set (generated once into --data, default a temporary folder): 50 pairs of web-page screenshots
(text lines, flat sections, cards, a photo; 10 each at 1280x800, 1280x1600, 1280x3200, 1280x8000 and
1920x1080). --mix realistic (default), per size: 3 with a few changed blocks, 1 whose content moved down
24 px (a banner added), 1 with the same pixels re-encoded (other bytes), 5 byte-identical (what `visual
capture` leaves for an unchanged page). --mix blocks: every pair has a few changed blocks. --mix shift:
every pair's content moved (nearly every pixel differs, anti-aliased text everywhere): the worst case.
The PNGs are written as `visual capture` stores them (Pillow, optimize).

Timed whole process, wall clock and CPU (user + system, workers included), median of --repeat rounds
(each round runs every tool once: the load of a shared machine drifts), page cache warm:
  ours         `leadforge visual compare --baseline A --current B --out R` (one process; pairs in parallel
               across the CPUs; writes before/after/diff/side-by-side images, report.json, index.html)
  odiff        the native odiff binary (npm odiff-bin) run once per pair with a diff image
               (`odiff a b diff.png --threshold 0.1 --antialiasing`, pixelmatch's defaults), one after another
  odiff server one `odiff --server` process fed every pair as a JSON line (its batch mode)
The ratio is ours / the faster odiff mode (<= 1.0 is the target). Single pair: `leadforge visual diff a b
--out d.png` vs `odiff a b d.png` on the largest changed pair and a 1920x1080 one (target <= 2.0).
Counts: our report's mismatch for every pair against JS pixelmatch 7.2.0 run by node on the decoded pixels.
Peak memory: the largest sum of the resident set sizes of the process tree (sampled every 5 ms, a run
of its own), and the largest single process (getrusage).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

ODIFF = ROOT / "tests" / "js" / "node_modules" / "@odiff" / "linux-x64" / "odiff"
SIZES = ((1280, 800), (1280, 1600), (1280, 3200), (1280, 8000), (1920, 1080))
# per size, in order: what the current screenshot is
KINDS = ("blocks", "blocks", "blocks", "shift", "reencoded", "identical", "identical", "identical", "identical", "identical")
CHANGED_KINDS = ("blocks", "shift")


@dataclass(frozen=True)
class PairSpec:
    name: str
    width: int
    height: int
    kind: str  # blocks | shift | reencoded | identical
    seed: int


MIXES = ("realistic", "blocks", "shift")


def plan_set(pairs: int = 50, *, mix: str = "realistic", scale: float = 1.0) -> list[PairSpec]:
    """The set's pairs: sizes in blocks of ten; kinds as in KINDS (realistic) or all of one kind."""
    if mix not in MIXES:
        raise ValueError(f"mix {mix!r}: one of {', '.join(MIXES)}")
    specs = []
    for i in range(pairs):
        width, height = SIZES[(i * len(SIZES)) // pairs]
        width, height = max(int(width * scale), 16), max(int(height * scale), 16)
        kind = KINDS[i % len(KINDS)] if mix == "realistic" else mix
        specs.append(PairSpec(f"page{i:02d}-{width}x{height}.png", width, height, kind, seed=100 + i))
    return specs


def site_page(width: int, height: int, seed: int, *, offset: int = 0) -> np.ndarray:
    """A web-page-like screenshot: a header bar, flat sections, headings and text lines, cards with a
    border and a photo. ``offset`` moves everything below the header down (a banner was added)."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    image = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    small = ImageFont.load_default(size=15)
    title = ImageFont.load_default(size=26)
    header = min(64, height // 4)
    draw.rectangle((0, 0, width, header), fill=(32, 56, 112, 255))
    draw.text((40, header // 4), f"LeadForge — page {seed}", fill=(255, 255, 255, 255), font=title)
    if offset:
        draw.rectangle((0, header, width, header + offset), fill=(255, 244, 200, 255))
        draw.text((40, header + 4), "New: visual checks on every pull request", fill=(90, 70, 0, 255), font=small)
    photo = rng.integers(0, 256, (max(min(120, height // 8), 4), max(min(160, width // 8), 4), 4), dtype=np.uint8)
    photo[..., 3] = 255
    section = max(height // 10, 200)
    for n, top in enumerate(range(header + 26 + offset, height - 40, section)):
        if n % 2:
            draw.rectangle((0, top - 10, width, min(top + section - 10, height)), fill=(246, 247, 249, 255))
        draw.text((40, top), f"Section {n + 1}", fill=(20, 20, 20, 255), font=title)
        for line in range(top + 44, min(top + section - 40, height - 30), 22):
            words = " ".join(rng.choice(["lorem", "ipsum", "dolor", "sit", "amet", "build", "deploy", "review"], 9))
            draw.text((40, line), words, fill=(40, 40, 40, 255), font=small)
        right = min(width - 40, 1200)
        if right - 420 > width // 2 and top + 200 < height:
            draw.rounded_rectangle(
                (right - 420, top + 20, right, top + 180),
                radius=14,
                outline=(90, 100, 200, 255),
                width=2,
                fill=(252, 252, 255, 255),
            )
            draw.text((right - 400, top + 36), f"Build #{seed * 10 + n} passed", fill=(20, 120, 40, 255), font=small)
            image.paste(Image.fromarray(photo, "RGBA"), (right - 390, top + 60))
    return np.asarray(image).copy()


def changed_blocks(base: np.ndarray, seed: int) -> np.ndarray:
    """A few regions changed: a button recoloured, a line of text replaced, a badge added."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    height, width = base.shape[:2]
    image = Image.fromarray(base, "RGBA")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    y = int(rng.integers(height // 8, max(height // 2, height // 8 + 1)))
    draw.rounded_rectangle((40, y, min(240, width - 1), y + 40), radius=8, fill=(200, 40, 60, 255))
    line = int(rng.integers(height // 2, max(height - 40, height // 2 + 1)))
    draw.rectangle((40, line, min(900, width - 1), line + 20), fill=tuple(int(v) for v in base[line, 45]))
    draw.text((40, line), "Changed copy on this line, with a different length", fill=(40, 40, 40, 255), font=font)
    draw.ellipse((width - 80, 10, width - 40, 50), fill=(255, 160, 0, 255))
    return np.asarray(image).copy()


def _write_pair(args: tuple[PairSpec, str]) -> None:
    from PIL import Image

    from leadforge.visual.images import encode_png

    spec, folder = args
    base_dir, current_dir = Path(folder) / "baseline", Path(folder) / "current"
    before = site_page(spec.width, spec.height, spec.seed)
    before_png = encode_png(before, optimize=True)
    (base_dir / spec.name).write_bytes(before_png)
    if spec.kind == "identical":
        (current_dir / spec.name).write_bytes(before_png)
        return
    if spec.kind == "reencoded":
        Image.fromarray(before, "RGBA").save(current_dir / spec.name, compress_level=6)
        return
    if spec.kind == "blocks":
        after = changed_blocks(before, spec.seed)
    else:
        after = site_page(spec.width, spec.height, spec.seed, offset=24)
    (current_dir / spec.name).write_bytes(encode_png(after, optimize=True))


def make_set(folder: Path, specs: list[PairSpec], *, workers: int = 1) -> None:
    """Write the baseline/ and current/ folders of ``specs`` (skipped when ``folder`` holds this very set)."""
    manifest = folder / "set.json"
    wanted = json.dumps([spec.__dict__ for spec in specs])
    if manifest.is_file() and manifest.read_text() == wanted:
        return
    for sub in ("baseline", "current"):
        shutil.rmtree(folder / sub, ignore_errors=True)
        (folder / sub).mkdir(parents=True)
    jobs = [(spec, str(folder)) for spec in specs]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write_pair, jobs))
    else:
        for job in jobs:
            _write_pair(job)
    manifest.write_text(wanted)


# ---- measuring ------------------------------------------------------------------------------


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(c) for c in children.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


@dataclass
class Run:
    seconds: float  # wall clock
    cpu: float = 0.0  # user + system seconds of the process and every process it waited for (wait4)
    peak_tree: int = 0  # bytes, sampled


def _wait(proc: subprocess.Popen[str]) -> tuple[int, float]:
    """Reap ``proc``: its exit status and CPU seconds (its own and its reaped children's)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def run(argv: list[str], *, sample: bool = False) -> Run:
    """Wall and CPU time of one command (and, with ``sample``, the peak RSS of its process tree)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    if sample:
        while True:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.005)
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                break
    stderr = proc.stderr.read() if proc.stderr else ""
    code, cpu = _wait(proc)
    seconds = time.perf_counter() - start
    if code not in (0, 1, 22):
        raise SystemExit(f"{argv[0]} failed ({code}): {stderr.strip()[:500]}")
    return Run(seconds, cpu, peak)


def run_many(argvs: list[list[str]], *, sample: bool = False) -> Run:
    """The commands one after another: total wall and CPU time, the largest tree."""
    start = time.perf_counter()
    runs = [run(argv, sample=sample) for argv in argvs]
    return Run(time.perf_counter() - start, sum(r.cpu for r in runs), max(r.peak_tree for r in runs))


def odiff_server(requests: list[dict[str, object]], *, sample: bool = False) -> Run:
    """One `odiff --server` process: wait for ready, send every request, read every answer."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(ODIFF), "--server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    ready = json.loads(proc.stdout.readline())
    if not ready.get("ready"):
        raise SystemExit(f"odiff --server: unexpected first line {ready}")
    peak = 0
    for request in requests:
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())
        if answer.get("error"):
            raise SystemExit(f"odiff --server: {answer['error']}")
        if sample:
            peak = max(peak, _tree_rss(proc.pid))
    proc.stdin.close()
    _, cpu = _wait(proc)
    return Run(time.perf_counter() - start, cpu, peak)


def max_child_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def interleaved(tools: dict[str, Callable[[], Run]], repeat: int, reset: Callable[[], object] | None = None) -> dict[str, Run]:
    """Run every tool once per round, round after round (the machine's load drifts: each round sees
    the same load for all), and keep each tool's median wall and CPU time."""
    runs: dict[str, list[Run]] = {name: [] for name in tools}
    for _ in range(repeat):
        for name, fn in tools.items():
            if reset is not None:
                reset()
            runs[name].append(fn())
    return {
        name: Run(statistics.median(r.seconds for r in rs), statistics.median(r.cpu for r in rs)) for name, rs in runs.items()
    }


# ---- counts against JS pixelmatch -----------------------------------------------------------


def js_counts(folder: Path, specs: list[PairSpec]) -> dict[str, int]:
    """JS pixelmatch 7.2.0's mismatch count (default options) for every pair, in batches of 4 (the raw
    RGBA files the runner reads are large)."""
    from leadforge.visual.images import load_rgba
    from tests.visual.reference import Case, run_js

    counts = {}
    for start in range(0, len(specs), 4):
        batch = specs[start : start + 4]
        cases = [Case(s.name, load_rgba(folder / "baseline" / s.name), load_rgba(folder / "current" / s.name)) for s in batch]
        work = Path(tempfile.mkdtemp(prefix="bench-js-"))
        try:
            for spec, result in zip(batch, run_js(cases, work, with_output=False), strict=True):
                counts[spec.name] = result.mismatch
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return counts


def odiff_count(stdout: str) -> int:
    for word in stdout.split():
        if word.isdigit():
            return int(word)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median; default 3)")
    parser.add_argument("--mix", choices=MIXES, default="realistic", help="what the current screenshots are (see above)")
    parser.add_argument("--data", metavar="DIR", help="folder for the generated set (kept and reused)")
    parser.add_argument("--quick", action="store_true", help="1 run per timing, no JS counts")
    parser.add_argument("--jobs", type=int, default=None, help="passed to `visual compare --jobs`")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    if not ODIFF.is_file():
        print(f"odiff is missing ({ODIFF}): npm ci --prefix tests/js", file=sys.stderr)
        return 1
    leadforge = str(Path(sys.executable).parent / "leadforge")
    # as `pip install` leaves it: byte-compiled (PYTHONDONTWRITEBYTECODE would have every run compile the sources)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "scripts" / "leadforge")], check=True)
    folder = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="bench-visual-set-"))
    specs = plan_set(mix=args.mix)
    print(f"generating the set in {folder} ...", file=sys.stderr)
    make_set(folder, specs, workers=os.cpu_count() or 1)
    base, current = folder / "baseline", folder / "current"
    kinds = {kind: sum(1 for s in specs if s.kind == kind) for kind in dict.fromkeys(s.kind for s in specs)}
    pixels = sum(s.width * s.height for s in specs)
    size_mb = sum(p.stat().st_size for p in [*base.iterdir(), *current.iterdir()]) / 1e6
    for path in [*base.iterdir(), *current.iterdir()]:
        path.read_bytes()  # warm the page cache for everyone

    out_ours, out_odiff = folder / "report", folder / "odiff"

    def reset() -> None:
        shutil.rmtree(out_ours, ignore_errors=True)
        shutil.rmtree(out_odiff, ignore_errors=True)
        out_odiff.mkdir(parents=True)

    ours_argv = [
        leadforge,
        "visual",
        "compare",
        "--baseline",
        str(base),
        "--current",
        str(current),
        "--out",
        str(out_ours),
        "--max-ratio",
        "1",
        "--repo",
        str(folder),
    ]
    if args.jobs:
        ours_argv += ["--jobs", str(args.jobs)]
    odiff_argvs = [
        [str(ODIFF), str(base / s.name), str(current / s.name), str(out_odiff / s.name), "--threshold", "0.1", "--antialiasing"]
        for s in specs
    ]
    requests = [
        {
            "requestId": i,
            "base": str(base / s.name),
            "compare": str(current / s.name),
            "output": str(out_odiff / s.name),
            "options": {"threshold": 0.1, "antialiasing": True},
        }
        for i, s in enumerate(specs)
    ]

    print("timing ...", file=sys.stderr)
    timed = interleaved(
        {"ours": lambda: run(ours_argv), "each": lambda: run_many(odiff_argvs), "server": lambda: odiff_server(requests)},
        repeat,
        reset,
    )
    ours, odiff_each, odiff_batch = timed["ours"], timed["each"], timed["server"]
    reset()
    ours_mem = run(ours_argv, sample=True).peak_tree
    ours_max = max_child_rss()
    reset()
    odiff_mem = run_many(odiff_argvs, sample=True).peak_tree
    reset()
    server_mem = odiff_server(requests, sample=True).peak_tree
    odiff_max = max_child_rss()

    reset()
    run(ours_argv)
    report = json.loads((out_ours / "report.json").read_text())
    ours_counts = {e["name"]: e["mismatch"] for e in report["entries"]}
    odiff_counts = {}
    for s, argv in zip(specs, odiff_argvs, strict=True):
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        odiff_counts[s.name] = odiff_count(done.stdout) if done.returncode == 22 else 0
    written = sorted(p.name for p in (out_ours / "images").iterdir())
    js = {} if args.quick else js_counts(folder, specs)

    # single pair
    largest = max((s for s in specs if s.kind in CHANGED_KINDS), key=lambda s: (s.width * s.height, s.kind == "blocks"))
    hd = next((s for s in specs if s.kind == "blocks" and (s.width, s.height) == (1920, 1080)), None)
    singles = []
    for spec in [largest] + ([hd] if hd else []):
        a, b = str(base / spec.name), str(current / spec.name)
        ours_argv = [leadforge, "visual", "diff", a, b, "--out", str(folder / "one-ours.png")]
        odiff_argv = [str(ODIFF), a, b, str(folder / "one-odiff.png"), "--antialiasing"]
        one = interleaved(
            {"ours": functools.partial(run, ours_argv), "odiff": functools.partial(run, odiff_argv)}, max(repeat, 5)
        )
        singles.append((spec, one["ours"], one["odiff"]))

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    done = subprocess.run([str(ODIFF), "--version"], capture_output=True, text=True, check=False)
    version = (done.stdout + done.stderr).strip().splitlines()[0] if (done.stdout + done.stderr).strip() else "?"
    mix = ", ".join(f"{n} {k}" for k, n in kinds.items())
    print(
        f"\nset ({args.mix}): {len(specs)} pairs ({mix}), {pixels / 1e6:.0f} Mpx per side, "
        f"{size_mb:.0f} MB of PNG; odiff {version}; {cpus} CPUs, load {os.getloadavg()[0]:.1f}; median of {repeat}\n"
    )
    faster = min(odiff_each, odiff_batch, key=lambda r: r.seconds)
    rows = [
        ("leadforge visual compare", ours, ours_mem),
        ("odiff, once per pair", odiff_each, odiff_mem),
        ("odiff --server (batch)", odiff_batch, server_mem),
    ]
    print(f"{'whole set':<28} {'wall s':>8} {'CPU s':>8} {'peak RSS (tree)':>16}")
    for label, measured, mem in rows:
        print(f"{label:<28} {measured.seconds:>8.2f} {measured.cpu:>8.2f} {mem / 1e6:>13.0f} MB")
    print(f"largest single process: ours {ours_max / 1e6:.0f} MB, odiff {odiff_max / 1e6:.0f} MB")
    ratio = ours.seconds / faster.seconds
    verdict = "met" if ratio <= 1.0 else "MISSED"
    print(f"\nratio ours / faster odiff mode, wall: {ratio:.2f}x  (target <= 1.0: {verdict}); CPU: {ours.cpu / faster.cpu:.2f}x")
    changed = [s for s in specs if s.kind in CHANGED_KINDS]
    print(
        f"report images written: {len(written)} ({len(changed)} changed pairs x before/after/diff/side-by-side); "
        f"odiff diff images: {len(list(out_odiff.iterdir()))}"
    )
    if js:
        same = [name for name in js if js[name] == ours_counts.get(name)]
        print(
            f"counts equal to JS pixelmatch 7.2.0: {len(same)}/{len(js)} pairs"
            f"{'' if len(same) == len(js) else '  MISMATCH: ' + ', '.join(n for n in js if n not in same)}"
        )
    agree = sum(1 for s in specs if odiff_counts[s.name] == ours_counts[s.name])
    print(f"odiff's counts equal ours on {agree}/{len(specs)} pairs (odiff is not pixelmatch: informational)")
    print("\nsingle pair, whole process with a diff image:")
    for spec, ours_one, odiff_one in singles:
        r = ours_one.seconds / odiff_one.seconds
        print(
            f"  {spec.name:<24} {spec.kind:<7} leadforge visual diff {ours_one.seconds:6.3f} s   "
            f"odiff {odiff_one.seconds:6.3f} s   ratio {r:.2f}x  (target <= 2.0: {'met' if r <= 2.0 else 'MISSED'}); "
            f"CPU {ours_one.cpu:.3f} vs {odiff_one.cpu:.3f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
