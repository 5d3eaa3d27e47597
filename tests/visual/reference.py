"""The reference implementations our diff is checked against, and image generators for the checks.

* the npm package ``pixelmatch@7.2.0`` (``tests/js``, installed by ``setup.sh`` with
  ``npm ci --prefix tests/js``), run in one ``node`` process per batch of cases;
* the PyPI ``pixelmatch`` port (a dev dependency), which follows the older pixelmatch 5
  algorithm: no ``diffColorAlt``, translucent pixels blended with white.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "tests" / "js"
JS_RUNNER = JS_DIR / "pixelmatch_ref.mjs"


def js_available() -> str | None:
    """Why the JS reference cannot run, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (JS_DIR / "node_modules" / "pixelmatch" / "index.js").is_file():
        return "tests/js/node_modules is missing: run `npm ci --prefix tests/js` (setup.sh does)"
    return None


requires_js = pytest.mark.skipif(js_available() is not None, reason=str(js_available()))


# Our keyword names -> the JS option names.
_JS_NAMES = {
    "threshold": "threshold",
    "include_aa": "includeAA",
    "alpha": "alpha",
    "aa_color": "aaColor",
    "diff_color": "diffColor",
    "diff_color_alt": "diffColorAlt",
    "diff_mask": "diffMask",
    "checkerboard": "checkerboard",
}


def js_options(options: dict[str, Any]) -> dict[str, Any]:
    return {_JS_NAMES[k]: (list(v) if isinstance(v, tuple) else v) for k, v in options.items() if v is not None}


@dataclass
class Case:
    name: str
    img1: np.ndarray
    img2: np.ndarray
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class JsResult:
    mismatch: int
    output: np.ndarray | None
    ms: list[float]


def run_js(cases: Sequence[Case], workdir: Path, *, with_output: bool = True, repeat: int = 1) -> list[JsResult]:
    """Run JS pixelmatch 7.2.0 on every case (one node process); outputs start zero-filled."""
    workdir.mkdir(parents=True, exist_ok=True)
    job = []
    for n, case in enumerate(cases):
        a, b, out = workdir / f"{n}.a", workdir / f"{n}.b", workdir / f"{n}.out"
        np.ascontiguousarray(case.img1).tofile(a)
        np.ascontiguousarray(case.img2).tofile(b)
        height, width = case.img1.shape[:2]
        job.append(
            {
                "a": str(a),
                "b": str(b),
                "out": str(out) if with_output else None,
                "width": width,
                "height": height,
                "options": js_options(case.options),
                "repeat": repeat,
            }
        )
    done = subprocess.run(
        ["node", str(JS_RUNNER)], input=json.dumps({"cases": job}), capture_output=True, text=True, cwd=JS_DIR, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"node reference failed: {done.stderr.strip()}")
    results = []
    for n, (case, raw) in enumerate(zip(cases, json.loads(done.stdout), strict=True)):
        output = None
        if with_output:
            output = np.fromfile(workdir / f"{n}.out", dtype=np.uint8).reshape(case.img1.shape)
        results.append(JsResult(int(raw["mismatch"]), output, [float(x) for x in raw["ms"]]))
    return results


def run_pypi(case: Case) -> tuple[int, np.ndarray]:
    """The PyPI port on the same pair (opaque images; its options are the pixelmatch 5 subset)."""
    from pixelmatch import pixelmatch as pypi_pixelmatch

    height, width = case.img1.shape[:2]
    output = bytearray(width * height * 4)
    opts = case.options
    mismatch = pypi_pixelmatch(
        case.img1.tobytes(),
        case.img2.tobytes(),
        width,
        height,
        output,  # type: ignore[arg-type]  # its types want MutableSequence[int | float]; it writes into a bytearray as well
        threshold=opts.get("threshold", 0.1),
        includeAA=opts.get("include_aa", False),
        alpha=opts.get("alpha", 0.1),
        aa_color=opts.get("aa_color", (255, 255, 0)),
        diff_color=opts.get("diff_color", (255, 0, 0)),
        diff_mask=opts.get("diff_mask", False),
    )
    return mismatch, np.frombuffer(bytes(output), dtype=np.uint8).reshape(case.img1.shape)


# ---- generated image pairs ------------------------------------------------------------------


def _canvas(width: int, height: int, colour: tuple[int, int, int, int] = (255, 255, 255, 255)) -> Any:
    from PIL import Image

    return Image.new("RGBA", (width, height), colour)


def _rgba(image: Any) -> np.ndarray:
    return np.asarray(image.convert("RGBA")).copy()


def text_image(
    width: int,
    height: int,
    text: str,
    *,
    dx: int = 0,
    dy: int = 0,
    size: int = 13,
    colour: tuple[int, int, int, int] = (20, 20, 20, 255),
) -> np.ndarray:
    """Anti-aliased text lines, like a rendered web page."""
    from PIL import ImageDraw, ImageFont

    image = _canvas(width, height)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size)
    for line, y in enumerate(range(2, height - size, size + 4)):
        draw.text((3 + dx, y + dy), f"{text} {line}", fill=colour, font=font)
    return _rgba(image)


def shapes_image(width: int, height: int, *, dx: float = 0.0, dy: float = 0.0, scale: int = 4) -> np.ndarray:
    """Anti-aliased shapes (drawn large, then downsampled), optionally shifted by a sub-pixel amount."""
    from PIL import Image, ImageDraw

    big = _canvas(width * scale, height * scale, (245, 247, 250, 255))
    draw = ImageDraw.Draw(big)
    ox, oy = dx * scale, dy * scale
    draw.ellipse(
        (ox + width * 0.1 * scale, oy + height * 0.1 * scale, ox + width * 0.5 * scale, oy + height * 0.6 * scale),
        fill=(200, 40, 40, 255),
    )
    draw.rectangle(
        (ox + width * 0.55 * scale, oy + height * 0.2 * scale, ox + width * 0.9 * scale, oy + height * 0.5 * scale),
        outline=(20, 20, 160, 255),
        width=max(scale, 2),
    )
    draw.line((ox, oy + height * 0.8 * scale, ox + width * scale, oy + height * 0.65 * scale), fill=(0, 120, 0, 255), width=scale)
    return _rgba(big.resize((width, height), Image.Resampling.LANCZOS))


def gradient_image(width: int, height: int, *, phase: int = 0) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width]
    img = np.empty((height, width, 4), dtype=np.uint8)
    img[..., 0] = (xs * 255 // max(width - 1, 1) + phase) % 256
    img[..., 1] = ys * 255 // max(height - 1, 1)
    img[..., 2] = (xs + ys + phase) % 256
    img[..., 3] = 255
    return img


def generated_cases(seed: int = 7) -> Iterator[Case]:
    """Many pairs of the kinds screenshots produce, each with a different option mix."""
    rng = np.random.default_rng(seed)

    def options(n: int) -> dict[str, Any]:
        choice: dict[str, Any] = {
            "threshold": [0.0, 0.05, 0.1, 0.2, 0.5, 1.0][n % 6],
            "include_aa": n % 5 == 3,
            "alpha": [0.1, 0.0, 0.5, 1.0][n % 4],
            "diff_mask": n % 7 == 2,
            "checkerboard": n % 3 != 1,
        }
        if n % 2:
            choice["diff_color_alt"] = (0, 200, 0)
        if n % 4 == 1:
            choice["aa_color"] = (0, 0, 255)
            choice["diff_color"] = (255, 0, 255)
        return choice

    n = 0
    for width, height in ((60, 40), (97, 31), (40, 80)):
        base = text_image(width, height, "Sign in")
        yield Case(f"text-shift-{width}x{height}", base, text_image(width, height, "Sign in", dx=1), options(n))
        n += 1
        yield Case(f"text-change-{width}x{height}", base, text_image(width, height, "Sign up"), options(n))
        n += 1
        yield Case(
            f"text-colour-{width}x{height}", base, text_image(width, height, "Sign in", colour=(40, 40, 200, 255)), options(n)
        )
        n += 1
        yield Case(f"text-size-{width}x{height}", base, text_image(width, height, "Sign in", size=14), options(n))
        n += 1
        shapes = shapes_image(width, height)
        for k, (dx, dy) in enumerate(((0.5, 0.0), (0.0, 0.25), (1.0, 1.0))):
            yield Case(f"shapes-{dx}-{dy}-{width}x{height}", shapes, shapes_image(width, height, dx=dx, dy=dy), options(n + k))
        n += 3
        grad = gradient_image(width, height)
        yield Case(f"gradient-{width}x{height}", grad, gradient_image(width, height, phase=3), options(n))
        n += 1
        boxed = grad.copy()
        boxed[height // 4 : height // 2, width // 3 : width // 2] = (255, 255, 255, 255)
        yield Case(f"gradient-box-{width}x{height}", grad, boxed, options(n))
        n += 1
        noise = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
        noise[..., 3] = 255
        noisy = noise.copy()
        mask = rng.random((height, width)) < 0.1
        noisy[mask] = rng.integers(0, 256, (int(mask.sum()), 4), dtype=np.uint8)
        noisy[..., 3] = 255
        yield Case(f"noise-{width}x{height}", noise, noisy, options(n))
        n += 1
        # translucent pixels: the checkerboard (or white) blend paths
        alpha1 = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
        alpha2 = alpha1.copy()
        alpha2[..., 3] = np.clip(alpha2[..., 3].astype(int) + rng.integers(-40, 40, (height, width)), 0, 255)
        yield Case(f"alpha-{width}x{height}", alpha1, alpha2, options(n))
        n += 1
        text_alpha = text_image(width, height, "Menu")
        text_alpha[..., 3] = np.where(text_alpha[..., 0] < 128, 200, 255)
        yield Case(f"text-alpha-{width}x{height}", text_alpha, text_image(width, height, "Menu", dx=1), options(n))
        n += 1
        # few, quantised colours: many exact-equal neighbours and zero brightness deltas
        flat = (rng.integers(0, 3, (height, width, 1)) * 120).astype(np.uint8).repeat(4, axis=2)
        flat[..., 3] = 255
        yield Case(f"flat-roll-{width}x{height}", flat, np.roll(flat, 1, axis=1), options(n))
        n += 1
    # degenerate sizes: single row/column, tiny, and identical images
    for width, height in ((1, 1), (1, 17), (23, 1), (2, 2), (3, 3)):
        one = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
        two = one.copy()
        two[rng.random((height, width)) < 0.5] ^= np.uint8(0x5A)
        yield Case(f"tiny-{width}x{height}", one, two, options(n))
        n += 1
    same = text_image(50, 30, "Same")
    yield Case("identical", same, same.copy(), {"alpha": 0.3})
    n += 1
    yield Case("identical-mask", same, same.copy(), {"diff_mask": True})
    n += 1
