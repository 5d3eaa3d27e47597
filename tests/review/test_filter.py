import pytest

from leadforge.findings import Finding
from leadforge.forge.models import ChangedFile
from leadforge.review.diff import file_diffs
from leadforge.review.filter import place, place_of

DIFFS = file_diffs(
    [
        # new side: 1 ctx, 2-3 added, 4 ctx | 11 ctx, 12 added, 13 ctx
        ChangedFile("a.py", "modified", patch="@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n d\n@@ -10,2 +11,3 @@\n q\n+r\n s"),
        ChangedFile("gone.py", "removed", patch="@@ -1 +0,0 @@\n-x"),
    ]
)


def f(path: str = "a.py", line: int = 0, end: int = 0, severity: str = "error") -> Finding:
    return Finding("semgrep", f"r{line}", severity, path, line, end, "m")


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        (f(line=2), "added"),
        (f(line=1, end=2), "added"),  # a range touching an added line
        (f(line=4), "context"),
        (f(line=7), "file"),
        (f(line=0), "file"),
        (f(path="other.py", line=2), "elsewhere"),
        (f(path="gone.py", line=1), "elsewhere"),
        (f(path=""), "pr"),
    ],
)
def test_place_of(finding: Finding, expected: str) -> None:
    assert place_of(finding, DIFFS) == expected


@pytest.mark.parametrize(
    ("mode", "in_diff"),
    [
        ("added", {"added", "pr", "whole-file"}),
        ("diff_context", {"added", "context", "pr", "whole-file"}),
        ("file", {"added", "context", "file", "pr", "whole-file"}),
        ("nofilter", {"added", "context", "file", "elsewhere", "pr", "whole-file"}),
    ],
)
def test_modes_decide_what_counts_and_never_drop_anything(mode: str, in_diff: set[str]) -> None:
    findings = {
        "added": f(line=3),
        "context": f(line=11),
        "file": f(line=8),
        "elsewhere": f(path="z.py", line=1),
        "pr": f(path=""),
        "whole-file": f(line=0),
    }
    placed = place(findings.values(), DIFFS, mode)
    assert len(placed) == len(findings)
    got = {name for name, p in zip(findings, placed, strict=True) if p.in_diff}
    assert got == in_diff


def test_anchor_is_inside_one_hunk_and_only_on_added_lines_in_added_mode() -> None:
    (p,) = place([f(line=1, end=4)], DIFFS, "added")
    assert p.anchor == (2, 3)
    (q,) = place([f(line=1, end=4)], DIFFS, "diff_context")
    assert q.anchor == (1, 4)
    (r,) = place([f(line=3, end=12)], DIFFS, "diff_context")
    assert r.anchor == (3, 4)  # stops at the end of the first hunk
    (s,) = place([f(line=11)], DIFFS, "added")
    assert s.anchor is None and not s.in_diff
    (t,) = place([f(line=8)], DIFFS, "file")
    assert t.in_diff and t.anchor is None  # counts, but GitHub cannot take a comment there


def test_unknown_mode_is_an_error() -> None:
    with pytest.raises(ValueError, match="filter mode"):
        place([], DIFFS, "everything")
