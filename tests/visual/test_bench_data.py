"""Smoke tests of the benchmarks' data generators (the benchmarks themselves print figures, not verdicts)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from leadforge.visual.images import load_rgba

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_screenshot_set_has_the_kinds_it_says(tmp_path: Path) -> None:
    bench = load("bench_visual_set")
    specs = bench.plan_set(10, scale=0.1)
    assert len(specs) == 10 and {s.kind for s in specs} == {"blocks", "shift", "reencoded", "identical"}
    assert {s.kind for s in bench.plan_set(4, mix="blocks", scale=0.1)} == {"blocks"}
    bench.make_set(tmp_path, specs)
    for spec in specs:
        before, after = tmp_path / "baseline" / spec.name, tmp_path / "current" / spec.name
        same_bytes = before.read_bytes() == after.read_bytes()
        same_pixels = np.array_equal(load_rgba(before), load_rgba(after))
        assert load_rgba(before).shape == (spec.height, spec.width, 4)
        assert (same_bytes, same_pixels) == {
            "identical": (True, True),
            "reencoded": (False, True),
            "blocks": (False, False),
            "shift": (False, False),
        }[spec.kind], spec
    stamp = (tmp_path / "baseline" / specs[0].name).stat().st_mtime_ns
    bench.make_set(tmp_path, specs)  # the same set again: kept as it is
    assert (tmp_path / "baseline" / specs[0].name).stat().st_mtime_ns == stamp


def test_capture_site_has_ten_pages_and_a_web_font(tmp_path: Path) -> None:
    bench = load("bench_capture")
    if not any(Path(p).is_file() for p in bench.FONT_CANDIDATES):
        import pytest

        pytest.skip("no system font to serve as the web font")
    pages = bench.make_site(tmp_path)
    assert len(pages) == 10 and all((tmp_path / path.lstrip("/")).is_file() for _, path in pages)
    launch = (tmp_path / "launch.html").read_text()
    assert "@font-face" in launch and "animation:" in launch and (tmp_path / "fonts" / "brand.ttf").is_file()
