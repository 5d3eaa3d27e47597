from __future__ import annotations

import functools
import threading
from pathlib import Path

import pytest

from leadforge.errors import GitError, PushRejected
from leadforge.gitrepo import GitRepo, branch_worktree, head_checkout
from tests.conftest import Repo, git


@pytest.fixture
def remote_and_clones(git_repo: Repo, tmp_path: Path) -> tuple[Path, GitRepo, GitRepo]:
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(git_repo.path), str(bare))
    clones = []
    for name in ("a", "b"):
        path = tmp_path / name
        git(tmp_path, "clone", "-q", str(bare), str(path))
        git(path, "config", "user.name", "Tester")
        git(path, "config", "user.email", "t@example.com")
        clones.append(GitRepo(path))
    return bare, clones[0], clones[1]


def _append_line(repo: GitRepo, name: str) -> str:
    log = repo.path / "log.txt"
    lines = log.read_text().splitlines() if log.exists() else []
    log.write_text("\n".join([*lines, name]) + "\n")
    repo.add(["log.txt"])
    return f"log: {name}"


def test_plain_push_to_a_moved_remote_is_rejected(remote_and_clones) -> None:
    _, a, b = remote_and_clones
    _append_line(a, "a")
    a.commit("a")
    a.push("origin", "HEAD:refs/heads/main")
    _append_line(b, "b")
    b.commit("b")
    with pytest.raises(PushRejected):
        b.push("origin", "HEAD:refs/heads/main")


def test_transact_redecides_on_the_new_head_after_rejection(remote_and_clones) -> None:
    bare, a, b = remote_and_clones
    calls: list[str] = []

    def apply_b() -> str:
        calls.append((b.path / "log.txt").read_text() if (b.path / "log.txt").exists() else "")
        return _append_line(b, "b")

    a.transact(lambda: _append_line(a, "a"), branch="main")
    b.transact(apply_b, branch="main", backoff=0)
    # First decision saw no log; the retry re-read the file at the new head and kept a's line.
    assert calls == ["", "a\n"]
    final = GitRepo(bare).out("show", "main:log.txt")
    assert final.splitlines() == ["a", "b"]
    # Never forced: a's commit is an ancestor of the final head.
    assert GitRepo(bare).out("rev-list", "--count", "main") == "3"


def test_transact_with_no_change_makes_no_commit(remote_and_clones) -> None:
    _, a, _ = remote_and_clones
    head = a.head()
    assert a.transact(lambda: None, branch="main") is None
    assert a.head() == head


def test_concurrent_transactions_lose_nothing(remote_and_clones, tmp_path: Path) -> None:
    bare, a, b = remote_and_clones
    errors: list[BaseException] = []

    def worker(repo: GitRepo, name: str) -> None:
        try:
            for i in range(5):
                repo.transact(functools.partial(_append_line, repo, f"{name}{i}"), branch="main", attempts=30, backoff=0.01)
        except BaseException as exc:  # noqa: BLE001 - whatever a thread raised, the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(a, "a")), threading.Thread(target=worker, args=(b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    lines = GitRepo(bare).out("show", "main:log.txt").splitlines()
    assert sorted(lines) == sorted([f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)])


def test_without_a_remote_transact_only_commits(git_repo: Repo) -> None:
    repo = GitRepo(git_repo.path)
    sha = repo.transact(lambda: _append_line(repo, "x"))
    assert sha == repo.head()


def test_unknown_ref_is_a_clear_error(git_repo: Repo) -> None:
    with pytest.raises(GitError, match="unknown git ref 'nope'"):
        GitRepo(git_repo.path).rev_parse("nope")


def test_tags_and_changed_files(git_repo: Repo) -> None:
    repo = GitRepo(git_repo.path)
    repo.tag("v1.0.0")
    repo.tag("v1.1.0", message="annotated")
    git_repo.commit("feat: a", {"src/a.py": "x = 1\n", "README.md": "changed\n"})
    git_repo.git("mv", "src/a.py", "src/b.py")
    git_repo.commit("refactor: rename")
    tags = {t.name: t for t in repo.tags("v*")}
    assert tags["v1.0.0"].annotated is False and tags["v1.1.0"].annotated is True
    assert tags["v1.0.0"].sha == tags["v1.1.0"].sha
    changes = {c.path: c.status for c in repo.changed_files("v1.0.0", "HEAD")}
    assert changes == {"README.md": "M", "src/b.py": "A"}
    assert "changed" in repo.diff("v1.0.0", "HEAD", ["README.md"])


def test_git_failure_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="git rev-parse"):
        GitRepo(tmp_path).head()


def test_transact_retry_keeps_uncommitted_edits_in_the_working_tree(remote_and_clones) -> None:
    bare, a, b = remote_and_clones
    a.transact(lambda: _append_line(a, "a"), branch="main")
    # b has an uncommitted edit in a tracked file the pipeline does not touch.
    readme = next(p for p in b.path.iterdir() if p.is_file())
    tracked = b.ls_files(readme.name)
    assert tracked, "the fixture repository has a tracked file"
    readme.write_text(readme.read_text() + "work in progress\n")

    sha = b.transact(lambda: _append_line(b, "b"), branch="main", backoff=0)

    assert GitRepo(bare).out("show", "main:log.txt").splitlines() == ["a", "b"]
    assert sha == GitRepo(bare).out("rev-parse", "main")
    assert readme.read_text().endswith("work in progress\n"), "the retry must not reset --hard over the user's edit"
    assert readme.name not in GitRepo(bare).out("show", "--name-only", "--format=", "main")


def test_transact_refuses_when_the_index_already_has_staged_changes(remote_and_clones) -> None:
    _, a, _ = remote_and_clones
    (a.path / "mine.txt").write_text("the user's own staged work\n")
    a.add(["mine.txt"])
    head = a.head()

    with pytest.raises(GitError, match="the index has staged changes"):
        a.transact(lambda: _append_line(a, "a"), branch="main")

    assert a.head() == head
    assert "mine.txt" in a.out("diff", "--cached", "--name-only"), "the user's staging is left as it was"


def test_transact_stops_when_the_remote_changed_a_file_with_uncommitted_edits(remote_and_clones) -> None:
    bare, a, b = remote_and_clones

    def write_shared(repo: GitRepo, text: str) -> str:
        (repo.path / "shared.txt").write_text(text)
        repo.add(["shared.txt"])
        return f"shared: {text.strip()}"

    a.transact(lambda: write_shared(a, "one\n"), branch="main")
    b.run("pull", "-q", "origin", "main")
    a.transact(lambda: write_shared(a, "two\n"), branch="main")  # the remote moves and changes shared.txt
    (b.path / "shared.txt").write_text("b's unsaved work\n")  # ... which b edits without committing

    with pytest.raises(GitError, match="uncommitted edits here; commit or stash them"):
        b.transact(lambda: _append_line(b, "b"), branch="main", backoff=0)

    assert (b.path / "shared.txt").read_text() == "b's unsaved work\n"
    assert GitRepo(bare).out("show", "main:shared.txt") == "two", "nothing forced over the remote"


def test_commits_fall_back_to_the_bot_identity_and_plumbing_takes_env_and_bytes(tmp_path: Path, monkeypatch) -> None:
    from leadforge.gitrepo import BOT_NAME, _subcommand

    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(key, raising=False)
    repo = GitRepo(tmp_path)
    repo.run("init", "-q", "-b", "main")
    (tmp_path / "a.txt").write_text("a\n")
    repo.add(["a.txt"])
    repo.commit("first")  # no identity configured: the bot's is used
    assert repo.out("log", "-1", "--format=%an") == BOT_NAME
    blob = repo.run("hash-object", "-w", "--stdin", input=b"\x00\xffbytes", text=False).stdout.decode().strip()
    assert repo.run("cat-file", "blob", blob, text=False).stdout == b"\x00\xffbytes"
    index = {"GIT_INDEX_FILE": str(tmp_path / "private-index")}
    repo.run("read-tree", "--empty", env=index)
    assert repo.run("ls-files", env=index).stdout == ""  # the private index is empty; the real one is not
    assert repo.ls_files() == ["a.txt"]
    assert [_subcommand(a) for a in (["-c", "x=y", "commit"], ["-C", "d", "log"], ["--no-pager", "tag"])] == [
        "commit",
        "log",
        "tag",
    ]


def test_head_checkout_is_the_repository_at_its_head_else_a_temporary_worktree(git_repo: Repo) -> None:
    first = git_repo.commit("feat: one", {"a.txt": "one\n"})
    second = git_repo.commit("feat: two", {"a.txt": "two\n"})
    with head_checkout(git_repo.path, second) as root:
        assert root == git_repo.path
    with head_checkout(git_repo.path, "") as root:
        assert root == git_repo.path
    with head_checkout(git_repo.path, first) as root:
        assert root != git_repo.path and (root / "a.txt").read_text() == "one\n"
    assert not root.exists()
    assert git_repo.git("worktree", "list").count("\n") == 0  # only the main worktree is left
    with pytest.raises(GitError, match="cannot check out the head 000000000000"), head_checkout(git_repo.path, "0" * 40):
        pass


def test_branch_worktree_builds_a_branch_beside_the_checkout(git_repo: Repo) -> None:
    git_repo.commit("feat: base", {"a.txt": "base\n"})
    repo = GitRepo(git_repo.path)
    with branch_worktree(repo, "deploy/dev", None) as tree:
        assert tree.path != git_repo.path and tree.ls_files() == []  # an orphan branch starts empty
        (tree.path / "manifests.yaml").write_text("kind: List\n")
        tree.add(all=True)
        tree.commit("deploy: dev")
    assert git_repo.git("show", "deploy/dev:manifests.yaml") == "kind: List"
    assert not tree.path.exists() and git_repo.git("rev-parse", "--abbrev-ref", "HEAD") == "main"
