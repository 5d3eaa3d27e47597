"""GitHubForge end to end against the GitHub API double: every protocol call, every request validated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leadforge.errors import ForgeError, NotFoundError
from leadforge.forge.base import Forge, marker, replace_asset, upsert_issue_comment, upsert_release
from leadforge.forge.github import GitHubForge
from leadforge.forge.models import ChangedFile, CheckAnnotation, CommitStatus, NewReviewComment
from tests.apidouble import GitHubDouble

ROOT = Path(__file__).resolve().parents[2]
PATCH = "@@ -1,3 +1,4 @@\n line one\n-line two\n+line 2\n+line 2b\n line three"
HEAD = "1" * 40


def seeded_pull(double: GitHubDouble) -> int:
    files = [
        ChangedFile("src/app.py", "modified", 2, 1, PATCH),
        ChangedFile("img/logo.png", "added", 0, 0, None),
        ChangedFile("docs/new.md", "renamed", 0, 0, None, previous_path="docs/old.md"),
    ]
    return double.add_pull(
        "Add feature",
        head="feature",
        base="main",
        head_sha=HEAD,
        base_sha="2" * 40,
        files=files,
        commits=["3" * 40, HEAD],
        labels=["ai-task"],
        body="Closes #1",
    )


def test_github_forge_satisfies_the_protocol(github_double: GitHubDouble) -> None:
    assert isinstance(github_double.forge(), Forge)


def test_issue_calls_round_trip(github_double: GitHubDouble) -> None:
    forge = github_double.forge()
    seeded = github_double.add_issue("Seeded", "from a user", labels=["triage"], author="alice")
    created = forge.create_issue("New task", "do it", labels=["ai-task", "p1"])
    assert (created.title, created.body, created.labels, created.state) == ("New task", "do it", ("ai-task", "p1"), "open")
    assert created.author == github_double.user and created.url.endswith(f"/issues/{created.number}")

    got = forge.get_issue(seeded)
    assert (got.title, got.body, got.author, got.labels, got.is_pull_request) == (
        "Seeded",
        "from a user",
        "alice",
        ("triage",),
        False,
    )

    updated = forge.update_issue(seeded, title="Renamed")
    assert (updated.title, updated.body) == ("Renamed", "from a user")  # body untouched when not given

    forge.add_labels(seeded, ["needs info", "area/forge"])  # a space and a slash: both quoted correctly
    forge.remove_label(seeded, "area/forge")
    forge.remove_label(seeded, "never-there")  # like LocalForge: removing an absent label is not an error
    forge.add_assignees(seeded, ["octocat", "hubot"])
    got = forge.get_issue(seeded)
    assert got.labels == ("triage", "needs info") and got.assignees == ("octocat", "hubot")

    assert [i.number for i in forge.list_issues(labels=["triage"])] == [seeded]
    forge.close_issue(seeded, reason="not_planned")
    assert github_double.issue(seeded)["state_reason"] == "not_planned"
    assert [i.number for i in forge.list_issues()] == [created.number]
    assert [i.number for i in forge.list_issues(state="closed")] == [seeded]


def test_pull_requests_are_not_listed_as_issues(github_double: GitHubDouble) -> None:
    issue = github_double.add_issue("An issue")
    pull = seeded_pull(github_double)
    forge = github_double.forge()
    assert [i.number for i in forge.list_issues(state="all")] == [issue]
    assert forge.get_issue(pull).is_pull_request is True


def test_comments_create_list_update(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    github_double.add_comment(number, "/approve", author="maintainer")
    forge = github_double.forge()
    mine = forge.create_issue_comment(number, "hello")
    edited = forge.update_issue_comment(mine.id, "bye")
    assert edited.id == mine.id and edited.body == "bye"
    listed = forge.list_issue_comments(number)
    assert [(c.author, c.body) for c in listed] == [("maintainer", "/approve"), (github_double.user, "bye")]


def test_pull_request_calls(github_double: GitHubDouble) -> None:
    number = seeded_pull(github_double)
    forge = github_double.forge()
    pull = forge.get_pull(number)
    assert (pull.title, pull.body, pull.head_ref, pull.head_sha, pull.base_ref, pull.base_sha) == (
        "Add feature",
        "Closes #1",
        "feature",
        HEAD,
        "main",
        "2" * 40,
    )
    assert (pull.head_repo, pull.labels, pull.state, pull.merged, pull.changed_files) == (
        github_double.repository,
        ("ai-task",),
        "open",
        False,
        3,
    )

    files = forge.list_pull_files(number)
    assert [(f.path, f.status, f.patch is None, f.previous_path) for f in files] == [
        ("src/app.py", "modified", False, None),
        ("img/logo.png", "added", True, None),
        ("docs/new.md", "renamed", True, "docs/old.md"),
    ]
    assert files[0].patch == PATCH and (files[0].additions, files[0].deletions) == (2, 1)
    assert forge.list_pull_commits(number) == ["3" * 40, HEAD]

    assert [p.number for p in forge.list_pulls(head="feature")] == [number]
    assert [p.number for p in forge.list_pulls(head=f"{github_double.owner}:feature", base="main")] == [number]
    assert forge.list_pulls(head="other") == [] and forge.list_pulls(state="closed") == []

    created = forge.create_pull(title="Bump", body="b", head="bump", base="main", draft=True)
    assert (created.head_ref, created.base_ref, created.draft, created.author) == ("bump", "main", True, github_double.user)
    with pytest.raises(ForgeError, match="A pull request already exists"):
        forge.create_pull(title="Bump", body="b", head="bump", base="main")

    github_double.merge_pull(number, "c" * 40)
    merged = forge.get_pull(number)
    assert (merged.state, merged.merged, merged.merge_commit_sha) == ("closed", True, "c" * 40)


def test_reviews_and_review_comments(github_double: GitHubDouble) -> None:
    number = seeded_pull(github_double)
    forge = github_double.forge()
    review = forge.create_review(
        number,
        commit_sha=HEAD,
        body="Please fix",
        event="REQUEST_CHANGES",
        comments=[
            NewReviewComment("src/app.py", 2, "rename?"),
            NewReviewComment("src/app.py", 3, "two lines", start_line=2),
            NewReviewComment("src/app.py", 2, "was it?", side="LEFT"),
        ],
    )
    assert (review.state, review.commit_id, review.body) == ("CHANGES_REQUESTED", HEAD, "Please fix")
    sent = github_double.requests[-1].body
    assert sent["commit_id"] == HEAD and sent["comments"][1] == {
        "path": "src/app.py",
        "body": "two lines",
        "line": 3,
        "side": "RIGHT",
        "start_line": 2,
        "start_side": "RIGHT",
    }

    comments = forge.list_review_comments(number)
    assert [(c.path, c.line, c.side, c.start_line, c.review_id) for c in comments] == [
        ("src/app.py", 2, "RIGHT", None, review.id),
        ("src/app.py", 3, "RIGHT", 2, review.id),
        ("src/app.py", 2, "LEFT", None, review.id),
    ]

    assert forge.update_review(number, review.id, "Updated").body == "Updated"
    forge.dismiss_review(number, review.id, "superseded")
    assert [(r.id, r.state, r.body) for r in forge.list_reviews(number)] == [(review.id, "DISMISSED", "Updated")]

    single = forge.create_review_comment(number, commit_sha=HEAD, comment=NewReviewComment("src/app.py", 4, "nit"))
    assert (single.line, single.review_id, single.commit_id) == (4, None, HEAD)
    assert forge.update_review_comment(single.id, "nit (edited)").body == "nit (edited)"
    forge.delete_review_comment(single.id)
    assert single.id not in [c.id for c in forge.list_review_comments(number)]
    with pytest.raises(NotFoundError):
        forge.delete_review_comment(single.id)


def test_inline_comment_outside_the_diff_is_refused_like_github(github_double: GitHubDouble) -> None:
    number = seeded_pull(github_double)
    forge = github_double.forge()
    with pytest.raises(ForgeError, match="must be part of the diff"):
        forge.create_review(
            number, commit_sha=HEAD, body="x", event="COMMENT", comments=[NewReviewComment("src/app.py", 40, "far away")]
        )
    assert github_double.pull_reviews(number) == []  # nothing half-written
    with pytest.raises(ForgeError, match="review event must be"):
        forge.create_review(number, commit_sha=HEAD, body="x", event="LGTM")


def test_statuses_keep_the_latest_per_context(github_double: GitHubDouble) -> None:
    forge = github_double.forge()
    forge.create_status(HEAD, CommitStatus("leadforge/scan", "pending", "scanning"))
    forge.create_status(HEAD, CommitStatus("leadforge/visual", "failure", "2 diffs", "https://ci.example/run/1"))
    forge.create_status(HEAD, CommitStatus("leadforge/scan", "success", "clean"))
    assert forge.list_statuses(HEAD) == [
        CommitStatus("leadforge/visual", "failure", "2 diffs", "https://ci.example/run/1"),
        CommitStatus("leadforge/scan", "success", "clean"),
    ]
    assert forge.list_statuses("9" * 40) == []
    with pytest.raises(ForgeError, match="commit status state"):
        forge.create_status(HEAD, CommitStatus("x", "green"))


def test_check_runs_send_annotations_in_batches_of_50(github_double: GitHubDouble) -> None:
    forge = github_double.forge()
    notes = [CheckAnnotation("src/app.py", i, i, "warning", f"finding {i}", title="rule") for i in range(1, 121)]
    run = forge.create_check_run(
        name="leadforge scan",
        head_sha=HEAD,
        conclusion="failure",
        title="120 findings",
        summary="see annotations",
        annotations=notes,
    )
    assert (run.name, run.head_sha, run.status, run.conclusion, run.title) == (
        "leadforge scan",
        HEAD,
        "completed",
        "failure",
        "120 findings",
    )
    stored = github_double.check_runs[run.id]["annotations"]
    assert [a["message"] for a in stored] == [f"finding {i}" for i in range(1, 121)]
    assert (github_double.count("checks/create"), github_double.count("checks/update")) == (1, 2)
    queued = forge.create_check_run(name="later", head_sha=HEAD, status="queued")
    assert [(r.name, r.status) for r in forge.list_check_runs(HEAD)] == [("leadforge scan", "completed"), ("later", "queued")]
    assert queued.conclusion is None


def test_releases_assets_and_draft_lookup(github_double: GitHubDouble, tmp_path: Path) -> None:
    forge = github_double.forge()
    assert forge.get_release_by_tag("v1.0.0") is None
    draft = forge.create_release(tag="v1.0.0", name="1.0.0", body="notes", draft=True, target="main")
    # GitHub's tag lookup does not see drafts: the forge must still find it (or an upsert duplicates it)
    assert forge.get_release_by_tag("v1.0.0") == draft
    wheel = tmp_path / "pkg-1.0.0.tar.gz"
    wheel.write_bytes(b"\x1f\x8b" + b"x" * 100)
    asset = forge.upload_asset(draft.id, wheel)
    assert (asset.name, asset.size, asset.content_type) == ("pkg-1.0.0.tar.gz", 102, "application/x-tar")
    assert github_double.assets[asset.id]["data"] == wheel.read_bytes()
    published = forge.update_release(draft.id, draft=False)
    assert (published.draft, published.body, published.name) == (False, "notes", "1.0.0")
    assert [a.name for a in published.assets] == ["pkg-1.0.0.tar.gz"]
    with pytest.raises(ForgeError, match="already_exists"):
        forge.upload_asset(draft.id, wheel)
    forge.delete_asset(asset.id)
    assert forge.get_release_by_tag("v1.0.0").assets == ()
    with pytest.raises(ForgeError, match="release asset not found"):
        forge.upload_asset(draft.id, tmp_path / "missing.zip")


def test_permission_and_dispatches(github_double: GitHubDouble) -> None:
    forge = github_double.forge()
    for user, role in (("alice", "admin"), ("bob", "maintain"), ("carol", "triage"), ("dan", "none")):
        github_double.set_permission(user, role)
        assert forge.get_permission(user) == role  # the fine-grained role, not the legacy "write"/"read"
    assert forge.get_permission("stranger") == "read"
    forge.dispatch_workflow("deploy.yml", "main", {"environment": "staging"})
    forge.repository_dispatch("leadforge-release", {"tag": "v1.0.0"})
    assert github_double.dispatches == [
        {"kind": "workflow", "workflow": "deploy.yml", "ref": "main", "inputs": {"environment": "staging"}},
        {"kind": "repository", "event_type": "leadforge-release", "client_payload": {"tag": "v1.0.0"}},
    ]


def test_lists_follow_every_page(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("busy")
    for i in range(7):
        github_double.add_comment(number, f"comment {i}")
    forge = github_double.forge(per_page=3)
    assert [c.body for c in forge.list_issue_comments(number)] == [f"comment {i}" for i in range(7)]
    assert github_double.count("issues/list-comments") == 3  # pages 1..3, one request each
    pages = [r.query.get("page", ["1"])[0] for r in github_double.requests if r.operation_id == "issues/list-comments"]
    assert pages == ["1", "2", "3"]


def test_one_request_per_call_no_lazy_completion(github_double: GitHubDouble) -> None:
    """Reading list items must not make PyGithub fetch each item again."""
    number = seeded_pull(github_double)
    for i in range(3):
        github_double.add_comment(number, f"c{i}")
    forge = github_double.forge()
    before = len(github_double.requests)
    forge.list_issue_comments(number)
    forge.list_pull_files(number)
    forge.list_issues(state="all")
    forge.get_pull(number)
    assert len(github_double.requests) - before == 4


def test_upserts_are_idempotent_over_http(github_double: GitHubDouble, tmp_path: Path) -> None:
    number = github_double.add_issue("t")
    forge = github_double.forge()
    outcomes = [upsert_issue_comment(forge, number, "review-summary", body)[1] for body in ("one", "one", "two")]
    assert outcomes == ["created", "unchanged", "updated"]
    assert [c["body"] for c in github_double.issue_comments(number)] == [f"{marker('review-summary')}\ntwo"]
    assert (github_double.count("issues/create-comment"), github_double.count("issues/update-comment")) == (1, 1)

    for draft in (True, True, False):  # a draft is found again (not duplicated), then published
        upsert_release(forge, tag="v2.0.0", name="2.0.0", body="notes", draft=draft)
    assert [r["tag"] for r in github_double.releases.values()] == ["v2.0.0"]
    published = github_double.release_by_tag("v2.0.0")
    assert published is not None and published["draft"] is False
    release = forge.get_release_by_tag("v2.0.0")
    artefact = tmp_path / "report.json"
    for content in ("{}", '{"a": 1}'):
        artefact.write_text(content)
        replace_asset(forge, release, artefact)
        release = forge.get_release_by_tag("v2.0.0")
    assert [(a.name, a.size) for a in release.assets] == [("report.json", 8)]


def test_not_found_maps_to_not_found_error(github_double: GitHubDouble) -> None:
    forge = github_double.forge()
    issue = github_double.add_issue("plain issue")
    for call in (
        lambda: forge.get_issue(404),
        lambda: forge.get_pull(issue),
        lambda: forge.list_issue_comments(404),
        lambda: forge.update_issue_comment(4040, "x"),
        lambda: forge.update_release(4040, body="x"),
        lambda: forge.delete_asset(4040),
        lambda: forge.remove_label(404, "x"),
    ):
        with pytest.raises(NotFoundError) as caught:
            call()
        assert "404" in str(caught.value) and "\n" not in str(caught.value)
    assert forge.sleeps == []  # a 404 is an answer, not a fault: never retried


def test_github_enterprise_base_url_and_open_forge(github_double: GitHubDouble, tmp_path: Path) -> None:
    from leadforge.context import Context
    from leadforge.forge import open_forge

    env = github_double.env()
    assert env["GITHUB_API_URL"].endswith("/api/v3")  # GitHub Enterprise shape: the double serves under /api/v3
    forge = open_forge(None, repo=tmp_path, context=Context.from_env(env), env=env)
    assert isinstance(forge, GitHubForge) and forge.base_url == github_double.url
    number = github_double.add_issue("via open_forge")
    assert forge.get_issue(number).title == "via open_forge"
    assert all(r.path.startswith("/repos/") for r in github_double.requests)


def test_constructor_refuses_bad_arguments() -> None:
    with pytest.raises(ForgeError, match="owner/name"):
        GitHubForge("just-a-name", token="t")
    with pytest.raises(ForgeError, match="token is empty"):
        GitHubForge("o/r", token="")


def test_pygithub_is_imported_only_by_the_github_forge() -> None:
    package = ROOT / "scripts" / "leadforge"
    importers = sorted(
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if any(line.strip().startswith(("import github", "from github")) for line in p.read_text(encoding="utf-8").splitlines())
    )
    assert importers == ["forge/github.py"]
    probe = "import sys, leadforge.cli, leadforge.forge, leadforge.forge.github; print('github' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"  # importing the module does not import PyGithub: constructing the forge does


def test_another_process_reaches_the_double_through_its_env(github_double: GitHubDouble, tmp_path: Path) -> None:
    """What workflow tests do: a separate process configured only by GITHUB_* variables."""
    number = github_double.add_issue("from a workflow")
    script = (
        "import os, pathlib\n"
        "from leadforge.context import Context\n"
        "from leadforge.forge import open_forge\n"
        "from leadforge.forge.base import upsert_issue_comment\n"
        "forge = open_forge(None, repo=pathlib.Path('.'), context=Context.from_env(os.environ), env=os.environ)\n"
        f"print(upsert_issue_comment(forge, {number}, 'ci', 'ran')[1])\n"
    )
    env = {"PATH": "/usr/bin:/bin", **github_double.env()}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "created"
    assert [c["body"] for c in github_double.issue_comments(number)] == [f"{marker('ci')}\nran"]


def test_write_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFORGE_GITHUB_WRITE_INTERVAL", "soon")
    with pytest.raises(ForgeError, match="LEADFORGE_GITHUB_WRITE_INTERVAL must be a number of seconds, got 'soon'"):
        GitHubForge("o/r", token="t", base_url="http://127.0.0.1:9/api/v3")


def test_writes_pause_a_second_on_github_but_not_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GitHubForge("o/r", token="t").seconds_between_writes == 1.0
    assert GitHubForge("o/r", token="t", base_url="https://ghe.example.com/api/v3").seconds_between_writes == 1.0
    assert GitHubForge("o/r", token="t", base_url="http://127.0.0.1:8080/api/v3").seconds_between_writes == 0.0
    monkeypatch.setenv("LEADFORGE_GITHUB_WRITE_INTERVAL", "2.5")
    assert GitHubForge("o/r", token="t").seconds_between_writes == 2.5
    assert GitHubForge("o/r", token="t", seconds_between_writes=0).seconds_between_writes == 0
