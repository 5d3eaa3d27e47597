from __future__ import annotations

from pathlib import Path

import pytest

from leadforge.errors import ForgeError, NotFoundError
from leadforge.forge.base import Forge, marker, replace_asset, upsert_issue_comment, upsert_release
from leadforge.forge.local import LocalForge
from leadforge.forge.models import CommitStatus, NewReviewComment
from tests.conftest import Repo


def test_local_forge_satisfies_the_protocol(local_forge: LocalForge) -> None:
    assert isinstance(local_forge, Forge)


def test_state_is_kept_in_files_under_dot_leadforge(local_forge: LocalForge, git_repo: Repo) -> None:
    local_forge.open_issue("hello", "body", labels=["ai-task"])
    again = LocalForge(git_repo.path, "octo-org/octo-repo")  # a second process sees the same state
    issue = again.get_issue(1)
    assert (issue.title, issue.labels) == ("hello", ("ai-task",))
    assert (git_repo.path / ".leadforge" / "forge" / "state.json").exists()


def test_comment_upsert_by_marker(local_forge: LocalForge) -> None:
    local_forge.open_issue("t")
    outcomes = [upsert_issue_comment(local_forge, 1, "status", body)[1] for body in ("a", "a", "b")]
    assert outcomes == ["created", "unchanged", "updated"]
    comments = local_forge.list_issue_comments(1)
    assert len(comments) == 1 and comments[0].body == f"{marker('status')}\nb"


def test_labels_assignees_close(local_forge: LocalForge) -> None:
    local_forge.open_issue("t")
    local_forge.add_labels(1, ["x", "y", "x"])
    local_forge.remove_label(1, "y")
    local_forge.add_assignees(1, ["Copilot"])
    local_forge.close_issue(1)
    issue = local_forge.get_issue(1)
    assert (issue.labels, issue.assignees, issue.state) == (("x",), ("Copilot",), "closed")
    assert local_forge.list_issues(state="open") == []


def test_missing_issue_is_not_found(local_forge: LocalForge) -> None:
    with pytest.raises(NotFoundError, match="issue #9 not found"):
        local_forge.get_issue(9)


def test_pull_files_come_from_git(local_forge: LocalForge, git_repo: Repo) -> None:
    base = git_repo.git("rev-parse", "HEAD")
    git_repo.git("checkout", "-q", "-b", "feature")
    head = git_repo.commit("feat: add", {"src/app.py": "print('hi')\n", "README.md": "# changed\n"})
    pr = local_forge.open_pull("feat: add", head="feature", head_sha=head, base_sha=base)
    files = {f.path: f for f in local_forge.list_pull_files(pr.number)}
    assert files["src/app.py"].status == "added" and files["src/app.py"].additions == 1
    assert (files["src/app.py"].patch or "").startswith("@@ -0,0 +1 @@")
    assert files["README.md"].status == "modified" and files["README.md"].deletions == 1
    assert local_forge.list_pull_commits(pr.number) == [head]


def test_reviews_and_review_comments(local_forge: LocalForge) -> None:
    pr = local_forge.open_pull("x", head="f", head_sha="abc")
    review = local_forge.create_review(
        pr.number, commit_sha="abc", body="summary", event="REQUEST_CHANGES", comments=[NewReviewComment("a.py", 3, "bad")]
    )
    assert review.state == "CHANGES_REQUESTED"
    (comment,) = local_forge.list_review_comments(pr.number)
    assert (comment.path, comment.line, comment.review_id) == ("a.py", 3, review.id)
    local_forge.update_review(pr.number, review.id, "new summary")
    local_forge.delete_review_comment(comment.id)
    assert local_forge.list_review_comments(pr.number) == []
    assert local_forge.list_reviews(pr.number)[0].body == "new summary"
    with pytest.raises(ForgeError, match="review event must be"):
        local_forge.create_review(pr.number, commit_sha="abc", body="", event="LGTM")


def test_statuses_replace_by_context(local_forge: LocalForge) -> None:
    local_forge.create_status("abc", CommitStatus("leadforge/review", "pending"))
    local_forge.create_status("abc", CommitStatus("leadforge/review", "success", "ok"))
    assert local_forge.list_statuses("abc") == [CommitStatus("leadforge/review", "success", "ok")]


def test_release_upsert_and_asset_replace(local_forge: LocalForge, tmp_path: Path) -> None:
    release, what = upsert_release(local_forge, tag="v1.0.0", name="v1.0.0", body="a")
    assert what == "created"
    assert upsert_release(local_forge, tag="v1.0.0", name="v1.0.0", body="a")[1] == "unchanged"
    release, what = upsert_release(local_forge, tag="v1.0.0", name="v1.0.0", body="b", prerelease=True)
    assert what == "updated" and release.prerelease
    shot = tmp_path / "home.png"
    shot.write_bytes(b"one")
    replace_asset(local_forge, release, shot)
    shot.write_bytes(b"two!")
    again = local_forge.get_release_by_tag("v1.0.0")
    assert again is not None
    replace_asset(local_forge, again, shot)
    now = local_forge.get_release_by_tag("v1.0.0")
    assert now is not None
    assets = now.assets
    assert [(a.name, a.size) for a in assets] == [("home.png", 4)]


def test_corrupt_state_is_a_clear_error(local_forge: LocalForge, git_repo: Repo) -> None:
    local_forge.open_issue("t")
    (git_repo.path / ".leadforge" / "forge" / "state.json").write_text("{broken")
    with pytest.raises(ForgeError, match="local forge state is corrupt"):
        local_forge.get_issue(1)
    for broken in (b"\xff\xfe binary", b"[]", b'{"issues": []}'):
        (git_repo.path / ".leadforge" / "forge" / "state.json").write_bytes(broken)
        with pytest.raises(ForgeError, match=r"local forge state is corrupt .*; delete it to start over"):
            local_forge.get_issue(1)


def test_dispatch_and_permissions(local_forge: LocalForge) -> None:
    local_forge.dispatch_workflow("agent.yml", "main", {"task": "task-1"})
    local_forge.set_permission("alice", "write")
    assert local_forge.get_permission("alice") == "write"
    assert local_forge.get_permission("mallory") == "read"
    assert local_forge.dispatches()[0]["inputs"] == {"task": "task-1"}


def test_upsert_ignores_a_pasted_marker_in_someone_elses_comment(local_forge: LocalForge) -> None:
    local_forge.open_issue("t")
    pasted = local_forge.add_comment_as(1, f"{marker('status')}\nI copied your marker", author="mallory")
    comment, what = upsert_issue_comment(local_forge, 1, "status", "ours")
    assert what == "created" and comment.id != pasted.id
    assert local_forge.list_issue_comments(1)[0].body.endswith("I copied your marker")


def test_reviews_follow_githubs_rules(local_forge: LocalForge) -> None:
    pr = local_forge.open_pull("x", head="f", head_sha="abc")
    with pytest.raises(ForgeError, match="needs a body"):
        local_forge.create_review(pr.number, commit_sha="abc", body=" ", event="COMMENT")
    commented = local_forge.create_review(pr.number, commit_sha="abc", body="note", event="COMMENT")
    with pytest.raises(ForgeError, match="only approvals and change requests can be dismissed"):
        local_forge.dismiss_review(pr.number, commented.id, "stale")
    blocking = local_forge.create_review(pr.number, commit_sha="abc", body="fix it", event="REQUEST_CHANGES")
    local_forge.dismiss_review(pr.number, blocking.id, "fixed")
    assert {r.id: r.state for r in local_forge.list_reviews(pr.number)}[blocking.id] == "DISMISSED"


def _forge_worker(args: tuple[str, int]) -> list[int]:
    root, worker = args
    forge = LocalForge(root, "octo-org/octo-repo")
    numbers = []
    for i in range(8):
        issue = forge.create_issue(f"w{worker}-{i}", "")
        forge.create_issue_comment(issue.number, f"from {worker}")
        forge.add_labels(1, [f"worker-{worker}"])
        numbers.append(issue.number)
    return numbers


def test_concurrent_processes_lose_no_update(local_forge: LocalForge, git_repo: Repo) -> None:
    import multiprocessing

    local_forge.open_issue("shared")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(_forge_worker, [(str(git_repo.path), w) for w in range(4)])
    numbers = [n for batch in results for n in batch]
    # Every process got its own issue numbers, and every read-modify-write of the shared issue survived.
    assert len(numbers) == len(set(numbers)) == 32
    assert sorted(i.number for i in local_forge.list_issues()) == list(range(1, 34))
    assert sorted(local_forge.get_issue(1).labels) == [f"worker-{w}" for w in range(4)]
    assert all(len(local_forge.list_issue_comments(n)) == 1 for n in numbers)


def test_uploading_a_missing_file_is_a_forge_error_and_changes_nothing(local_forge: LocalForge, tmp_path: Path) -> None:
    release, _ = upsert_release(local_forge, tag="v1.0.0", name="v1.0.0", body="a")
    with pytest.raises(ForgeError, match="no such file to upload"):
        local_forge.upload_asset(release.id, tmp_path / "gone.png")
    unchanged = local_forge.get_release_by_tag("v1.0.0")
    assert unchanged is not None and unchanged.assets == ()
