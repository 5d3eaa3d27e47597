"""metrics.yml and pages.yml run through the workflow harness (tests/harness) on a repository with a queue."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from tests.harness import Harness, load_workflow
from tests.metrics import scenario
from tests.workflows.pins import PINS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ("metrics.yml", "pages.yml", "reusable-metrics.yml", "reusable-pages.yml")
CALLS = {"metrics.yml": "reusable-metrics.yml", "pages.yml": "reusable-pages.yml"}


@pytest.fixture
def queue_repo(git_repo):
    scenario.build(git_repo)
    git_repo.commit("chore: queue", date="2026-11-14T00:00:00Z")
    return git_repo


def _remote_file(harness: Harness, path: str) -> str:
    return subprocess.run(["git", "show", f"main:{path}"], cwd=harness.remote, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflow_is_least_privilege_and_pinned(name: str) -> None:
    workflow = load_workflow(ROOT / ".github" / "workflows" / name)
    data = workflow
    assert data["permissions"] == {}
    text = (ROOT / ".github" / "workflows" / name).read_text()
    for line in text.splitlines():
        if "uses:" in line and "@" in line:  # $/ references (this repository, same commit) carry no pin
            action, _, rest = line.split("uses:", 1)[1].strip().partition("@")
            assert rest.split()[0] == PINS[action].sha, line
    for job in data["jobs"].values():
        assert "permissions" in job
    if name in CALLS:  # a caller of LeadForge's reusable workflow at this same commit
        (call,) = data["jobs"].values()
        assert call["uses"] == f"$/.github/workflows/{CALLS[name]}"
        called = load_workflow(ROOT / ".github" / "workflows" / CALLS[name])["jobs"]
        for job in called.values():  # the caller grants at least what each called job asks for
            assert all(call["permissions"].get(scope) in (level, "write") for scope, level in job["permissions"].items()), job


@pytest.mark.integration
def test_metrics_workflow_commits_the_week_and_fills_the_summary(queue_repo, tmp_path: Path) -> None:
    harness = Harness(queue_repo.path, root=tmp_path / "gh", repository="demo/shop")
    result = harness.run("metrics.yml", "workflow_dispatch", inputs={"week": "2026-W46", "post": False})
    assert result.ok, result.explain()
    assert result.ran == ["report/report"]
    assert result.job("report/report").step("report").env["POST"] == "false"  # post: false reached the called workflow
    report = json.loads(_remote_file(harness, "docs/metrics/2026-W46.json"))
    copilot = next(r for r in report["agents"] if r["agent"] == "copilot")
    assert copilot["completed"] == 1 and copilot["reverts"] == 1
    assert "## Agent metrics: 2026-W46" in _remote_file(harness, "docs/metrics/2026-W46.md")
    assert "| copilot | agent | 2 | 1 |" in result.summary
    # a re-run of the same week changes nothing: no second commit
    head = subprocess.run(["git", "rev-parse", "main"], cwd=harness.remote, capture_output=True, text=True).stdout
    again = harness.run("metrics.yml", "workflow_dispatch", inputs={"week": "2026-W46", "post": False})
    assert again.ok, again.explain()
    assert subprocess.run(["git", "rev-parse", "main"], cwd=harness.remote, capture_output=True, text=True).stdout == head


@pytest.mark.integration
def test_scheduled_metrics_upserts_one_comment_per_week(queue_repo, tmp_path: Path, github_double) -> None:
    if importlib.util.find_spec("leadforge.forge.github") is None:
        pytest.skip("the GitHub forge (leadforge.forge.github) is not built yet")
    issue = github_double.add_issue("LeadForge agent metrics", "reports", labels=["leadforge-metrics"])
    harness = Harness(
        queue_repo.path,
        root=tmp_path / "gh",
        api_url=github_double.url,
        secrets={"GITHUB_TOKEN": github_double.token},
        repository=github_double.repository,
        env={"LEADFORGE_NOW": "2026-11-17T06:17:00Z"},
    )
    for _ in range(2):
        result = harness.run("metrics.yml", "schedule")
        assert result.ok, result.explain()
    comments = github_double.issue_comments(issue)
    assert len(comments) == 1 and "<!-- leadforge:metrics:2026-W46 -->" in comments[0]["body"]
    assert "| copilot |" in comments[0]["body"]


@pytest.mark.integration
def test_pages_workflow_builds_the_site_it_uploads(queue_repo, tmp_path: Path) -> None:
    harness = Harness(
        queue_repo.path, root=tmp_path / "gh", repository="demo/shop", env={"LEADFORGE_NOW": "2026-11-17T06:17:00Z"}
    )
    result = harness.run("pages.yml", "workflow_dispatch")
    assert result.ok, result.explain()
    assert result.ran == ["pages/build", "pages/deploy"]
    assert len(result.uses_of("actions/deploy-pages")) == 1
    [upload] = result.uses_of("actions/upload-pages-artifact")
    site = Path(str(upload.with_["path"]))
    html = (site / "index.html").read_text(encoding="utf-8")
    assert 'id="task-task-1"' in html and "https://github.com/demo/shop/pull/11" in html


@pytest.mark.integration
def test_pages_workflow_runs_on_queue_pushes_only(queue_repo, tmp_path: Path) -> None:
    harness = Harness(queue_repo.path, root=tmp_path / "gh", repository="demo/shop")
    assert harness.run("pages.yml", "push", changed_files=["docs/TASKS/queue/pending/task-9.md"], jobs=[]).triggered
    assert not harness.run("pages.yml", "push", changed_files=["src/app.py"], jobs=[]).triggered


@pytest.mark.integration
def test_the_callers_init_writes_report_the_week_and_deploy_the_dashboard(queue_repo, tmp_path: Path) -> None:
    """leadforge-metrics.yml and leadforge-pages.yml (from `leadforge init --reusable`), pinned by SHA."""
    from tests.workflows.callers import render_callers

    harness = Harness(
        queue_repo.path,
        root=tmp_path / "gh",
        repository="demo/shop",
        workflows_dir=render_callers(tmp_path / "user"),
        env={"LEADFORGE_NOW": "2026-11-17T06:17:00Z"},
    )
    report = harness.run("leadforge-metrics.yml", "workflow_dispatch", inputs={"week": "2026-W46", "post": False})
    assert report.ok, report.explain()
    assert report.ran == ["report/report"] and report.job("report/report").step("report").env["POST"] == "false"
    assert "## Agent metrics: 2026-W46" in _remote_file(harness, "docs/metrics/2026-W46.md")
    pages = harness.run("leadforge-pages.yml", "workflow_dispatch")
    assert pages.ok, pages.explain()
    assert pages.ran == ["pages/build", "pages/deploy"]
    assert pages.job("pages/deploy").environment == {"name": "github-pages", "url": "https://demo.github.io/shop/"}
    assert harness.run("leadforge-pages.yml", "push", changed_files=["docs/metrics/2026-W46.md"], jobs=[]).triggered
