"""The visual stage of `leadforge demo`, on its own throwaway repository (then the release stage sees it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadforge.demo import Demo, make_repository
from leadforge.visual.images import load_rgba


@pytest.mark.integration
@pytest.mark.slow
def test_visual_demo_stage_reports_and_approves_a_ui_change(tmp_path: Path) -> None:
    from leadforge.visual.demo import BRANCH, run_stage

    root = tmp_path / "repo"
    make_repository(root)
    (tmp_path / "out" / "work").mkdir(parents=True)
    demo = Demo(root=root, out=tmp_path / "out", stage="visual")
    result = run_stage(demo)
    assert all(check["ok"] for check in demo.checks) and len(demo.checks) >= 8
    assert 0 < result["facts"]["changed_ratio"] < 0.2
    side = load_rgba(tmp_path / "out" / result["artifacts"][0])
    assert side.shape[1] == 3 * 480 + 2 * 12  # before | after | diff
    comment = (tmp_path / "out" / result["artifacts"][3]).read_text()
    assert "Visual check failed" in comment and "landing-480x320.png" in comment
    # main holds the approved screenshot after the merge
    git = demo.git
    assert git.current_branch() == "main" and git.is_ancestor(f"refs/heads/{BRANCH}", "HEAD")
    approved = load_rgba(root / "screenshots" / "baseline" / "landing-480x320.png")
    current = load_rgba(tmp_path / "out" / "work" / "visual" / "current" / "landing-480x320.png")
    assert (approved == current).all()
    steps = [" ".join(s.argv[:3]) for s in demo.steps]
    assert "leadforge visual approve" in steps and json.loads(demo.steps[-1].stdout)["approved"]
