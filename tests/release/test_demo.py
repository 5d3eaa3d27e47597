"""The release stage of `leadforge demo`, run on its own throwaway repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadforge.demo import Demo, make_repository


@pytest.mark.integration
def test_release_demo_stage_publishes_a_tagged_release(tmp_path: Path) -> None:
    from leadforge.release.demo import run_stage

    root = tmp_path / "repo"
    make_repository(root)
    (tmp_path / "out" / "work").mkdir(parents=True)
    demo = Demo(root=root, out=tmp_path / "out", stage="release")
    result = run_stage(demo)
    assert all(check["ok"] for check in demo.checks) and len(demo.checks) >= 10
    assert result["facts"]["tag"] == "v2.0.0" and result["facts"]["tasks completed"] == 1
    notes = (tmp_path / "out" / result["artifacts"][0]).read_text()
    assert "### Tasks completed" in notes and "| `demo-one-page-checkout` |" in notes
