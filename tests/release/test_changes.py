"""The pure core over hand-made commit graphs (no git)."""

from __future__ import annotations

from leadforge.release.changes import analyse
from leadforge.release.conventional import compile_parsers
from leadforge.release.gitlog import RawCommit, parse_record
from leadforge.release.semver import Version
from leadforge.release.settings import DEFAULT_PARSERS

PARSERS = compile_parsers(DEFAULT_PARSERS)


def raw(sha: str, message: str, *parents: str, author: str = "Ada") -> RawCommit:
    return RawCommit(sha=sha * 40 if len(sha) == 1 else sha, parents=tuple(p * 40 for p in parents), author=author,
                     email=f"{author.lower()}@example.com", timestamp=0, message=message)


def shas(changes) -> list[str]:
    return [c.sha[0] for c in changes.commits]


def test_a_revert_cancels_its_target_inside_the_range() -> None:
    commits = [
        raw("c", 'Revert "feat: a"\n\nThis reverts commit ' + "a" * 40 + ".", "b"),
        raw("b", "fix: b", "a"),
        raw("a", "feat: a"),
    ]
    changes = analyse(commits, parsers=PARSERS)
    assert shas(changes) == ["b"]
    assert changes.cancelled == (("c" * 40, "a" * 40),)
    assert changes.bump == "patch"


def test_a_revert_of_a_revert_restores_the_change() -> None:
    commits = [
        raw("d", 'Revert "Revert "feat: a""\n\nThis reverts commit ' + "c" * 40 + ".", "c"),
        raw("c", 'Revert "feat: a"\n\nThis reverts commit ' + "a" * 40 + ".", "a"),
        raw("a", "feat: a"),
    ]
    assert shas(analyse(commits, parsers=PARSERS)) == ["a"]


def test_a_revert_of_a_revert_of_a_revert_removes_the_change_again() -> None:
    revert = 'Revert "x"\n\nThis reverts commit {}.'
    commits = [
        raw("e", revert.format("d" * 40), "d"),
        raw("d", revert.format("c" * 40), "c"),
        raw("c", revert.format("a" * 40), "b"),
        raw("b", "fix: b", "a"),
        raw("a", "feat: a"),
    ]
    changes = analyse(commits, parsers=PARSERS)
    assert shas(changes) == ["b"]  # a was reverted, restored, reverted: the net change is b only
    assert changes.bump == "patch"


def test_a_revert_of_a_commit_outside_the_range_stays() -> None:
    commits = [raw("c", "revert: old thing\n\nThis reverts commit 1234567.", "b"), raw("b", "fix: b")]
    changes = analyse(commits, parsers=PARSERS)
    assert shas(changes) == ["b", "c"]
    assert changes.commits[1].group == "revert"


def test_merge_commits_label_the_commits_they_bring_with_their_pr() -> None:
    # m (merge #7) <- x (main), f2 <- f1 (branch); squash s carries its own (#9)
    commits = [
        raw("s", "feat: squash (#9)", "m"),
        raw("m", "Merge pull request #7 from o/b", "x", "2"),
        raw("2", "fix: second", "1"),
        raw("1", "feat: first", "0"),
        raw("x", "chore: main work", "0"),
    ]
    changes = analyse(commits, parsers=PARSERS)
    by = {c.sha[0]: c for c in changes.commits}
    assert "m" not in by  # the plain merge itself is not listed
    assert (by["1"].pr, by["2"].pr, by["s"].pr, by["x"].pr) == (7, 7, 9, None)
    assert by["s"].subject == "squash"
    assert changes.prs == (7, 9)


def test_unconventional_commits_go_to_other_or_are_skipped() -> None:
    commits = [raw("b", "Update README", "a"), raw("a", "feat: a")]
    assert [c.group for c in analyse(commits, parsers=PARSERS).commits] == ["feat", "other"]
    skipped = analyse(commits, parsers=PARSERS, unconventional="skip")
    assert shas(skipped) == ["a"] and [c.sha[0] for c in skipped.skipped] == ["b"]


def test_skipped_commits_still_count_for_the_bump() -> None:
    commits = [raw("a", "chore(deps)!: drop old runtime")]
    changes = analyse(commits, parsers=PARSERS, current=Version(1, 0, 0))
    assert changes.commits == () and changes.bump == "major"


def test_co_authors_are_authors() -> None:
    commits = [raw("a", "feat: pair\n\nCo-authored-by: Claude <noreply@anthropic.com>\nCo-authored-by: Grace <g@x>")]
    commit = analyse(commits, parsers=PARSERS).commits[0]
    assert [p.name for p in commit.authors] == ["Ada", "Claude", "Grace"]


def test_records_with_bytes_that_are_not_utf8_and_huge_bodies_parse() -> None:
    body = b"x" * 200_000
    record = b"a" * 40 + b"\x1f\x1fN\xe9\x1fn@x\x1f0\x1ffeat: caf\xe9\n\n" + body + b"\n\nBREAKING CHANGE: kept\n"
    commit = parse_record(record, max_body=4096)
    assert commit.truncated and len(commit.message) < 5000
    assert commit.author == "N\ufffd" and commit.message.startswith("feat: caf\ufffd")
    changes = analyse([commit], parsers=PARSERS)
    assert changes.commits[0].breaking_description == "kept"
