"""Scope globs: coverage, overlap (containment for paths, intersection for globs), inclusion, the index."""

from __future__ import annotations

import pytest

from leadforge.tasks.scopes import ScopeIndex, TrackedFiles, covers, includes, parse_scope, scopes_meet


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("src/api/**", "src/api/v1/x.py", True),
        ("src/api", "src/api/v1/x.py", True),  # a plain path covers what is inside it
        ("src/api", "src/apix/y.py", False),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("**/*.md", "docs/a/b.md", True),
        ("**/*.md", "README.md", True),
        ("*.md", "docs/a.md", False),  # relative to the root, not "anywhere"
        ("docs/[ab]*.md", "docs/b1.md", True),
        ("docs/[!ab]*.md", "docs/b1.md", False),
        ("", "anything/at/all", True),
        ("./src//api/", "src/api/x", True),
    ],
)
def test_covers(glob: str, path: str, expected: bool) -> None:
    assert covers(glob, path) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("src/**", "src/api/x.py", True),  # containment
        ("src/api/**", "src/api/**", True),
        ("src/api/**", "src/apis/**", False),  # a shared string prefix is not containment
        ("src/api", "src/api/v1/**", True),
        ("docs/a.md", "docs/b.md", False),
        ("src/*.py", "src/*.md", False),  # shown apart: no name ends in both
        ("src/*_test.py", "src/api_*", True),  # src/api_test.py would match both
        ("src/*.py", "src/new.py", True),
        ("src/*.py", "lib/*.py", False),
        ("**/*.md", "docs/guide/**", True),
        ("docs/**/*.md", "src/**", False),
        ("src/[ab]*.py", "src/c*.py", False),
        ("src/[!c]*.py", "src/c*.py", False),  # a negated class against a literal is exact
        ("src/[!a-z]*.py", "src/[a-z]*.py", True),  # two classes, one negated: not shown apart, so overlap
        ("src/?.py", "src/ab.py", False),
        ("", "whatever/**", True),
    ],
)
def test_overlap_is_symmetric_and_follows_the_rules(a: str, b: str, expected: bool) -> None:
    assert scopes_meet(a, b) is expected
    assert scopes_meet(b, a) is expected


def test_parse_scope_splits_the_fixed_prefix() -> None:
    scope = parse_scope("src/api/*/x/**")
    assert scope.prefix == ("src", "api")
    assert not scope.pathlike
    assert parse_scope("src/api/**").pathlike and parse_scope("src/api/x.py").pathlike


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("src/**", "src/api/*.py", True),
        ("src/**", "lib/x.py", False),
        ("**/*.md", "docs/a.md", True),
        ("docs/*", "docs/x/**", True),
        ("src/*.py", "src/**", False),
        ("", "anything/**", True),
    ],
)
def test_includes_is_sound(outer: str, inner: str, expected: bool) -> None:
    assert includes(outer, inner) is expected


def test_index_finds_ancestors_descendants_and_glob_overlaps_only() -> None:
    index = ScopeIndex()
    index.add("src/api/**", "t1")
    index.add("src/web/*.ts", "t2")
    index.add("docs/guide.md", "t3")
    assert {o for _, o in index.conflicts("src/**")} == {"t1", "t2"}
    assert {o for _, o in index.conflicts("src/api/v1/x.py")} == {"t1"}
    assert index.conflicts("src/web/*.css") == []
    assert {o for _, o in index.conflicts("src/web/app.ts")} == {"t2"}
    assert index.conflicts("docs/other.md") == []
    assert {o for _, o in index.conflicts("")} == {"t1", "t2", "t3"}


def test_index_agrees_with_pairwise_overlap() -> None:
    globs = [
        "src/**",
        "src/a/**",
        "src/a/x.py",
        "src/*.py",
        "src/a/*.md",
        "docs/**/*.md",
        "docs/x.md",
        "**/*.py",
        "lib/[ab]*/**",
        "lib/c/**",
        "tests/test_*.py",
        "tests/unit/**",
    ]
    for i, active in enumerate(globs):
        index = ScopeIndex()
        index.add(active, "other")
        for query in globs:
            assert bool(index.conflicts(query)) == scopes_meet(query, active), (query, active, i)


def test_tracked_witness_names_a_file_both_cover() -> None:
    tracked = TrackedFiles(["docs/a.md", "docs/guide/b.md", "src/api_test.py", "src/api_v1.py"])
    assert tracked.witness("src/*_test.py", "src/api_*") == "src/api_test.py"
    assert tracked.witness("**/*.md", "docs/guide/**") == "docs/guide/b.md"
    assert tracked.witness("src/*.py", "docs/**") is None
    assert tracked.under("src") == ["src/api_test.py", "src/api_v1.py"]
