"""The tasks stage of `leadforge demo`, on its own throwaway repository (scaffolded first, as the foundation stage does)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadforge.demo import Demo, make_repository
from leadforge.tasks.store import load_queue


@pytest.mark.integration
def test_tasks_demo_stage_queues_dispatches_completes_and_unblocks(tmp_path: Path) -> None:
    from leadforge.tasks.demo import run_stage

    root = tmp_path / "repo"
    make_repository(root)
    (tmp_path / "out" / "work").mkdir(parents=True)
    demo = Demo(root=root, out=tmp_path / "out", stage="foundation")
    demo.cli("init", "--json")
    demo.commit("chore: adopt LeadForge")
    demo.stage = "tasks"
    result = run_stage(demo)
    assert all(check["ok"] for check in demo.checks) and len(demo.checks) >= 9
    queue = load_queue(root)
    states = sorted(t.state for t in queue.tasks)
    assert states == ["completed", "in-progress", "in-progress"]
    assert result["facts"]["queued"] == 3 and (tmp_path / "out" / result["artifacts"][0]).read_text().startswith("# Task queue")
    assert [" ".join(s.argv[1:3]) for s in demo.steps].count("task dispatch") == 2
