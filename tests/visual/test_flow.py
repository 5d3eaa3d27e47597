"""The pure decisions of the PR flows: who asked to approve, what the baseline commit holds, the status."""

from __future__ import annotations

import numpy as np
import pytest

from leadforge.config import parse_config
from leadforge.errors import InputError
from leadforge.visual.flow import (
    apply_approvals,
    approval_request,
    baseline_updates,
    pixel_hash,
    render_comment,
    status_of,
)
from leadforge.visual.report import Entry
from tests.fixtures.events import load_event

SETTINGS = parse_config("visual: {approve_label: 'looks-good'}").visual


def test_a_comment_with_the_command_on_a_pull_request_asks_for_approval() -> None:
    payload = load_event(
        "issue_comment.created",
        **{
            "issue.number": 4,
            "issue.pull_request": {"url": "u"},
            "comment.body": "/leadforge approve-visual\nthanks",
            "comment.user.login": "maria",
        },
    )
    request = approval_request("issue_comment", payload, SETTINGS)
    assert request is not None and (request.number, request.sender, request.via) == (4, "maria", "comment")


@pytest.mark.parametrize(
    "overrides",
    [
        {"issue.pull_request": None, "comment.body": "/leadforge approve-visual"},  # an issue, not a PR
        {"issue.pull_request": {"url": "u"}, "comment.body": "please /leadforge approve-visual"},  # not the first line
        {"issue.pull_request": {"url": "u"}, "comment.body": "/leadforge approve-visualx"},
        {"issue.pull_request": {"url": "u"}, "comment.body": "/leadforge approve-visual", "action": "edited"},
    ],
)
def test_other_comments_are_not_requests(overrides: dict) -> None:
    payload = load_event("issue_comment.created", **overrides)
    assert approval_request("issue_comment", payload, SETTINGS) is None


def test_the_configured_label_asks_for_approval() -> None:
    payload = load_event("pull_request.labeled", **{"label.name": "looks-good", "sender.login": "lee", "pull_request.number": 9})
    request = approval_request("pull_request_target", payload, SETTINGS)
    assert request is not None and (request.number, request.sender, request.via) == (9, "lee", "label")
    other = load_event("pull_request.labeled", **{"label.name": "bug"})
    assert approval_request("pull_request_target", other, SETTINGS) is None
    assert approval_request("push", load_event("push"), SETTINGS) is None


def entry(name: str, status: str, **extra) -> Entry:
    return Entry(name, name.split("-")[0], "100x50", status, 0.0, **extra)


def test_approved_pixels_pass_only_when_they_are_the_same_pixels() -> None:
    a = np.zeros((2, 3, 4), dtype=np.uint8)
    b = a.copy()
    b[0, 0, 0] = 1
    assert pixel_hash(a) == pixel_hash(a.copy()) != pixel_hash(b)
    assert pixel_hash(a) != pixel_hash(np.zeros((3, 2, 4), dtype=np.uint8))  # same bytes, other shape
    entries = [entry("home-100x50.png", "failed"), entry("blog-100x50.png", "failed"), entry("new-100x50.png", "new")]
    out = apply_approvals(
        entries,
        {"home-100x50.png": "h1", "blog-100x50.png": "old", "new-100x50.png": "n1"},
        {"home-100x50.png": "h1", "blog-100x50.png": "h2", "new-100x50.png": "n1"},
    )
    assert [e.status for e in out] == ["approved", "failed", "approved"]


def test_baseline_updates_take_new_screenshots_and_drop_removed_ones() -> None:
    report = {
        "entries": [
            {"name": "home-100x50.png", "status": "failed", "after": "images/home-100x50.after.png"},
            {"name": "about-100x50.png", "status": "unchanged", "after": None},
            {"name": "old-100x50.png", "status": "removed", "after": None},
            {"name": "pricing-100x50.png", "status": "new", "after": "images/pricing-100x50.after.png"},
        ]
    }
    assert baseline_updates(report, "screenshots/baseline", "pr-3/abc") == {
        "screenshots/baseline/home-100x50.png": "pr-3/abc/images/home-100x50.after.png",
        "screenshots/baseline/old-100x50.png": None,
        "screenshots/baseline/pricing-100x50.png": "pr-3/abc/images/pricing-100x50.after.png",
    }
    with pytest.raises(InputError, match="not a screenshot file name"):
        baseline_updates({"entries": [{"name": "../../.github/workflows/x.png", "status": "new", "after": "a"}]}, "s", "p")


def test_status_and_comment() -> None:
    assert status_of(True, {"unchanged": 2, "failed": 0}) == ("success", "passed: 2 unchanged")
    state, text = status_of(False, {"failed": 1, "new": 1})
    assert state == "failure" and text == "failed: 1 failed, 1 new" and len(text) <= 140
    entries = (
        entry(
            "home-100x50.png",
            "failed",
            ratio=0.25,
            before="images/h.before.png",
            after="images/h.after.png",
            diff="images/h.diff.png",
        ),
        entry("about-100x50.png", "unchanged", ratio=0.0),
    )
    body = render_comment(
        entries,
        passed=False,
        head_sha="0123456789abcdef",
        settings=SETTINGS,
        images="https://example.test/raw/c0ffee/pr-1/",
        run_url="https://example.test/run/1",
    )
    assert "Visual check failed" in body and "`0123456` compared" in body
    assert '<img src="https://example.test/raw/c0ffee/pr-1/images/h.diff.png"' in body
    assert "| `home-100x50.png` | 🔴 failed | 25.00% | 0% |" in body
    assert "label `looks-good`" in body
    assert "about" not in body.split("</details>")[-1]  # no images section for the unchanged page
    offline = render_comment(entries, passed=False, head_sha="0" * 40, settings=SETTINGS, images=None, run_url="")
    assert "leadforge-visual` artifact" in offline and "<img" not in offline


def _refs(repo) -> str:
    return repo.git("for-each-ref", "--format=%(refname) %(objectname)")


@pytest.mark.integration
def test_approve_from_an_event_with_dry_run_changes_nothing(git_repo, run_cli, tmp_path) -> None:
    import json

    from PIL import Image

    from leadforge.forge.local import LOCAL_USER, LocalForge

    def shot(folder, colour) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("RGBA", (40, 20), colour).save(folder / "home-40x20.png")

    shot(git_repo.path / "screenshots" / "baseline", (0, 0, 255, 255))
    git_repo.commit("feat: baseline")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.commit("feat: red home", {"page.txt": "red\n"})
    git_repo.git("checkout", "-q", "main")
    forge = LocalForge(git_repo.path, "octo-org/octo-repo")
    pull = forge.create_pull(title="Red", body="", head="feature", base="main")
    shot(tmp_path / "current", (255, 0, 0, 255))
    posted = run_cli(
        "--forge",
        "local",
        "visual",
        "pr",
        "--current",
        str(tmp_path / "current"),
        "--pr",
        str(pull.number),
        "--out",
        str(tmp_path / "report"),
        repo=git_repo.path,
    )  # no remote: the local assets branch
    assert posted.code == 0, posted.stderr  # the verdict is the status, not the exit code
    assert "1 failed" in posted.stdout
    event = tmp_path / "event.json"
    env = {"GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "octo-org/octo-repo"}

    def ask(sender: str) -> None:
        payload = load_event(
            "issue_comment.created",
            **{
                "issue.number": pull.number,
                "issue.pull_request": {"url": "u"},
                "comment.body": "/leadforge approve-visual",
                "comment.user.login": sender,
                "sender.login": sender,
            },
        )
        event.write_text(json.dumps(payload), encoding="utf-8")

    state = git_repo.path / ".leadforge" / "forge" / "state.json"
    for sender in ("mallory", LOCAL_USER):  # a reader (denied: a reply) and a writer (the baseline commit)
        ask(sender)
        refs, forge_state = _refs(git_repo), state.read_bytes()
        dry = run_cli("--forge", "local", "--dry-run", "visual", "approve", repo=git_repo.path, env=env)
        assert dry.code == 0, dry.stderr
        assert "[dry-run] would" in dry.stderr
        assert _refs(git_repo) == refs and state.read_bytes() == forge_state, sender
    # the same request for real does change things (the dry run above skipped a real path)
    real = run_cli("--forge", "local", "visual", "approve", repo=git_repo.path, env=env)
    assert real.code == 0, real.stderr
    assert _refs(git_repo) != refs
    assert git_repo.git("show", "--name-only", "--format=", "feature") == "screenshots/baseline/home-40x20.png"
