"""The pure core over hand-made commit graphs (no git)."""

from __future__ import annotations

import pytest

from leadforge.release.changes import analyse, parse_skip_list
from leadforge.release.conventional import compile_parsers
from leadforge.release.gitlog import RawCommit, parse_record
from leadforge.release.settings import DEFAULT_PARSERS
from leadforge.semver import Version

PARSERS = compile_parsers(DEFAULT_PARSERS)


def raw(sha: str, message: str, *parents: str, author: str = "Ada") -> RawCommit:
    return RawCommit(
        sha=sha * 40 if len(sha) == 1 else sha,
        parents=tuple(p * 40 for p in parents),
        author=author,
        email=f"{author.lower()}@example.com",
        timestamp=0,
        message=message,
    )


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


# ---- what counts as a revert ------------------------------------------------------------------------------

SQUASH = (
    'feat(api): bulk import (#50)\n\n* feat(api): bulk import endpoint\n\n* Revert "feat: a"\n\n'
    "This reverts commit " + "a" * 40 + ".\n\n* fix(api): validate the payload"
)


def test_a_squash_merge_quoting_a_revert_among_other_commits_cancels_nothing() -> None:
    commits = [raw("s", SQUASH, "b"), raw("b", "fix: b", "a"), raw("a", "feat: a")]
    changes = analyse(commits, parsers=PARSERS)
    assert shas(changes) == ["a", "b", "s"] and changes.cancelled == ()
    assert changes.bump == "minor"


@pytest.mark.parametrize(
    "subject",
    [
        'Revert "feat: a"',
        'Reapply "feat: a"',
        "revert: feat a",
        "revert(api)!: a",
        'REVERT "feat: a" (#12)',
        "Revert the cache change",
    ],
)
def test_a_commit_whose_subject_is_a_revert_cancels_its_target(subject: str) -> None:
    commits = [raw("c", f"{subject}\n\nThis reverts commit {'a' * 12}.", "b"), raw("b", "fix: b", "a"), raw("a", "feat: a")]
    assert shas(analyse(commits, parsers=PARSERS)) == ["b"]


def test_a_commit_that_undoes_its_target_s_diff_cancels_it_without_saying_revert() -> None:
    message = "fix: back to the light theme (#51)\n\nThis reverts commit " + "a" * 40 + "."
    commits = [raw("c", message, "b"), raw("b", "fix: b", "a"), raw("a", "feat: a")]
    asked: list[tuple[str, str]] = []

    def undoes(commit: str, target: str) -> bool:
        asked.append((commit[0], target[0]))
        return True

    assert shas(analyse(commits, parsers=PARSERS, undoes=undoes)) == ["b"] and asked == [("c", "a")]
    assert shas(analyse(commits, parsers=PARSERS, undoes=lambda commit, target: False)) == ["a", "b", "c"]
    assert shas(analyse(commits, parsers=PARSERS)) == ["a", "b", "c"]  # no diff check available: nothing cancelled


def test_the_diff_is_only_checked_for_commits_that_quote_a_target_in_the_range() -> None:
    commits = [
        raw("c", SQUASH.replace("a" * 40, "9" * 40), "b"),
        raw("b", "fix: b", "a"),
        raw("a", "feat: a"),
        raw("m", "Merge branch 'x'\n\nThis reverts commit " + "a" * 40 + ".", "c", "b"),
    ]

    def never(commit: str, target: str) -> bool:
        raise AssertionError("no diff check for a target outside the range, nor for a merge")

    assert shas(analyse(commits[:3], parsers=PARSERS, undoes=never)) == ["a", "b", "c"]
    assert "a" in shas(analyse([commits[3], *commits[:3]], parsers=PARSERS, undoes=never))


def test_a_revert_of_several_commits_cancels_all_of_them() -> None:
    message = 'Revert "feat: a" and "fix: b"\n\nThis reverts commit ' + "a" * 40 + ".\nThis reverts commit " + "b" * 40 + "."
    commits = [raw("d", "fix: d", "c"), raw("c", message, "b"), raw("b", "fix: b", "a"), raw("a", "feat: a")]
    changes = analyse(commits, parsers=PARSERS)
    assert shas(changes) == ["d"] and sorted(t[0] for _, t in changes.cancelled) == ["a", "b"]


# ---- skip lists ------------------------------------------------------------------------------------------


def test_skip_lists_read_ids_comments_and_blank_lines_and_warn_about_the_rest() -> None:
    text = "# formatting\n\n" + "A" * 40 + "\n  bbbbbbb   # after the id, as git allows\nnot-a-sha\nabc\n" + "c" * 64 + "\n"
    ids, warnings = parse_skip_list(text, ".git-blame-ignore-revs")
    assert ids == {"a" * 40, "bbbbbbb", "c" * 64}
    assert warnings == (
        ".git-blame-ignore-revs:5: 'not-a-sha' is not a commit id (4 to 64 hex digits); line ignored",
        ".git-blame-ignore-revs:6: 'abc' is not a commit id (4 to 64 hex digits); line ignored",
    )


def test_listed_commits_are_left_out_entirely_even_from_the_bump() -> None:
    commits = [raw("c", "fix: c", "b"), raw("b", "feat!: not really breaking", "a"), raw("a", "feat: a")]
    changes = analyse(commits, parsers=PARSERS, current=Version(1, 0, 0), ignore={"b" * 40})
    assert shas(changes) == ["a", "c"] and changes.bump == "minor" and changes.ignored == ("b" * 40,)
    assert not changes.breaking


def test_an_abbreviated_id_skips_the_one_commit_it_names_and_an_ambiguous_one_skips_none() -> None:
    commits = [raw("ab" + "1" * 38, "fix: x"), raw("ab" + "2" * 38, "fix: y"), raw("cd" + "3" * 38, "fix: z")]
    assert [c.subject for c in analyse(commits, parsers=PARSERS, ignore={"cd33"}).commits] == ["y", "x"]
    assert [c.subject for c in analyse(commits, parsers=PARSERS, ignore={"ab11"}).commits] == ["z", "y"]
    assert len(analyse(commits, parsers=PARSERS, ignore={"abab", "ab"}).commits) == 3  # "ab" matches two; "abab" none


def test_an_ignored_revert_cancels_nothing_and_commits_touching_only_skip_lists_go() -> None:
    revert = 'Revert "feat: a"\n\nThis reverts commit ' + "a" * 40 + "."
    commits = [raw("d", "chore: list the reformat", "c"), raw("c", revert, "a"), raw("a", "feat: a")]
    changes = analyse(commits, parsers=PARSERS, ignore={"c" * 40}, touch_only={"d" * 40})
    assert shas(changes) == ["a"] and changes.cancelled == () and changes.ignored == ("d" * 40, "c" * 40)
