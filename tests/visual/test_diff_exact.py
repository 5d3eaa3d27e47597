"""Our numpy pixelmatch against the JavaScript pixelmatch 7.2.0 and the PyPI port: same count, same image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from leadforge.visual import diff as diff_module
from leadforge.visual.diff import pixelmatch
from tests.visual.reference import Case, generated_cases, requires_js, run_js, run_pypi, shapes_image, text_image


def ours(case: Case) -> tuple[int, np.ndarray]:
    output = np.zeros_like(case.img1)
    return pixelmatch(case.img1, case.img2, output, **case.options), output


def assert_same_as_js(cases: list[Case], tmp_path: Path) -> None:
    expected = run_js(cases, tmp_path / "js")
    for case, js in zip(cases, expected, strict=True):
        mismatch, output = ours(case)
        assert mismatch == js.mismatch, f"{case.name} {case.options}: {mismatch} != JS {js.mismatch}"
        assert js.output is not None
        differing = np.argwhere((output != js.output).any(axis=2))
        assert differing.size == 0, (
            f"{case.name} {case.options}: {len(differing)} output pixels differ, first at {differing[:3].tolist()}"
        )


@requires_js
def test_generated_pairs_match_js_pixelmatch_exactly(tmp_path: Path) -> None:
    cases = list(generated_cases())
    assert len(cases) >= 40
    assert_same_as_js(cases, tmp_path)


@requires_js
def test_band_edges_do_not_change_the_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny odd bands: neighbourhoods and runs straddle band edges; both the gather and the
    # dense paths run.
    monkeypatch.setattr(diff_module, "_BAND", 97)
    cases = [c for c in generated_cases(seed=11) if not c.name.startswith("tiny")]
    assert_same_as_js(cases[::2], tmp_path)


@requires_js
def test_a_screenshot_sized_page_matches_js(tmp_path: Path) -> None:
    page = text_image(640, 400, "Lorem ipsum dolor sit amet, consectetur")
    changed = text_image(640, 400, "Lorem ipsum dolor sit amet, consectetur", dx=1, dy=1)
    changed[300:340, 100:400] = (30, 90, 200, 255)
    shifted_shapes = shapes_image(640, 400, dx=2.5, dy=0.5)
    cases = [
        Case("page-shift", page, changed),
        Case("page-shift-aa-included", page, changed, {"include_aa": True, "diff_color_alt": (0, 255, 0)}),
        Case("shapes-shift", shapes_image(640, 400), shifted_shapes, {"threshold": 0.05}),
    ]
    assert_same_as_js(cases, tmp_path)


@requires_js
def test_out_of_range_colours_and_alpha_are_stored_like_a_uint8array(tmp_path: Path) -> None:
    a = text_image(40, 30, "Odd")
    b = text_image(40, 30, "Odd", dx=1)
    cases = [
        Case(
            "odd-colours", a, b, {"aa_color": (300, -1, 12.7), "diff_color": (256, 511, -200), "diff_color_alt": (-0.5, 1e3, 7)}
        ),
        Case("alpha-above-one", a, b, {"alpha": 1.7}),
        Case("alpha-negative", a, b, {"alpha": -0.4}),
    ]
    assert_same_as_js(cases, tmp_path)


def test_anti_aliasing_detection_is_exercised() -> None:
    # A one-pixel shift of anti-aliased text: many changed pixels are anti-aliasing.
    case = next(c for c in generated_cases() if c.name == "text-shift-60x40")
    output = np.zeros_like(case.img1)
    strict = pixelmatch(case.img1, case.img2, output)
    yellow = np.all(output[..., :3] == (255, 255, 0), axis=2).sum()
    assert yellow > 0
    assert pixelmatch(case.img1, case.img2, include_aa=True) == strict + yellow


def _opaque_pypi_cases() -> list[Case]:
    cases = []
    for case in generated_cases(seed=3):
        if case.img1.shape[0] * case.img1.shape[1] > 3200:
            continue
        if (case.img1[..., 3] < 255).any() or (case.img2[..., 3] < 255).any():
            continue  # the PyPI port blends translucent pixels with white, pixelmatch 7 with a checkerboard
        opts = {k: v for k, v in case.options.items() if k not in {"diff_color_alt", "checkerboard"}}
        cases.append(Case(case.name, case.img1, case.img2, opts))
    return cases


@pytest.mark.parametrize("case", _opaque_pypi_cases(), ids=lambda c: c.name)
def test_opaque_pairs_match_the_pypi_port(case: Case) -> None:
    expected_count, expected_output = run_pypi(case)
    mismatch, output = ours(case)
    assert mismatch == expected_count
    assert np.array_equal(output, expected_output)


@requires_js
def test_random_quantised_pairs_match_js(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Few colour levels: equal neighbours, zero brightness deltas and ties for the darkest or
    # brightest neighbour are common, the corner cases of the anti-aliasing detector.
    rng = np.random.default_rng(2026)
    monkeypatch.setattr(diff_module, "_BAND", 53)
    cases = []
    for n in range(120):
        height, width = (int(v) for v in rng.integers(1, 24, 2))
        levels = int(rng.integers(2, 6))
        step = 255 // (levels - 1)
        a = (rng.integers(0, levels, (height, width, 4)) * step).astype(np.uint8)
        if n % 3:
            a[..., 3] = 255
        b = a.copy()
        changed = rng.random((height, width)) < rng.random()
        b[changed] = (rng.integers(0, levels, (int(changed.sum()), 4)) * step).astype(np.uint8)
        if n % 3:
            b[..., 3] = np.where(rng.random((height, width)) < 0.9, a[..., 3], b[..., 3])
        options: dict[str, Any] = {
            "threshold": [0.0, 0.01, 0.1, 0.3][n % 4],
            "checkerboard": n % 2 == 0,
            "include_aa": n % 9 == 4,
        }
        if n % 5 == 1:
            options["diff_color_alt"] = (0, 255, 0)
        cases.append(Case(f"quantised-{n}", a, b, options))
    assert_same_as_js(cases, tmp_path)
