"""security.yml through the workflow harness: a scheduled full scan uploads SARIF to code scanning.

Substitution (visible as ``replaced``): the ``tools`` step (``pipx install semgrep checkov``) would
download from a registry; the project's ``.venv-tools`` scanners are used instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness import Harness
from tests.scan.planted import make_planted

pytestmark = pytest.mark.integration


def test_scheduled_scan_uploads_sarif_for_code_scanning(tmp_path: Path) -> None:
    planted = make_planted(tmp_path / "repo")
    planted.git("checkout", "-q", "main")
    harness = Harness(planted.path, root=tmp_path / "gh")
    result = harness.run("security.yml", "schedule", replace_run={"tools": "true  # scanners from .venv-tools"})
    assert result.ok, result.explain()
    assert result.ran == ["scan/scan"]  # security.yml calls reusable-security.yml at this same commit
    job = result.job("scan/scan")
    assert job.step("tools").replaced and not job.step("scan").replaced
    (upload,) = result.uses_of("github/codeql-action/upload-sarif")
    assert upload.with_["category"] == "leadforge"
    log = json.loads(upload.path("sarif_file").read_text())
    rules = {(run["tool"]["driver"]["name"], r["ruleId"]) for run in log["runs"] for r in run["results"]}
    assert ("secrets", "aws-access-key") in rules
    assert ("checkov", "CKV_AWS_20") in rules  # the old public bucket: a full scan sees old code too
    assert ("semgrep", "leadforge.actions.expression-injection") in rules
    assert "AKIAIOSFODNN7OLDKEY1" not in json.dumps(log)
    assert "LeadForge scan (full)" in result.summary


def test_the_caller_init_writes_uploads_the_full_scan(git_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """leadforge-security.yml (from `leadforge init --reusable`) calls reusable-security.yml pinned by SHA; here with
    semgrep and checkov off in the config (the test above runs them), so detect-secrets alone finds the key."""
    from tests.workflows.callers import render_callers

    config = "version: 1\nscan:\n  semgrep: {enabled: false}\n  checkov: {enabled: false}\n"
    git_repo.commit("feat: key", {".github/leadforge.yml": config, "app/keys.py": 'KEY = "AKIAIOSFODNN7EXAMPLE"\n'})
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=render_callers(tmp_path / "user"))
    result = harness.run("leadforge-security.yml", "workflow_dispatch")
    assert result.ok, result.explain()
    assert result.ran == ["scan/scan"]
    (upload,) = result.uses_of("github/codeql-action/upload-sarif")
    assert upload.with_["category"] == "leadforge"
    log = json.loads(upload.path("sarif_file").read_text())
    rules = {(run["tool"]["driver"]["name"], r["ruleId"]) for run in log["runs"] for r in run["results"]}
    assert rules == {("secrets", "aws-access-key")}
    assert not harness.run("leadforge-security.yml", "push").triggered
