"""visual.yml, visual-post.yml and visual-approve.yml through the workflow harness and the API double.

A real PR: the site's button changes colour on a branch; the capture job screenshots it with
Chromium, the trusted post job compares with main's baseline, pushes the images to the assets
branch, comments once and sets the check; a writer's `/leadforge approve-visual` commits the new
baseline to the PR branch, a reader's does nothing.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import Repo
from tests.fixtures.events import load_event
from tests.harness import Harness, load_workflow
from tests.visual.site import write_site
from tests.workflows.pins import PINS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
REPOSITORY = "octo-org/octo-repo"

CONFIG = """\
visual:
  app: {static: site}
  browser: {timeout: 20}
  pages:
    - {name: blue, path: /blue.html, viewports: [200x100], full_page: false}
"""


def test_workflows_are_thin_pinned_and_least_privilege() -> None:
    # caller -> (the reusable workflow it calls at this same commit, its job's permissions, its run: steps)
    post = {"actions": "read", "contents": "write", "pull-requests": "write", "statuses": "write"}
    approve = {"contents": "write", "pull-requests": "write", "statuses": "write"}
    current = "$RUNNER_TEMP/leadforge-visual/current"
    expected = {
        "visual.yml": (
            "reusable-visual.yml",
            {"contents": "read"},
            ["playwright install --with-deps chromium", f'leadforge visual capture --out "{current}"'],
        ),
        "visual-post.yml": (
            "reusable-visual-post.yml",
            post,
            [f'leadforge visual pr --current "{current}" --out "$RUNNER_TEMP/leadforge-visual/report"'],
        ),
        "visual-approve.yml": ("reusable-visual-approve.yml", approve, ["leadforge visual approve --push"]),
    }
    for name, (reusable, permissions, runs) in expected.items():
        caller = load_workflow(WORKFLOWS / name)
        assert caller["permissions"] == {}, name
        (call,) = caller["jobs"].values()
        assert call["uses"] == f"$/.github/workflows/{reusable}" and call["permissions"] == permissions, name
        data = load_workflow(WORKFLOWS / reusable)
        assert data["permissions"] == {} and list(data["on"]) == ["workflow_call"], reusable
        (job,) = data["jobs"].values()
        assert job["permissions"] == permissions, reusable
        assert [s["run"] for s in job["steps"] if "run" in s] == runs, reusable
        installs = [s for s in job["steps"] if s.get("uses") == "$/.github/actions/install"]
        assert len(installs) == 1 and installs[0]["with"] == {"extras": "visual"}, reusable
        for path in (WORKFLOWS / name, WORKFLOWS / reusable):
            text = path.read_text()
            assert "${{ github.event.comment.body }}" not in text and "head.ref }}" not in text  # untrusted text
            for line in text.splitlines():
                if "uses:" in line and "@" in line:
                    action, _, rest = line.split("uses:", 1)[1].strip().partition("@")
                    assert rest.split()[0] == PINS[action].sha, line
    # the untrusted capture job never holds a write token or credentials
    capture = load_workflow(WORKFLOWS / "reusable-visual.yml")["jobs"]["capture"]
    assert capture["steps"][0]["with"]["persist-credentials"] is False


def _solid(width: int, height: int, box: tuple[int, int, int]) -> bytes:
    pixels = np.full((height, width, 4), 255, dtype=np.uint8)
    pixels[:60, :120, :3] = box
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def _remote(harness: Harness, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=harness.remote, capture_output=True, text=True, check=True).stdout


def _remote_bytes(harness: Harness, spec: str) -> bytes:
    return subprocess.run(["git", "cat-file", "blob", spec], cwd=harness.remote, capture_output=True, check=True).stdout


def _red_box_branch(git_repo: Repo) -> str:
    """main: the site with a blue box and its accepted screenshot; branch feature (the PR): the box turns red.
    Returns the PR's head commit; main stays checked out."""
    write_site(git_repo.path / "site")
    git_repo.write(".github/leadforge.yml", CONFIG)
    baseline = git_repo.path / "screenshots" / "baseline" / "blue-200x100.png"
    baseline.parent.mkdir(parents=True)
    baseline.write_bytes(_solid(200, 100, (0x20, 0x50, 0xC0)))
    git_repo.commit("feat: site with its baseline")
    git_repo.git("checkout", "-q", "-b", "feature")
    write_site(git_repo.path / "site", button_colour="#c02050")
    head = git_repo.commit("feat(ui): red box")
    git_repo.git("checkout", "-q", "main")
    return head


def _opened() -> dict:
    """PR #7 (feature -> main, same repository) opened."""
    return load_event(
        "pull_request.opened",
        **{
            "number": 7,
            "pull_request.number": 7,
            "pull_request.head.ref": "feature",
            "pull_request.base.ref": "main",
            "pull_request.draft": False,
            "repository.full_name": REPOSITORY,
            "pull_request.head.repo.full_name": REPOSITORY,
            "pull_request.base.repo.full_name": REPOSITORY,
        },
    )


def _finished(workflow: str, head: str) -> dict:
    """The capture workflow ``workflow`` finished successfully for PR #7 at ``head``."""
    return load_event(
        "workflow_run.completed.with-pull-requests",
        **{
            "workflow_run.name": workflow,
            "workflow_run.event": "pull_request",
            "workflow_run.conclusion": "success",
            "workflow_run.head_sha": head,
            "workflow_run.head_branch": "feature",
            "workflow_run.pull_requests.0.number": 7,
            "repository.full_name": REPOSITORY,
        },
    )


def _approve_label(number: int, head_ref: str) -> dict:
    """drive-by puts the visual:approve label on PR ``number``."""
    return load_event(
        "pull_request.labeled",
        **{
            "number": number,
            "pull_request.number": number,
            "label.name": "visual:approve",
            "sender.login": "drive-by",
            "repository.full_name": REPOSITORY,
            "pull_request.head.repo.full_name": REPOSITORY,
            "pull_request.head.ref": head_ref,
            "pull_request.base.ref": "main",
        },
    )


@pytest.mark.integration
@pytest.mark.slow
def test_pull_request_capture_comment_and_approval(git_repo: Repo, tmp_path: Path, github_double) -> None:
    head = _red_box_branch(git_repo)

    harness = Harness(git_repo.path, root=tmp_path / "gh", api_double=github_double)
    opened = _opened()
    github_double.add_pull("Red box", number=7, head="feature", base="main", head_sha=head)
    # the machine set-up step downloads a browser; here the system Chromium is used instead
    capture = harness.run("visual.yml", "pull_request", opened, replace_run={"chromium": "true"})
    assert capture.ok, capture.explain()
    assert capture.ran == ["visual/capture"]

    finished = _finished("Visual", head)
    post = harness.run("visual-post.yml", "workflow_run", finished)
    assert post.ok, post.explain()
    assert post.ran == ["post/post"]
    comments = github_double.issue_comments(7)
    assert len(comments) == 1
    body = comments[0]["body"]
    assert "Visual check failed" in body and "`blue-200x100.png`" in body and "failed" in body
    assert "/leadforge approve-visual" in body
    assets_head = _remote(harness, "rev-parse", "leadforge-visual-assets").strip()
    assert f"/raw/{assets_head}/pr-7/{head[:12]}/images/blue-200x100.after.png" in body
    after = Image.open(
        io.BytesIO(_remote_bytes(harness, f"leadforge-visual-assets:pr-7/{head[:12]}/images/blue-200x100.after.png"))
    )
    assert after.convert("RGB").getpixel((30, 30)) == (0xC0, 0x20, 0x50)  # the PR's red box, really rendered
    statuses = [s for s in github_double.statuses.get(head, []) if s["context"] == "leadforge/visual"]
    assert statuses and statuses[-1]["state"] == "failure"
    assert _remote(harness, "rev-parse", "feature").strip() == head  # the PR branch is untouched

    # a re-run edits the same comment
    again = harness.run("visual-post.yml", "workflow_run", finished)
    assert again.ok, again.explain()
    assert len(github_double.issue_comments(7)) == 1

    # a reader cannot approve
    github_double.set_permission("mallory", "read")
    ask = {
        "issue.number": 7,
        "issue.pull_request": {"url": "x"},
        "comment.body": "/leadforge approve-visual",
        "repository.full_name": REPOSITORY,
    }
    denied = harness.run(
        "visual-approve.yml",
        "issue_comment",
        load_event("issue_comment.created", **ask, **{"comment.user.login": "mallory", "sender.login": "mallory"}),
    )
    assert denied.ok, denied.explain()
    assert _remote(harness, "rev-parse", "feature").strip() == head
    assert "only people with write permission" in github_double.issue_comments(7)[-1]["body"]

    # a writer approves: the new baseline is committed on top of the PR head
    github_double.set_permission("maintainer", "write")
    approved = harness.run(
        "visual-approve.yml",
        "issue_comment",
        load_event("issue_comment.created", **ask, **{"comment.user.login": "maintainer", "sender.login": "maintainer"}),
    )
    assert approved.ok, approved.explain()
    new_head = _remote(harness, "rev-parse", "feature").strip()
    assert new_head != head and _remote(harness, "rev-parse", f"{new_head}^").strip() == head
    assert _remote(harness, "show", "--name-only", "--format=", new_head).split() == ["screenshots/baseline/blue-200x100.png"]
    stored = Image.open(io.BytesIO(_remote_bytes(harness, f"{new_head}:screenshots/baseline/blue-200x100.png")))
    assert stored.convert("RGB").getpixel((30, 30)) == (0xC0, 0x20, 0x50)
    green = [s for s in github_double.statuses.get(new_head, []) if s["context"] == "leadforge/visual"]
    assert green and green[-1]["state"] == "success" and "maintainer" in green[-1]["description"]
    record = json.loads(_remote(harness, "show", "leadforge-visual-assets:approvals/pr-7.json"))
    assert set(record["approved"]) == {"blue-200x100.png"}

    # the author pushes again (same screenshots): the approved pixels now pass against main's baseline
    rerun = harness.run("visual-post.yml", "workflow_run", finished)
    assert rerun.ok, rerun.explain()
    assert "Visual check passed" in github_double.issue_comments(7)[0]["body"]


@pytest.mark.integration
def test_the_label_starts_the_approval_and_other_comments_do_not(git_repo: Repo, tmp_path: Path, github_double) -> None:
    git_repo.write(".github/leadforge.yml", CONFIG)
    git_repo.commit("chore: config")
    harness = Harness(git_repo.path, root=tmp_path / "gh", api_double=github_double)
    github_double.add_pull("Some PR", number=5, head="main", base="main")
    github_double.set_permission("drive-by", "triage")
    labeled = _approve_label(5, "main")
    result = harness.run("visual-approve.yml", "pull_request_target", labeled)
    assert result.ok, result.explain()
    assert result.ran == ["approve/approve"]
    assert "only people with write permission" in github_double.issue_comments(5)[-1]["body"]
    other = load_event("pull_request.labeled", **{"label.name": "bug", "repository.full_name": REPOSITORY})
    assert harness.run("visual-approve.yml", "pull_request_target", other).ran == []
    chat = load_event(
        "issue_comment.created",
        **{
            "issue.number": 5,
            "issue.pull_request": {"url": "x"},
            "comment.body": "looks good",
            "repository.full_name": REPOSITORY,
        },
    )
    assert harness.run("visual-approve.yml", "issue_comment", chat).ran == []


@pytest.mark.integration
@pytest.mark.slow
def test_the_callers_init_writes_capture_compare_and_guard_approval(git_repo: Repo, tmp_path: Path, github_double) -> None:
    """The three visual callers of `leadforge init --reusable` (leadforge-visual*.yml), pinned by SHA, with a real
    Chromium capture; the approval caller answers a reader's label without touching the PR branch."""
    from tests.workflows.callers import render_callers

    head = _red_box_branch(git_repo)
    harness = Harness(
        git_repo.path, root=tmp_path / "gh", api_double=github_double, workflows_dir=render_callers(tmp_path / "user")
    )
    github_double.add_pull("Red box", number=7, head="feature", base="main", head_sha=head)
    opened = _opened()
    # the machine set-up step downloads a browser; here the system Chromium is used instead
    capture = harness.run("leadforge-visual.yml", "pull_request", opened, replace_run={"chromium": "true"})
    assert capture.ok, capture.explain()
    assert capture.ran == ["visual/capture"] and "leadforge-visual" in capture.artifacts
    finished = _finished("LeadForge visual", head)
    post = harness.run("leadforge-visual-post.yml", "workflow_run", finished)
    assert post.ok, post.explain()
    assert post.ran == ["post/post"]
    assert "Visual check failed" in github_double.issue_comments(7)[0]["body"]
    github_double.set_permission("drive-by", "triage")
    labeled = _approve_label(7, "feature")
    approve = harness.run("leadforge-visual-approve.yml", "pull_request_target", labeled)
    assert approve.ok, approve.explain()
    assert approve.ran == ["approve/approve"]
    assert "only people with write permission" in github_double.issue_comments(7)[-1]["body"]
    assert _remote(harness, "rev-parse", "feature").strip() == head
