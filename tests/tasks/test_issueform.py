"""Issue-form parsing against the issue-ops parser's published cases, and the AI-task form to a task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from leadforge.tasks.issueform import AI_TASK_FIELDS, parse_body, parse_template, render_form_body, sections, task_from_form
from tests.conftest import shared_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "issue-forms"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("case", CASES)
def test_parse_matches_the_published_expected_output(case: str) -> None:
    folder = FIXTURES / case
    fields = parse_template(yaml.safe_load((folder / "template.yml").read_text()))
    body = (folder / "issue.md").read_text()
    assert parse_body(body, fields) == json.loads((folder / "parsed-issue.json").read_text())
    no_template = folder / "parsed-issue-no-template.json"
    if no_template.exists():
        assert parse_body(body) == json.loads(no_template.read_text())


@pytest.mark.parametrize("case", CASES)
def test_fixtures_still_match_their_source(case: str) -> None:
    source = shared_path("issue-forms", "parser-cases", case)
    pairs = {"issue.md": "issue.md", "template.yml": "template.yml", "parsed-issue.json": "parsed-issue.json"}
    if case == "example":
        pairs = {"issue.md": "issue.md", "template.yml": ".github/ISSUE_TEMPLATE/template.yml",
                 "parsed-issue.json": "parsed-issue-with-template.json",
                 "parsed-issue-no-template.json": "parsed-issue-no-template.json"}
    for mine, theirs in pairs.items():
        assert (FIXTURES / case / mine).read_bytes() == (source / theirs).read_bytes(), (case, mine)


def test_the_shipped_form_has_the_fields_intake_reads() -> None:
    fields = parse_template(yaml.safe_load((ROOT / ".github/ISSUE_TEMPLATE/ai-task.yml").read_text()))
    assert [(f.key, f.label, f.type) for f in fields] == [(f.key, f.label, f.type) for f in AI_TASK_FIELDS]
    types = next(f for f in fields if f.key == "type").options
    assert set(types) == {"feature", "bug", "refactor", "docs", "test", "chore", "security"}


def test_sections_ignore_text_before_the_first_heading_and_empty_headings() -> None:
    assert sections("intro\n### A\n\nx\n###\n\njunk\n### B\ny") == [("A", "x"), ("B", "y")]


def test_a_full_form_becomes_a_task() -> None:
    body = render_form_body({
        "description": "Paginate.\n\nWith care.", "type": "refactor", "priority": "P0 (highest)",
        "scope": "- `src/settings/**`\n* tests/test_settings.py\n", "depends_on": "#3, task-setup 7",
        "acceptance": "- [ ] 50 per page\n- [ ] next link", "agent": "claude", "estimate_hours": "2.5h",
    })
    result = task_from_form(parse_body(body, AI_TASK_FIELDS), issue=12, title="[AI task]: Paginate settings",
                            created="2026-01-01T00:00:00Z", agents=["claude"])
    assert result.errors == ()
    task = result.task
    assert task is not None
    assert (task.id, task.title, task.type, task.priority, task.agent) == ("task-12", "Paginate settings", "refactor", "P0", "claude")
    assert task.scope == ("src/settings/**", "tests/test_settings.py")
    assert task.depends_on == ("task-3", "task-setup", "task-7")
    assert task.acceptance == ("50 per page", "next link") and task.estimate_hours == 2.5
    assert task.body == "Paginate.\n\nWith care.\n"


def test_every_problem_is_named_by_its_field() -> None:
    body = render_form_body({"description": "", "type": "", "priority": "", "scope": "/etc/**\n../up",
                             "depends_on": "soon!", "acceptance": "", "agent": "robot", "estimate_hours": "lots"})
    result = task_from_form(parse_body(body, AI_TASK_FIELDS), issue=4, title="", created="", agents=["claude"])
    assert result.task is None
    fields = sorted({e.split(":")[0] for e in result.errors})
    assert fields == ["Acceptance criteria", "Depends on", "Description", "Estimate (hours)", "Preferred agent",
                      "Priority", "Scope", "Title", "Type"]


def _answers(**override: str) -> dict[str, str]:
    base = {"description": "Do it.", "type": "bug", "priority": "P1 (high)", "scope": "src/**", "acceptance": "- works"}
    base.update(override)
    return base


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings_parse_like_unix_ones(newline: str) -> None:
    body = render_form_body(_answers(description="Line one.\n\nLine two.", acceptance="- a\n- b"))
    unix = task_from_form(parse_body(body, AI_TASK_FIELDS), issue=3, title="x", created="c")
    other = task_from_form(parse_body(body.replace("\n", newline), AI_TASK_FIELDS), issue=3, title="x", created="c")
    assert unix.errors == () and other.errors == ()
    assert other.task == unix.task
    assert other.task is not None and other.task.acceptance == ("a", "b") and other.task.body == "Line one.\n\nLine two.\n"


def test_a_real_form_with_extra_and_missing_sections() -> None:
    # GitHub's rendering of the form with the optional sections removed by an edit and a section the form never had
    body = ("### Description\n\nFix it.\n\n### Type\n\nbug\n\n### Priority\n\nP0 (highest)\n\n### Scope\n\nsrc/a.py\n\n"
            "### Notes from the reporter\n\nnot a form field\n\n### Acceptance criteria\n\n- [ ] a passes\n")
    result = task_from_form(parse_body(body, AI_TASK_FIELDS), issue=8, title="Fix", created="c")
    assert result.errors == ()
    task = result.task
    assert task is not None
    assert (task.scope, task.acceptance, task.agent, task.estimate_hours, task.depends_on) == (("src/a.py",), ("a passes",), "auto", None, ())
    assert "not a form field" not in task.body
    missing = task_from_form(parse_body("### Description\n\nFix it.\n", AI_TASK_FIELDS), issue=8, title="Fix", created="c")
    assert sorted(e.split(":")[0] for e in missing.errors) == ["Acceptance criteria", "Priority", "Scope", "Type"]


def test_very_long_answers_are_kept_whole() -> None:
    description = "\n".join(f"Paragraph {i}: " + "word " * 40 for i in range(2000))
    scope = "\n".join(f"src/module_{i}/**" for i in range(500))
    result = task_from_form(parse_body(render_form_body(_answers(description=description, scope=scope)), AI_TASK_FIELDS),
                            issue=9, title="x" * 5000, created="c")
    assert result.errors == () and result.task is not None
    assert result.task.body == description.rstrip() + "\n" and len(result.task.scope) == 500
    assert result.task.title == "x" * 5000


@pytest.mark.parametrize(("text", "hours"), [("3", 3.0), ("2.5h", 2.5), ("4 hours", 4.0), ("1 hr", 1.0), (" 6 H ", 6.0),
                                            ("inf", None), ("1e400", None), ("nan", None), ("-1", None), ("1,5", None)])
def test_estimate_accepts_hours_and_rejects_non_finite_numbers(text: str, hours: float | None) -> None:
    result = task_from_form(parse_body(render_form_body(_answers(estimate_hours=text)), AI_TASK_FIELDS), issue=2,
                            title="x", created="c")
    if hours is None:
        assert result.task is None and result.errors == (f"Estimate (hours): {text.strip()!r} is not a number of hours",)
    else:
        assert result.task is not None and result.task.estimate_hours == hours


@pytest.mark.parametrize(("text", "depends"), [("#12 and #14", ("task-12", "task-14")), ("None", ()), ("#3; task-x & 4", ("task-3", "task-x", "task-4"))])
def test_depends_on_reads_numbers_and_ids_between_plain_connectors(text: str, depends: tuple[str, ...]) -> None:
    result = task_from_form(parse_body(render_form_body(_answers(depends_on=text)), AI_TASK_FIELDS), issue=2, title="x", created="c")
    assert result.task is not None and result.task.depends_on == depends
