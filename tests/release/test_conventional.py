from __future__ import annotations

import pytest

from leadforge.release import conventional
from leadforge.release.settings import DEFAULT_PARSERS


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("feat: add x", ("feat", None, False, "add x")),
        ("fix(parser): y", ("fix", "parser", False, "y")),
        ("feat(api)!: rename", ("feat", "api", True, "rename")),
        ("feat!: drop", ("feat", None, True, "drop")),
        ("feat-x: hyphen type", ("feat-x", None, False, "hyphen type")),
        ("feat:nospace", ("feat", None, False, "nospace")),
        ("Feat: capital", ("Feat", None, False, "capital")),
        ("fix(scope with spaces): z", ("fix", "scope with spaces", False, "z")),
        ("feat(a)(b): nested", None),
        ("feat : space before colon", None),
        ("feat bar: space in type", None),
        ("feat(): empty scope", None),
        ("feat:   ", None),
        ("Merge pull request #1 from a/b", None),
        ('Revert "feat: x"', None),
        ("just words", None),
        ("", None),
    ],
)
def test_header_grammar_matches_the_spec_as_git_cliff_reads_it(message: str, expected: tuple | None) -> None:
    parsed = conventional.parse(message)
    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed.type, parsed.scope, parsed.breaking, parsed.description) == expected


def test_body_and_footers_are_split_at_the_first_footer_line() -> None:
    parsed = conventional.parse(
        "feat: x\n\nfirst paragraph\n\nsecond paragraph\n\nReviewed-by: Z\nRefs #133\n"
        "BREAKING CHANGE: the API\ncontinues here\nCo-authored-by: Grace <g@example.com>"
    )
    assert parsed is not None
    assert parsed.body == "first paragraph\n\nsecond paragraph"
    assert [(f.token, f.value) for f in parsed.footers] == [
        ("Reviewed-by", "Z"),
        ("Refs", "133"),
        ("BREAKING CHANGE", "the API\ncontinues here"),
        ("Co-authored-by", "Grace <g@example.com>"),
    ]
    assert parsed.breaking and parsed.breaking_description == "the API\ncontinues here"


@pytest.mark.parametrize("token", ["BREAKING CHANGE", "BREAKING-CHANGE"])
def test_both_breaking_footer_spellings_make_a_commit_breaking(token: str) -> None:
    parsed = conventional.parse(f"fix: y\n\n{token}: gone")
    assert parsed is not None and parsed.breaking and parsed.breaking_description == "gone"


def test_lowercase_breaking_footer_is_not_breaking() -> None:
    parsed = conventional.parse("fix: y\n\nbreaking change: gone")
    assert parsed is not None and not parsed.breaking


def test_bang_uses_the_description_as_breaking_text() -> None:
    parsed = conventional.parse("feat!: drop python 3.10")
    assert parsed is not None and parsed.breaking_description == "drop python 3.10"


@pytest.mark.parametrize(
    ("message", "group"),
    [
        ("feat: a", "feat"),
        ("fix: a", "fix"),
        ("docs: a", "docs"),
        ("doc: a", "docs"),
        ("perf: a", "perf"),
        ("refactor: a", "refactor"),
        ("style: a", "style"),
        ("test: a", "test"),
        ("chore(release): prepare for v1.0.0", conventional.SKIP),
        ("chore(deps): bump x", conventional.SKIP),
        ("chore(deps-dev): bump x", conventional.SKIP),
        ("chore(pr): x", conventional.SKIP),
        ("chore: tidy", "chore"),
        ("ci: tags", "chore"),
        ("build: x\n\nfixes a security problem", "security"),
        ("revert: x", "revert"),
        ("Feat: x", "other"),
        ("build: x", "other"),
    ],
)
def test_default_parsers_reproduce_the_git_cliff_preset(message: str, group: str) -> None:
    parsers = conventional.compile_parsers(DEFAULT_PARSERS)
    assert conventional.classify(message, conventional.parse(message), parsers) == group


def test_first_matching_parser_wins() -> None:
    from leadforge.release.settings import CommitParser

    parsers = conventional.compile_parsers(
        [CommitParser(message="^feat\\(internal\\)", skip=True), CommitParser(message="^feat", group="feat")]
    )
    assert conventional.classify("feat(internal): x", None, parsers) == conventional.SKIP
    assert conventional.classify("feat(ui): x", None, parsers) == "feat"


def test_issue_references_come_from_closing_footers() -> None:
    message = "fix: x\n\nbody mentions #99 in passing\n\nCloses #12\nFixes: #13\nRefs #12"
    assert conventional.issue_refs(message, conventional.parse(message)) == (12, 13)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("^feat", {"f"}),
        ("^chore|^ci", {"c"}),
        ("^chore\\(deps.*\\)", {"c"}),
        (".*", None),
        ("^f?x", None),
        ("^f*", None),
        ("^(feat|fix)", None),
        ("(?i)^feat", None),
        ("^[ab]", None),
        ("^x|y", None),
        ("feat", None),
    ],
)
def test_first_character_prefilter_is_conservative(pattern: str, expected: set[str] | None) -> None:
    found = conventional.first_chars(pattern)
    assert (set(found) if found is not None else None) == expected


def test_prefilter_never_changes_the_group() -> None:
    from leadforge.release.settings import CommitParser

    rules = [
        CommitParser(message="^f?ix", group="fix"),
        CommitParser(message="^feat|^ci", group="feat"),
        CommitParser(message="(?i)^docs", group="docs"),
        CommitParser(message=".*", group="other"),
    ]
    parsers = conventional.compile_parsers(rules)
    slow = tuple(conventional.Parser(p.message, p.body, p.footer, p.group, p.skip, None) for p in parsers)
    for message in ["ix: a", "fix: b", "feat: c", "ci: d", "DOCS: e", "Docs: f", "zzz", " feat: g", ""]:
        assert conventional.classify(message, None, parsers) == conventional.classify(message, None, slow), message
