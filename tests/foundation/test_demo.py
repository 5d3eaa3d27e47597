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
    done = subprocess.run(
        [sys.executable, "-m", "leadforge", "demo", "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
    )
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


def _demo_cli(out: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadforge", "demo", "--out", str(out)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_demo_refuses_a_folder_with_other_files_and_leaves_it_alone(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("years of work\n")
    done = _demo_cli(out, tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(out) in lines[0] and "not an earlier demo report" in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["thesis.txt"]
    assert (out / "thesis.txt").read_text() == "years of work\n"


def test_demo_refuses_a_file_and_the_current_folder(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("x")
    done = _demo_cli(target, tmp_path)
    assert done.returncode == 1 and "is not a folder" in done.stderr and target.read_text() == "x"
    (tmp_path / "keep.txt").write_text("k")
    done = _demo_cli(Path("."), tmp_path)
    assert done.returncode == 1 and (tmp_path / "keep.txt").exists() and target.exists()


def test_report_folder_preparation_replaces_only_earlier_reports(tmp_path: Path) -> None:
    from leadforge.demo import DEMO_REPOSITORY, REPORT_MARKER, is_demo_report, prepare_report_dir
    from leadforge.errors import LeadforgeError

    fresh = tmp_path / "new" / "report"
    prepare_report_dir(fresh)  # missing: created with its marker
    assert (fresh / "work").is_dir() and (fresh / REPORT_MARKER).is_file() and is_demo_report(fresh)
    (fresh / "index.html").write_text("old report")
    prepare_report_dir(fresh)  # an earlier report: replaced
    assert not (fresh / "index.html").exists() and (fresh / REPORT_MARKER).is_file()

    empty = tmp_path / "empty"
    empty.mkdir()
    prepare_report_dir(empty)
    assert (empty / "work").is_dir()

    legacy = tmp_path / "legacy"  # written before the marker existed: recognised by its report.json
    legacy.mkdir()
    (legacy / "report.json").write_text(json.dumps({"repository": DEMO_REPOSITORY, "stages": []}))
    prepare_report_dir(legacy)
    assert not (legacy / "report.json").exists()

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "report.json").write_text(json.dumps({"something": "else"}))
    with pytest.raises(LeadforgeError, match="not an earlier demo report"):
        prepare_report_dir(foreign)
    assert (foreign / "report.json").exists()
