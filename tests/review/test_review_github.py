"""The review through the real PyGithub forge against the GitHub API double: every request and
response is checked against GitHub's OpenAPI description, and the payloads are what we expect."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from leadforge.app import App, Output
from leadforge.forge.models import ChangedFile
from leadforge.review import post as posting
from leadforge.review.command import post_command
from leadforge.review.filter import Placed
from leadforge.review.plan import plan_review
from tests.review.factories import BASE, HEAD, KEY, OLD, SG, SG2, inline, report

pytest_plugins = ["tests.apidouble.plugin"]

FILES = [
    ChangedFile("app/new.py", "added", additions=8, patch="@@ -0,0 +1,8 @@\n" + "\n".join(f"+line {n}" for n in range(1, 9))),
    ChangedFile("infra/new.tf", "added", additions=11, patch="@@ -0,0 +1,11 @@\n" + "\n".join(f"+l{n}" for n in range(1, 12))),
]


def _seed(double: Any, head: str = HEAD, head_repo: str | None = None) -> int:
    return double.add_pull("feat: new client", head_sha=head, base_sha=BASE, files=FILES, head_repo=head_repo)


def _apply(double: Any, r) -> dict[str, Any]:
    forge = double.forge()
    plan = plan_review(r, reviews=forge.list_reviews(r.pull), comments=forge.list_review_comments(r.pull))
    return posting.apply(plan, forge, report=r)


def test_first_review_is_one_api_call_with_inline_comments(github_double) -> None:
    number = _seed(github_double)
    done = _apply(github_double, report([inline(KEY), inline(SG), inline(SG2)], pull=number))
    assert github_double.count("pulls/create-review") == 1
    (review,) = github_double.pull_reviews(number)
    assert review["state"] == "CHANGES_REQUESTED" and review["body"].startswith("<!-- leadforge:review -->")
    comments = sorted(github_double.pull_review_comments(number), key=lambda c: c["path"])
    assert [(c["path"], c["line"], c.get("start_line")) for c in comments] == [("app/new.py", 3, None), ("infra/new.tf", 11, 1)]
    assert done["created"] == 2
    assert github_double.statuses[HEAD][0]["context"] == "leadforge/review"
    assert github_double.statuses[HEAD][0]["state"] == "failure"


def test_a_rerun_sends_no_writes(github_double) -> None:
    number = _seed(github_double)
    r = report([inline(KEY), inline(SG)], pull=number)
    _apply(github_double, r)
    writes_before = [q for q in github_double.requests if q.method != "GET"]
    _apply(github_double, r)
    writes_after = [q for q in github_double.requests if q.method != "GET"]
    new_writes = {q.operation_id for q in writes_after[len(writes_before) :]}
    assert new_writes == {"repos/create-commit-status"}  # the status is refreshed; nothing on the PR changes
    assert len(github_double.pull_reviews(number)) == 1 and len(github_double.pull_review_comments(number)) == 2


def test_a_fix_deletes_the_comment_dismisses_and_edits_the_summary(github_double) -> None:
    number = _seed(github_double)
    _apply(github_double, report([inline(KEY), inline(SG)], pull=number))
    _apply(github_double, report([inline(SG)], pull=number))
    assert github_double.count("pulls/delete-review-comment") == 1
    assert github_double.count("pulls/dismiss-review") == 1
    assert github_double.count("pulls/update-review") == 1
    (review,) = github_double.pull_reviews(number)
    assert review["state"] == "DISMISSED" and "no blocking findings" in review["body"]
    assert [c["path"] for c in github_double.pull_review_comments(number)] == ["infra/new.tf"]


def test_a_blocking_finding_after_a_clean_review_submits_a_new_one(github_double) -> None:
    number = _seed(github_double)
    _apply(github_double, report([inline(SG)], pull=number))
    _apply(github_double, report([inline(SG), inline(KEY)], pull=number))
    reviews = sorted(github_double.pull_reviews(number), key=lambda r: r["id"])
    assert [r["state"] for r in reviews] == ["COMMENTED", "CHANGES_REQUESTED"]
    assert "superseded" in reviews[0]["body"] and "leadforge:review -->" not in reviews[0]["body"]
    assert len(github_double.pull_review_comments(number)) == 2


def test_check_run_mode_reports_counts_and_annotations(github_double) -> None:
    number = _seed(github_double)
    forge = github_double.forge()
    r = report([inline(KEY), Placed(OLD, "elsewhere", False)], pull=number)
    plan = plan_review(r, reviews=[], comments=[])
    posting.apply(plan, forge, status_kind="check", report=r)
    (run,) = github_double.check_runs.values() if isinstance(github_double.check_runs, dict) else github_double.check_runs
    assert run["name"] == "leadforge/review" and run["conclusion"] == "failure"


def _app(double: Any, repo: Path, event: dict[str, Any], tmp_path: Path) -> tuple[App, io.StringIO, io.StringIO]:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(double.env(), GITHUB_EVENT_NAME="workflow_run", GITHUB_EVENT_PATH=str(event_path))
    out, err = io.StringIO(), io.StringIO()
    return App(repo=repo, env=env, json=True, out=Output(True, out, err)), out, err


def test_review_post_posts_an_artifact_for_the_triggering_head_only(github_double, git_repo, tmp_path: Path) -> None:
    number = _seed(github_double, head_repo="fork-owner/octo-repo")
    artifact = tmp_path / "review.json"
    artifact.write_text(json.dumps(report([inline(KEY)], pull=number).to_artifact()))
    app, out, err = _app(github_double, git_repo.path, {"workflow_run": {"head_sha": HEAD}}, tmp_path)
    assert post_command(app, artifact=str(artifact)) == 0, err.getvalue()
    assert json.loads(out.getvalue())["posted"] is True
    assert len(github_double.pull_review_comments(number)) == 1

    from leadforge.errors import InputError

    other, _, _ = _app(github_double, git_repo.path, {"workflow_run": {"head_sha": "f" * 40}}, tmp_path)
    with pytest.raises(InputError, match="is not the triggering run's head"):
        post_command(other, artifact=str(artifact))


def test_review_post_skips_a_stale_artifact(github_double, git_repo, tmp_path: Path) -> None:
    number = _seed(github_double, head="e" * 40)
    artifact = tmp_path / "review.json"
    artifact.write_text(json.dumps(report([inline(KEY)], pull=number).to_artifact()))  # made for HEAD, PR is at eee…
    app, out, _err = _app(github_double, git_repo.path, {"workflow_run": {"head_sha": HEAD}}, tmp_path)
    assert post_command(app, artifact=str(artifact)) == 0
    assert json.loads(out.getvalue()) == {"posted": False, "reason": "stale"}
    assert github_double.pull_reviews(number) == []


def test_without_write_access_the_review_falls_back_to_annotations(github_double, git_repo, tmp_path: Path, capsys) -> None:
    number = _seed(github_double)
    github_double.fail_next("POST", "pulls/create-review", status=403, message="Resource not accessible by integration")
    artifact = tmp_path / "review.json"
    artifact.write_text(json.dumps(report([inline(KEY)], pull=number).to_artifact()))
    app, out, err = _app(github_double, git_repo.path, {"workflow_run": {"head_sha": HEAD}}, tmp_path)
    env = app.env
    assert isinstance(env, dict)  # the App's own copy of the environment
    env["GITHUB_ACTIONS"] = "true"
    assert post_command(app, artifact=str(artifact)) == 0
    assert json.loads(out.getvalue())["posted"] is False
    commands = capsys.readouterr().err  # workflow commands go to the process's stderr
    assert "::error file=app/new.py,line=3,endLine=3,title=secrets aws-access-key::Possible AWS Access Key" in commands
    assert "::notice title=leadforge review::LeadForge review posted as annotations: cannot write" in commands
    assert "findings written as annotations" in err.getvalue()
    assert github_double.pull_reviews(number) == []
