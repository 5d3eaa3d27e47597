"""The whole review on a planted repository with the real scanners and the local forge:
new problems on added lines are commented, the same problems in untouched old code are not,
a re-run posts nothing new, and a fixing push updates the one review in place."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from leadforge.app import App, Output
from leadforge.forge.local import LocalForge
from leadforge.review.command import review_command
from tests.scan.planted import GIT_ENV, Planted, make_planted, push_fix

pytestmark = pytest.mark.integration
REPOSITORY = "octo-org/octo-repo"


@dataclass
class Run:
    code: int
    json: dict[str, Any]
    stderr: str
    state: dict[str, Any]  # the local forge's state after the run


def _review(planted: Planted, **options: Any) -> Run:
    out, err = io.StringIO(), io.StringIO()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | GIT_ENV
    app = App(repo=planted.path, forge_kind="local", json=True, env=env, out=Output(True, out, err))
    code = review_command(app, **options)
    state_file = planted.path / ".leadforge" / "forge" / "state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    return Run(code, json.loads(out.getvalue()), err.getvalue(), state)


@dataclass
class Story:
    planted: Planted
    first: Run
    rerun: Run
    fixed: Run
    fix_sha: str


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    planted = make_planted(tmp_path_factory.mktemp("review") / "repo")
    (planted.path / ".gitignore").write_text(".leadforge/\n")
    forge = LocalForge(planted.path, REPOSITORY)
    forge.open_pull(
        "feat: new client",
        head="feature",
        base="main",
        head_sha=planted.head,
        base_sha=planted.base,
        body="## Summary\nNew client.",
    )
    first = _review(planted, pr=1)
    rerun = _review(planted, pr=1)
    fix_sha = push_fix(planted)
    forge.update_pull(1, head_sha=fix_sha)
    fixed = _review(planted, pr=1)
    return Story(planted, first, rerun, fixed, fix_sha)


def _comments(run: Run) -> list[dict[str, Any]]:
    return sorted(run.state["review_comments"].values(), key=lambda c: c["id"])


def _reviews(run: Run) -> list[dict[str, Any]]:
    return sorted(run.state["reviews"].values(), key=lambda r: r["id"])


def test_new_key_and_insecure_terraform_on_added_lines_are_commented(story: Story) -> None:
    comments = _comments(story.first)
    where = {(c["path"], c["line"]) for c in comments}
    assert ("app/new.py", 4) in where  # the new AWS key (secrets + semgrep on the same line: one comment)
    assert ("infra/new.tf", 11) in where  # the open security group, as a multi-line comment
    key = next(c for c in comments if c["path"] == "app/new.py")
    assert "aws-access-key" in key["body"] and "leadforge.python.hardcoded-credential" in key["body"]
    tf = next(c for c in comments if c["path"] == "infra/new.tf")
    assert tf["start_line"] == 1 and "CKV_AWS_24" in tf["body"]


def test_the_same_problems_in_untouched_old_code_are_not_commented(story: Story) -> None:
    paths = {c["path"] for c in _comments(story.first)}
    assert "infra/old.tf" not in paths and ".github/workflows/old.yml" not in paths
    assert "app/old.py" not in paths  # changed by the PR, but its key and shell=True lines are not
    findings = story.first.json["findings"]
    old_key = [f for f in findings if f["path"] == "app/old.py"]
    assert old_key and not any(f["in_diff"] for f in old_key)  # reported (the file was scanned), not blocking


def test_one_review_requests_changes_and_never_echoes_the_secret(story: Story) -> None:
    (review,) = _reviews(story.first)
    assert review["state"] == "CHANGES_REQUESTED"
    assert story.first.json["verdict"] == "REQUEST_CHANGES"
    everything = json.dumps(story.first.state) + story.first.stderr + json.dumps(story.first.json)
    assert "AKIAIOSFODNN7EXAMPLE" not in everything
    statuses = story.first.state["statuses"][story.planted.head]
    assert statuses == [
        {"context": "leadforge/review", "state": "failure", "target_url": "", "description": statuses[0]["description"]}
    ]


def test_a_rerun_posts_nothing_new(story: Story) -> None:
    assert story.rerun.state["reviews"] == story.first.state["reviews"]
    assert story.rerun.state["review_comments"] == story.first.state["review_comments"]
    assert "summary unchanged, 0 comment(s) posted, 0 edited, 0 deleted" in story.rerun.stderr


def test_a_fixing_push_updates_the_review_in_place(story: Story) -> None:
    reviews = _reviews(story.fixed)
    assert len(reviews) == 1 and reviews[0]["id"] == _reviews(story.first)[0]["id"]
    assert reviews[0]["state"] == "DISMISSED"  # nothing blocks any more
    assert (
        "no blocking findings" in reviews[0]["body"] and "**2** fixed" in reviews[0]["body"]
    )  # secrets + semgrep on the key line
    paths = [c["path"] for c in _comments(story.fixed)]
    assert paths == ["infra/new.tf"]  # the key's comment is gone, the security group's stays
    assert story.fixed.json["verdict"] == "COMMENT"
    assert story.fixed.state["statuses"][story.fix_sha][0]["state"] == "success"


def test_a_local_range_review_prints_the_documented_json(story: Story, tmp_path: Path) -> None:
    # head is not checked out: the scanners read it from a temporary worktree
    run = _review(story.planted, base="main", head=story.planted.head, post="never", artifact=str(tmp_path / "r.json"))
    assert run.code == 0
    assert set(run.json) == {"findings", "verdict", "coverage"}
    assert run.json["verdict"] == "REQUEST_CHANGES"
    assert {f["path"] for f in run.json["findings"] if f["in_diff"]} == {"app/new.py", "infra/new.tf"}
    assert json.loads((tmp_path / "r.json").read_text())["head_sha"] == story.planted.head
    worktrees = story.planted.git("worktree", "list").splitlines()
    assert len(worktrees) == 1  # the temporary worktree was removed
