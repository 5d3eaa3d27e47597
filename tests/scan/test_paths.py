import pytest

from leadforge.scan.paths import glob_match, matches_any


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("a/b/c.py", "**/*.py", True),
        ("c.py", "**/*.py", True),
        ("c.pyc", "**/*.py", False),
        ("app/Dockerfile", "Dockerfile", True),
        ("tests/unit/test_a.py", "tests/**", True),
        ("src/tests.py", "tests/**", False),
        ("k8s/a.yaml", "k8s/*.yaml", True),
        ("k8s/base/a.yaml", "k8s/*.yaml", False),
        ("./.github/workflows/ci.yml", ".github/workflows/*.yml", True),
        ("infra/x.tf", "*.tf", True),
        ("vendor/lib/x.js", "vendor/", True),
        ("a1.txt", "a[0-9].txt", True),
        ("ab.txt", "a[!b].txt", False),
    ],
)
def test_glob_match_follows_gitignore_style_globs(path: str, pattern: str, expected: bool) -> None:
    assert glob_match(path, pattern) is expected


def test_matches_any_is_false_for_no_patterns() -> None:
    assert not matches_any("a.py", [])
    assert matches_any("a.py", ["*.md", "*.py"])


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("a[].py", "a[].py", True),  # an empty bracket is literal text
        ("a[!].py", "a[!].py", True),
        ("a\\.py", "a[\\].py", True),  # a backslash inside a class is a backslash
        ("a[z-a].py", "a[z-a].py", True),  # not a valid class: the pattern matches itself
        ("ab.py", "a[z-a].py", False),
    ],
)
def test_odd_brackets_are_matched_literally_not_a_crash(path: str, pattern: str, expected: bool) -> None:
    assert glob_match(path, pattern) is expected
