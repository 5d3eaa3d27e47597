import pytest

from leadforge.forge.models import ChangedFile
from leadforge.review.criteria import PullInfo, check, title_problem
from leadforge.review.settings import CriteriaSettings


def files(*specs: tuple[str, int]) -> tuple[ChangedFile, ...]:
    return tuple(ChangedFile(path, "modified", additions=n, deletions=0, patch="") for path, n in specs)


def rules(findings) -> list[str]:
    return sorted(f.rule for f in findings)


def test_a_tidy_pull_request_passes() -> None:
    pull = PullInfo(
        "feat(review): one summary",
        "## Summary\nx\n## Testing\ny",
        files(("scripts/leadforge/a.py", 10), ("tests/review/test_a.py", 5)),
    )
    settings = CriteriaSettings(required_sections=["## Summary", "## Testing"])
    assert check(pull, settings) == []


def test_size_limits() -> None:
    pull = PullInfo("fix: x", "", files(("a.md", 500), ("b.md", 400)))
    found = check(pull, CriteriaSettings(max_changed_lines=800, max_changed_files=1))
    assert rules(found) == ["max-pr-files", "max-pr-size"]
    assert "900 lines" in next(f for f in found if f.rule == "max-pr-size").message
    assert check(pull, CriteriaSettings(max_changed_lines=0, max_changed_files=0)) == []


def test_source_changes_need_a_test_change() -> None:
    pull = PullInfo("fix: x", "", files(("scripts/leadforge/a.py", 3)))
    (finding,) = check(pull, CriteriaSettings())
    assert finding.rule == "tests-required" and "scripts/leadforge/a.py" in finding.message
    removed_only = PullInfo("fix: x", "", (ChangedFile("scripts/leadforge/a.py", "removed", deletions=3),))
    assert check(removed_only, CriteriaSettings()) == []


def test_forbidden_paths_name_the_file_and_also_catch_renames() -> None:
    pull = PullInfo(
        "chore: x",
        "",
        (ChangedFile("docs/x.md", "renamed", previous_path="vendor/x.md"), ChangedFile("vendor/lib.js", "modified")),
    )
    found = check(pull, CriteriaSettings(forbidden_paths=["vendor/**"]))
    assert [(f.rule, f.path) for f in found] == [("forbidden-path", "docs/x.md"), ("forbidden-path", "vendor/lib.js")]


def test_required_sections_are_matched_by_heading_line() -> None:
    pull = PullInfo("fix: x", "## summary:\nthis mentions ## Testing inline", ())
    (finding,) = check(pull, CriteriaSettings(required_sections=["## Summary", "## Testing"]))
    assert finding.rule == "required-sections"
    assert "`## Testing`" in finding.message and "`## Summary`" not in finding.message


@pytest.mark.parametrize(
    ("title", "ok"),
    [
        ("feat: add x", True),
        ("fix(review)!: break y", True),
        ("chore(deps): bump", True),
        ("Add x", False),
        ("feat:missing space", False),
        ("feature: add x", False),
        ("feat(): empty scope", False),
    ],
)
def test_conventional_title(title: str, ok: bool) -> None:
    assert (title_problem(title, CriteriaSettings().title_types) == "") is ok


def test_title_and_body_rules_skip_a_plain_git_range() -> None:
    pull = PullInfo("", "", (), is_pull=False)
    assert check(pull, CriteriaSettings(required_sections=["## Summary"])) == []
