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
    # security.yml calls reusable-security.yml (and reusable-findings-tasks.yml) at this same commit
    assert result.ran == ["scan/scan", "tasks/tasks"]
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
    # findings-to-tasks is off by default: it says so and commits nothing
    assert "tasks.tasks_from_findings is off" in result.job("tasks/tasks").step("tasks").output
    assert harness.remote_git("rev-parse", "main").strip() == planted.git("rev-parse", "main").strip()


def test_scheduled_scan_turns_new_findings_into_queue_tasks_when_switched_on(tmp_path: Path) -> None:
    planted = make_planted(tmp_path / "repo")
    planted.git("checkout", "-q", "main")
    config = planted.path / ".github" / "leadforge.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("version: 1\ntasks:\n  tasks_from_findings: true\n", encoding="utf-8")
    planted.git("add", "-A")
    planted.git("commit", "-q", "-m", "config: tasks from findings")
    harness = Harness(planted.path, root=tmp_path / "gh")
    result = harness.run("security.yml", "schedule", replace_run={"tools": "true  # scanners from .venv-tools"})
    assert result.ok, result.explain()
    assert result.ran == ["scan/scan", "tasks/tasks"]
    step = result.job("tasks/tasks").step("tasks")
    assert not step.replaced and "task(s) from" in step.output
    scan = result.job("scan/scan")
    assert "GITHUB_TOKEN" not in scan.step("scan").env  # the scanners run without the token, in a read-only job
    assert result.artifacts["leadforge-sarif"].joinpath("leadforge.sarif").is_file()
    log = harness.remote_git("log", "-1", "--format=%s", "main")
    assert "task(s) from scan findings" in log
    listing = harness.remote_git("ls-tree", "-r", "--name-only", "main", "docs/TASKS/queue/pending")
    assert any(name.endswith(".md") and "/scan-" in name for name in listing.split())


def test_the_caller_init_writes_uploads_the_full_scan(git_repo, tmp_path: Path) -> None:
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
