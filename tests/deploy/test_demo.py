"""The environments stage of `leadforge demo`, on its own throwaway repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadforge.demo import Demo, make_repository
from tests.deploy.conftest import needs_kubectl


@pytest.mark.integration
@needs_kubectl
def test_deploy_demo_stage_renders_validates_promotes_and_applies(tmp_path: Path, monkeypatch) -> None:
    from leadforge.deploy.demo import run_stage

    monkeypatch.setenv("LEADFORGE_CHECKOV", str(tmp_path / "no-checkov"))  # checkov is covered elsewhere; keep this quick
    root = tmp_path / "repo"
    make_repository(root)
    (tmp_path / "out" / "work").mkdir(parents=True)
    demo = Demo(root=root, out=tmp_path / "out", stage="deploy")
    demo.cli("init")  # as the foundation stage does before this one
    demo.commit("chore: adopt LeadForge")

    result = run_stage(demo)

    assert [c["check"] for c in demo.checks if not c["ok"]] == []
    assert len(demo.checks) >= 10
    assert result["facts"]["validation"] == "ok"
    assert result["facts"]["promotion PR"].startswith("#1 (promote/dev-to-staging-")
    comment = (tmp_path / "out" / result["artifacts"][-1]).read_text()
    assert "<summary><b>staging: 1 changed</b></summary>" in comment
    assert not (root.parent / "origin.git").exists() or "origin" not in demo.git.out("remote")
