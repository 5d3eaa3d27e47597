#!/usr/bin/env python3
"""Benchmark: leadforge.visual.diff.pixelmatch vs JS pixelmatch 7.2.0 (node) vs the PyPI port.

    .venv/bin/python benchmarks/bench_visual.py [--quick] [--repeat N] [--no-pypi]

Cases (generated screenshots of a web page, PNG decode excluded from in-process timings):
  typical-1080p   1920x1080, a few regions changed
  typical-long    1280x8000, a few regions changed
  worst-1080p     1920x1080, the whole page shifted by (3, 2) px, with a faint position-dependent
                  tint so that every pixel differs
  shifted-1080p   the plain page shifted by (3, 2) px: most pixels differ, anti-aliased text everywhere
Each is timed with a diff image (the usual use) and without (count only). JS is timed inside
node (process.hrtime around the pixelmatch call), ours with perf_counter around ours: the
median of N runs. The PyPI port is pure Python: timed once, on the 1080p typical case.
Peak memory: tracemalloc's peak during our call (numpy allocations are traced), beyond the
inputs and the preallocated output, divided by the pixel count. Whole process: wall time of
`leadforge visual diff a.png b.png --out d.png` vs `node pixelmatch/bin/pixelmatch a.png b.png d.png`.

Targets (issue 5): >= JS speed on typical cases, >= 100x the PyPI port, >= 0.5x JS on the
worst case, <= 12 bytes/pixel extra peak memory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

# benchmarks run as scripts: the checkout's own packages come first
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from leadforge.visual.diff import pixelmatch
from tests.visual.reference import JS_DIR, Case, js_available, run_js

ROOT = Path(__file__).resolve().parents[1]


def page(width: int, height: int, *, dx: int = 0, dy: int = 0, tint: bool = False, seed: int = 1) -> np.ndarray:
    """A web-page-like screenshot: shaded background, header, text lines, cards, a photo.

    ``tint`` adds a faint position-dependent pattern (like dithering) so that a shift changes
    every pixel, solid areas included: the worst case."""
    from PIL import Image, ImageDraw, ImageFont

    pad = 8
    ys, xs = np.mgrid[0 : height + 2 * pad, 0 : width + 2 * pad]
    bg = np.empty((height + 2 * pad, width + 2 * pad, 4), dtype=np.uint8)
    bg[..., 0] = 236 + (xs * 12) // (width + 2 * pad)
    bg[..., 1] = 240 + (ys % 9)
    bg[..., 2] = 236
    bg[..., 3] = 255
    image = Image.fromarray(bg, "RGBA")
    draw = ImageDraw.Draw(image)
    small = ImageFont.load_default(size=15)
    title = ImageFont.load_default(size=26)
    rng = np.random.default_rng(seed)
    draw.rectangle((0, 0, width + 2 * pad, 64), fill=(32, 56, 112, 255))
    draw.text((40, 18), "LeadForge — pipeline dashboard", fill=(255, 255, 255, 255), font=title)
    photo = rng.integers(0, 256, (120, 160, 4), dtype=np.uint8)
    photo[..., 3] = 255
    for top in range(90, height - 40, 600):
        draw.text((40, top), f"Section {top // 600 + 1}", fill=(20, 20, 20, 255), font=title)
        for line in range(top + 44, min(top + 560, height - 30), 22):
            draw.text(
                (40, line),
                f"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor {line}",
                fill=(40, 40, 40, 255),
                font=small,
            )
        right = min(width - 40, 1200)
        draw.rounded_rectangle(
            (right - 420, top + 40, right, top + 300), radius=14, outline=(90, 100, 200, 255), width=2, fill=(252, 252, 255, 255)
        )
        draw.text((right - 400, top + 60), "Build #1234 passed", fill=(20, 120, 40, 255), font=small)
        image.paste(Image.fromarray(photo, "RGBA"), (right - 390, top + 120))
    pixels = np.asarray(image).copy()
    # a faint position-dependent tint over everything (like dithering): a shift by (3, 2) then
    # changes (nearly) every pixel, solid areas included
    if tint:
        pixels[..., 2] += ((xs + 2 * ys) % 13).astype(np.uint8)
    return np.ascontiguousarray(pixels[pad + dy : pad + dy + height, pad + dx : pad + dx + width])


def changed(base: np.ndarray) -> np.ndarray:
    """A few regions changed: a button recoloured, a line of text replaced, a badge added."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray(base, "RGBA")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    draw.rounded_rectangle((40, 300, 240, 340), radius=8, fill=(200, 40, 60, 255))
    draw.rectangle((40, 420, 900, 440), fill=tuple(int(v) for v in base[430, 45]))
    draw.text((40, 420), "Changed copy on this line, with a different length", fill=(40, 40, 40, 255), font=font)
    draw.ellipse((1000, 150, 1040, 190), fill=(255, 160, 0, 255))
    return np.asarray(image).copy()


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def ours_ms(img1: np.ndarray, img2: np.ndarray, with_output: bool, repeat: int) -> tuple[float, int]:
    output = np.zeros_like(img1) if with_output else None
    count = pixelmatch(img1, img2, output)  # warm-up (and the count)
    return median_ms(lambda: pixelmatch(img1, img2, output), repeat), count


def peak_bytes_per_pixel(img1: np.ndarray, img2: np.ndarray) -> float:
    output = np.zeros_like(img1)
    tracemalloc.start()
    pixelmatch(img1, img2, output)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (img1.shape[0] * img1.shape[1])


def pypi_seconds(img1: np.ndarray, img2: np.ndarray) -> tuple[float, int]:
    from pixelmatch import pixelmatch as pypi

    height, width = img1.shape[:2]
    a, b, out = img1.tobytes(), img2.tobytes(), bytearray(img1.size)
    start = time.perf_counter()
    count = pypi(a, b, width, height, out)  # type: ignore[arg-type]  # its types want MutableSequence[int | float]; it writes into a bytearray as well
    return time.perf_counter() - start, count


def wall(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs per timing (median; default 9)")
    parser.add_argument("--quick", action="store_true", help="3 runs per timing")
    parser.add_argument("--no-pypi", action="store_true", help="skip the (slow, pure Python) PyPI port")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat
    why = js_available()
    if why:
        print(f"cannot run the JS reference: {why}", file=sys.stderr)
        return 1

    print("generating pages ...", file=sys.stderr)
    base_1080 = page(1920, 1080)
    base_long = page(1280, 8000)
    cases = [
        ("typical-1080p", base_1080, changed(base_1080)),
        ("typical-long", base_long, changed(base_long)),
        ("worst-1080p", page(1920, 1080, tint=True), page(1920, 1080, dx=3, dy=2, tint=True)),
        ("shifted-1080p", base_1080, page(1920, 1080, dx=3, dy=2)),
    ]
    worst = cases[2]
    differing = np.count_nonzero(worst[1].reshape(-1).view(np.uint32) != worst[2].reshape(-1).view(np.uint32))
    print(f"worst case: {differing / worst[1][..., 0].size:.4%} of the pixels differ", file=sys.stderr)

    work = Path(tempfile.mkdtemp(prefix="bench-visual-"))
    js_cases = [Case(name, a, b) for name, a, b in cases]
    print("timing JS pixelmatch 7.2.0 under node ...", file=sys.stderr)
    js_out = run_js(js_cases, work / "js-out", with_output=True, repeat=repeat)
    js_count = run_js(js_cases, work / "js-count", with_output=False, repeat=repeat)

    print(
        f"\nnode {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs; median of {repeat} runs, in-process, decode excluded\n"
    )
    header = f"{'case':<15} {'pixels':>10} {'mode':<11} {'JS ms':>8} {'ours ms':>8} {'ours/JS speed':>14} {'mismatch':>9}"
    print(header)
    print("-" * len(header))
    speed: dict[tuple[str, str], float] = {}
    for (name, a, b), jo, jc in zip(cases, js_out, js_count, strict=True):
        for mode, js in (("diff image", jo), ("count only", jc)):
            ms, count = ours_ms(a, b, mode == "diff image", repeat)
            js_ms = statistics.median(js.ms)
            assert count == js.mismatch, f"{name}: ours {count} != JS {js.mismatch}"
            speed[(name, mode)] = js_ms / ms
            print(f"{name:<15} {a.shape[0] * a.shape[1]:>10} {mode:<11} {js_ms:>8.1f} {ms:>8.1f} {js_ms / ms:>13.2f}x {count:>9}")

    print("\npeak memory during our call, beyond inputs and output:")
    memory = {}
    for name, a, b in cases:
        memory[name] = peak_bytes_per_pixel(a, b)
        print(f"  {name:<15} {memory[name]:6.2f} bytes/pixel")

    pypi_ratio = None
    if not args.no_pypi:
        print("\ntiming the PyPI port once on typical-1080p (pure Python) ...", file=sys.stderr)
        name, a, b = cases[0]
        seconds, count = pypi_seconds(a, b)
        ours, _ = ours_ms(a, b, False, repeat)
        pypi_ratio = seconds * 1000 / ours
        print(
            f"\nPyPI pixelmatch port, {name} count only: {seconds * 1000:.0f} ms (mismatch {count}); "
            f"ours {ours:.1f} ms: {pypi_ratio:.0f}x faster"
        )

    print("\nwhole process (PNG decode + diff + PNG encode), median wall ms:")
    for name, a, b in cases[:1] + cases[2:3]:
        from PIL import Image

        pa, pb = work / f"{name}-a.png", work / f"{name}-b.png"
        Image.fromarray(a, "RGBA").save(pa)
        Image.fromarray(b, "RGBA").save(pb)
        leadforge = [
            str(Path(sys.executable).parent / "leadforge"),
            "visual",
            "diff",
            str(pa),
            str(pb),
            "--out",
            str(work / "ours.png"),
        ]
        js_cli = [
            "node",
            str(JS_DIR / "node_modules" / "pixelmatch" / "bin" / "pixelmatch"),
            str(pa),
            str(pb),
            str(work / "js.png"),
        ]
        ours_wall = wall(leadforge, max(repeat // 3, 2))
        js_wall = wall(js_cli, max(repeat // 3, 2))
        print(f"  {name:<15} leadforge visual diff {ours_wall:7.0f}   JS CLI {js_wall:7.0f}   ratio {js_wall / ours_wall:.2f}x")

    print("\ntargets:")
    typical = min(speed[(n, m)] for n in ("typical-1080p", "typical-long") for m in ("diff image", "count only"))
    worst_speed = min(speed[(n, m)] for n in ("worst-1080p", "shifted-1080p") for m in ("diff image", "count only"))
    rows = [
        (">= 1x JS on typical cases", f"{typical:.2f}x", typical >= 1.0),
        (">= 0.5x JS on the worst case", f"{worst_speed:.2f}x", worst_speed >= 0.5),
        ("<= 12 bytes/pixel extra memory", f"{max(memory.values()):.2f}", max(memory.values()) <= 12),
    ]
    if pypi_ratio is not None:
        rows.append((">= 100x the PyPI port", f"{pypi_ratio:.0f}x", pypi_ratio >= 100))
    for label, value, ok in rows:
        print(f"  {label:<34} {value:>8}  {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
