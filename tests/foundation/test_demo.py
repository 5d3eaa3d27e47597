"""`leadforge demo`, the main job, end to end: every stage on one throwaway repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadforge.demo import STAGE_ORDER, available_stages


def test_every_area_has_a_demo_stage() -> None:
    assert available_stages() == list(STAGE_ORDER)


@pytest.mark.integration
@pytest.mark.slow
def test_demo_runs_the_whole_pipeline_offline(tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "leadforge", "demo", "--out", str(out), "--json"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["ok"] and [s["stage"] for s in summary["stages"]] == [name for name, _ in STAGE_ORDER]
    report = json.loads((out / "report.json").read_text())
    assert report["checks"] and all(check["ok"] for check in report["checks"])
    html = (out / "index.html").read_text()
    for stage in report["stages"]:
        assert f'id="stage-{stage["stage"]}"' in html
    # Every artifact the report links to exists.
    for stage in report["stages"]:
        for artifact in stage["artifacts"]:
            assert (out / artifact).exists(), artifact
    assert not Path(report["workdir"]).exists(), "the throwaway repository is removed"
