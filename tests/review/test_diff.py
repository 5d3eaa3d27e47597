import pytest

from leadforge.errors import InputError
from leadforge.forge.models import ChangedFile
from leadforge.gitrepo import GitRepo
from leadforge.review.diff import added_ranges, file_diffs, format_ranges, parse_patch
from leadforge.review.gitdiff import changed_files, split_git_diff

PATCH = """@@ -1,3 +1,4 @@
 a
-b
+B
+C
 d
@@ -10,2 +11,3 @@ def x():
 q
+r
\\ No newline at end of file"""


def test_parse_patch_numbers_new_side_lines_and_hunks() -> None:
    added, context, hunks = parse_patch(PATCH)
    assert added == {2, 3, 12}
    assert context == {1, 4, 11}
    assert hunks == ((1, 4), (11, 12))


def test_parse_patch_rejects_text_that_is_not_a_diff() -> None:
    with pytest.raises(InputError, match=r"app\.py: not a unified diff"):
        parse_patch("hello\n@@ -1 +1 @@\n+x", path="app.py")


def test_file_diffs_handles_removed_binary_and_renamed_files() -> None:
    diffs = file_diffs(
        [
            ChangedFile("gone.py", "removed", deletions=2, patch="@@ -1,2 +0,0 @@\n-a\n-b"),
            ChangedFile("logo.png", "modified", patch=None),
            ChangedFile("new/name.py", "renamed", patch=None, previous_path="old/name.py"),
            ChangedFile("x.py", "added", additions=1, patch="@@ -0,0 +1 @@\n+x"),
        ]
    )
    assert diffs["gone.py"].removed and not diffs["gone.py"].added
    assert diffs["logo.png"].binary and diffs["new/name.py"].binary
    assert diffs["new/name.py"].previous_path == "old/name.py"
    assert diffs["x.py"].added == {1}


def test_ranges_fold_consecutive_lines() -> None:
    assert added_ranges([7, 1, 2, 3, 9, 8]) == [(1, 3), (7, 9)]
    assert format_ranges([(1, 3), (7, 7)]) == "1-3, 7"


def test_changed_files_from_real_git_match_what_github_lists(git_repo) -> None:
    git_repo.commit(
        "base",
        {"keep.txt": "a\nb\nc\n", "gone.txt": "x\n", "moved.txt": "".join(f"{n}\n" for n in range(1, 21)), "bin.dat": "\x00\x01"},
    )
    base = git_repo.git("rev-parse", "HEAD")
    git_repo.git("rm", "-q", "gone.txt")
    git_repo.git("mv", "moved.txt", "renamed.txt")
    (git_repo.path / "renamed.txt").write_text("".join(f"{n}\n" for n in range(1, 22)))
    head = git_repo.commit("change", {"keep.txt": "a\nB\nc\nd\n", "bin.dat": "\x00\x02", "with space.txt": "new\n"})
    files = {f.path: f for f in changed_files(GitRepo(git_repo.path), base, head)}
    assert set(files) == {"bin.dat", "gone.txt", "keep.txt", "renamed.txt", "with space.txt"}
    assert files["bin.dat"].patch is None and files["bin.dat"].status == "modified"
    assert files["gone.txt"].status == "removed"
    assert (files["keep.txt"].additions, files["keep.txt"].deletions) == (2, 1)
    assert files["renamed.txt"].status == "renamed" and files["renamed.txt"].previous_path == "moved.txt"
    assert files["with space.txt"].status == "added"
    assert file_diffs(files.values())["renamed.txt"].added == {21}


def test_split_git_diff_reads_a_pure_rename_without_hunks() -> None:
    text = "diff --git a/a.py b/b.py\nsimilarity index 100%\nrename from a.py\nrename to b.py\n"
    (only,) = split_git_diff(text)
    assert (only.path, only.status, only.previous_path, only.patch) == ("b.py", "renamed", "a.py", None)


def test_parse_patch_keeps_form_feeds_and_line_separators_inside_lines() -> None:
    # str.splitlines would break "+\x0c" and "+s = 'a\u2028b'" in two, shifting every later line
    added, context, hunks = parse_patch("@@ -1 +1,4 @@\n a\n+\x0c\n+s = 'a\u2028b'\n+c = 1")
    assert added == {2, 3, 4}
    assert context == {1}
    assert hunks == ((1, 4),)


def test_changed_files_line_numbers_survive_a_form_feed_line(git_repo) -> None:
    base = git_repo.commit("base", {"m.py": "a = 1\n"})
    head = git_repo.commit("change", {"m.py": "a = 1\n\x0c\nb = 2\nc = 3\n", "n é.py": "x = '\u2028'\ny = 2\n"})
    files = {f.path: f for f in changed_files(GitRepo(git_repo.path), base, head)}
    assert files["m.py"].additions == 3
    diffs = file_diffs(files.values())
    # an independent count: the new file's lines 2..4 are the added ones
    assert diffs["m.py"].added == {2, 3, 4} and diffs["m.py"].context == {1}
    assert diffs["n é.py"].added == {1, 2}


def test_changed_files_ignore_the_users_diff_prefix_settings(git_repo) -> None:
    base = git_repo.commit("base", {"keep.txt": "a\n"})
    head = git_repo.commit("change", {"pkg/ü.py": "x = 1\n", "pkg/bin é.dat": "\x00\x01", "keep.txt": "b\n"})
    git_repo.git("config", "diff.noprefix", "true")
    paths = sorted(f.path for f in changed_files(GitRepo(git_repo.path), base, head))
    assert paths == ["keep.txt", "pkg/bin é.dat", "pkg/ü.py"]


def test_a_binary_file_with_and_in_its_name_keeps_its_path(git_repo) -> None:
    # "Binary files a/x and y.bin and b/x and y.bin differ" cannot be split on " and "
    base = git_repo.commit("base", {"x and y.bin": "\x00\x01"})
    head = git_repo.commit("change", {"x and y.bin": "\x00\x02", "new and old.bin": "\x00\x03"})
    files = {f.path: f for f in changed_files(GitRepo(git_repo.path), base, head)}
    assert {p: (f.status, f.patch) for p, f in files.items()} == {
        "x and y.bin": ("modified", None),
        "new and old.bin": ("added", None),
    }
