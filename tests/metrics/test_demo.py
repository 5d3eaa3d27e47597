"""The metrics demo stage on a fresh demo repository: checks pass and the dashboard is linked."""

from __future__ import annotations

import pytest

from leadforge.demo import Demo, make_repository


@pytest.mark.integration
def test_metrics_stage_builds_the_dashboard_and_links_it(tmp_path) -> None:
    from leadforge.metrics.demo import run_stage

    root, out = tmp_path / "repo", tmp_path / "report"
    (out / "work").mkdir(parents=True)
    make_repository(root)
    demo = Demo(root=root, out=out, stage="metrics")
    result = run_stage(demo)
    assert all(check["ok"] for check in demo.checks) and len(demo.checks) >= 7
    assert result["links"]["dashboard"] == "dashboard/index.html"
    assert (out / "dashboard" / "index.html").is_file()
    assert result["facts"]["completed"] == 2 and result["facts"]["scope violations"] == 1
