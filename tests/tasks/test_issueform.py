"""Issue-form parsing against the issue-ops parser's published cases, and the AI-task form to a task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from leadforge.tasks.issueform import (
    AI_TASK_FIELDS,
    FormField,
    parse_body,
    parse_template,
    read_form,
    reading_notes,
    render_form_body,
    sections,
    task_from_form,
)
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
        pairs = {
            "issue.md": "issue.md",
            "template.yml": ".github/ISSUE_TEMPLATE/template.yml",
            "parsed-issue.json": "parsed-issue-with-template.json",
            "parsed-issue-no-template.json": "parsed-issue-no-template.json",
        }
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
    body = render_form_body(
        {
            "description": "Paginate.\n\nWith care.",
            "type": "refactor",
            "priority": "P0 (highest)",
            "scope": "- `src/settings/**`\n* tests/test_settings.py\n",
            "depends_on": "#3, task-setup 7",
            "acceptance": "- [ ] 50 per page\n- [ ] next link",
            "agent": "claude",
            "estimate_hours": "2.5h",
        }
    )
    result = task_from_form(
        parse_body(body, AI_TASK_FIELDS),
        issue=12,
        title="[AI task]: Paginate settings",
        created="2026-01-01T00:00:00Z",
        agents=["claude"],
    )
    assert result.errors == ()
    task = result.task
    assert task is not None
    assert (task.id, task.title, task.type, task.priority, task.agent) == (
        "task-12",
        "Paginate settings",
        "refactor",
        "P0",
        "claude",
    )
    assert task.scope == ("src/settings/**", "tests/test_settings.py")
    assert task.depends_on == ("task-3", "task-setup", "task-7")
    assert task.acceptance == ("50 per page", "next link") and task.estimate_hours == 2.5
    assert task.body == "Paginate.\n\nWith care.\n"


def test_every_problem_is_named_by_its_field() -> None:
    body = render_form_body(
        {
            "description": "",
            "type": "",
            "priority": "",
            "scope": "/etc/**\n../up",
            "depends_on": "soon!",
            "acceptance": "",
            "agent": "robot",
            "estimate_hours": "lots",
        }
    )
    result = task_from_form(parse_body(body, AI_TASK_FIELDS), issue=4, title="", created="", agents=["claude"])
    assert result.task is None
    fields = sorted({e.split(":")[0] for e in result.errors})
    assert fields == [
        "Acceptance criteria",
        "Depends on",
        "Description",
        "Estimate (hours)",
        "Preferred agent",
        "Priority",
        "Scope",
        "Title",
        "Type",
    ]


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
    body = (
        "### Description\n\nFix it.\n\n### Type\n\nbug\n\n### Priority\n\nP0 (highest)\n\n### Scope\n\nsrc/a.py\n\n"
        "### Notes from the reporter\n\nnot a form field\n\n### Acceptance criteria\n\n- [ ] a passes\n"
    )
    result = task_from_form(parse_body(body, AI_TASK_FIELDS), issue=8, title="Fix", created="c")
    assert result.errors == ()
    task = result.task
    assert task is not None
    assert (task.scope, task.acceptance, task.agent, task.estimate_hours, task.depends_on) == (
        ("src/a.py",),
        ("a passes",),
        "auto",
        None,
        (),
    )
    assert "not a form field" not in task.body
    missing = task_from_form(parse_body("### Description\n\nFix it.\n", AI_TASK_FIELDS), issue=8, title="Fix", created="c")
    assert sorted(e.split(":")[0] for e in missing.errors) == ["Acceptance criteria", "Priority", "Scope", "Type"]


def test_very_long_answers_are_kept_whole() -> None:
    description = "\n".join(f"Paragraph {i}: " + "word " * 40 for i in range(2000))
    scope = "\n".join(f"src/module_{i}/**" for i in range(500))
    result = task_from_form(
        parse_body(render_form_body(_answers(description=description, scope=scope)), AI_TASK_FIELDS),
        issue=9,
        title="x" * 5000,
        created="c",
    )
    assert result.errors == () and result.task is not None
    assert result.task.body == description.rstrip() + "\n" and len(result.task.scope) == 500
    assert result.task.title == "x" * 5000


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("3", 3.0),
        ("2.5h", 2.5),
        ("4 hours", 4.0),
        ("1 hr", 1.0),
        (" 6 H ", 6.0),
        ("inf", None),
        ("1e400", None),
        ("nan", None),
        ("-1", None),
        ("1,5", None),
    ],
)
def test_estimate_accepts_hours_and_rejects_non_finite_numbers(text: str, hours: float | None) -> None:
    result = task_from_form(
        parse_body(render_form_body(_answers(estimate_hours=text)), AI_TASK_FIELDS), issue=2, title="x", created="c"
    )
    if hours is None:
        assert result.task is None and result.errors == (f"Estimate (hours): {text.strip()!r} is not a number of hours",)
    else:
        assert result.task is not None and result.task.estimate_hours == hours


@pytest.mark.parametrize(
    ("text", "depends"),
    [("#12 and #14", ("task-12", "task-14")), ("None", ()), ("#3; task-x & 4", ("task-3", "task-x", "task-4"))],
)
def test_depends_on_reads_numbers_and_ids_between_plain_connectors(text: str, depends: tuple[str, ...]) -> None:
    result = task_from_form(
        parse_body(render_form_body(_answers(depends_on=text)), AI_TASK_FIELDS), issue=2, title="x", created="c"
    )
    assert result.task is not None and result.task.depends_on == depends


# ---- Markdown structure: only a top-level ### heading starts a section --------------------------------


def _form(description: str, **override: str) -> str:
    return render_form_body(_answers(description=description, **override))


@pytest.mark.parametrize(
    "block",
    [
        "```\n### Type\nnot the next field\n```",
        '```markdown title="x.md"\n### Type\n```',
        "~~~\n### Scope\n~~~",
        "~~~~ shell {.lang}\n### Scope\n~~~~~~",  # info string with braces; the closing fence may be longer
        "   ```\n### Type\n   ```",  # fences may be indented up to 3 spaces
        "````\n```\n### Type\n```\n````",  # a shorter fence inside does not close the longer one
        "~~~\n```\n### Type\n~~~",  # nor does a fence of the other character
        "```\n### Type\n```   ",  # trailing spaces after the closing fence
        "<!--\n### Type\n-->",  # an HTML comment
        "<pre>\n\n### Type\n</pre>",  # <pre> runs to </pre>, blank lines and all
        "    ### Type",  # indented 4 spaces: code
        "> ### Type\n> quoted",  # a heading inside a quote is not a section
        "- ### Type",  # nor inside a list item
    ],
)
def test_a_heading_inside_a_code_or_html_block_stays_part_of_the_answer(block: str) -> None:
    description = f"Before the block.\n\n{block}\n\nAfter the block: still the description."
    reading = read_form(_form(description), AI_TASK_FIELDS)
    assert reading.answers["description"] == description
    assert reading.answers["type"] == ["bug"] and reading.answers["scope"] == "src/**"
    assert reading.missing == () and reading.answers.keys() == {"description", "type", "priority", "scope", "acceptance", "agent"}
    assert not reading.unmatched


@pytest.mark.parametrize(
    ("fence", "closing"),
    [("```", "``"), ("````", "```"), ("~~~", "```"), ("```", "``` not-a-close")],
)
def test_a_fence_closes_only_with_the_same_character_at_least_as_long_and_nothing_after(fence: str, closing: str) -> None:
    # CommonMark: an unclosed fence runs to the end of the document, so the fields after it are "not found"
    body = f"### Description\n\n{fence}\ncode\n{closing}\n\n### Type\n\nbug\n"
    reading = read_form(body, AI_TASK_FIELDS)
    assert "### Type" in reading.answers["description"] and "type" not in reading.answers
    assert "never closed" in reading.hidden["type"] and f"with {fence}" in reading.hidden["type"]


def test_headings_after_a_closed_fence_and_indented_up_to_three_spaces_still_start_sections() -> None:
    body = "### Description\n\nSee:\n```\n### Type\n```\n\n  ### Type\n\nbug\n\n### Scope ###\n\nsrc/**\n"
    reading = read_form(body, AI_TASK_FIELDS)
    assert reading.answers == {"description": "See:\n```\n### Type\n```", "type": ["bug"], "scope": "src/**"}


def test_a_task_keeps_a_description_with_a_markdown_example_whole() -> None:
    description = "Render headings like this:\n\n```md\n### Title\n\nText\n```\n\nand keep the rest of this paragraph."
    result = task_from_form(parse_body(_form(description), AI_TASK_FIELDS), issue=5, title="x", created="c")
    assert result.task is not None and result.task.body == description + "\n"


def test_an_unclosed_fence_is_explained_field_by_field() -> None:
    body = "### Description\n\nLook:\n\n~~~\n### Type\n\nbug\n\n### Priority\n\nP1 (high)\n"
    reading = read_form(body, AI_TASK_FIELDS)
    notes = reading_notes(reading, AI_TASK_FIELDS, kept=False)
    assert any(
        n.startswith("**Type**: not found") and "line 6" in n and "opened on line 5 with ~~~, which is never closed" in n
        for n in notes
    )
    assert any(n.startswith("**Priority**: not found") and "line 10" in n for n in notes)


# ---- labels that do not match the template -----------------------------------------------------------

RENAMED = (  # the shipped form after a maintainer reworded every label (ids unchanged)
    FormField("description", "What should change, and why?", "textarea", required=True),
    FormField("type", "Kind of work", "dropdown", required=True),
    FormField("priority", "Urgency", "dropdown", required=True),
    FormField("scope", "Files the task may change", "textarea", required=True),
    FormField("depends_on", "Blocked by", "input"),
    FormField("acceptance", "Definition of done", "textarea", required=True),
    FormField("agent", "Agent", "dropdown"),
    FormField("estimate_hours", "Hours", "input"),
)


def test_an_issue_opened_before_the_labels_were_renamed_still_reads_by_field_id() -> None:
    body = render_form_body(_answers(depends_on="#4", agent="claude", estimate_hours="2"))  # old labels
    reading = read_form(body, RENAMED)
    assert reading.missing == () and not reading.unmatched
    rules = {key: rule for key, _, rule in reading.matched}
    # Description, Type, Priority, Scope, Depends on: the heading is the id; Acceptance criteria, Preferred
    # agent, Estimate (hours): one word set holds the other, and nothing else competes for them
    assert rules == {
        "description": "normalised",
        "type": "normalised",
        "priority": "normalised",
        "scope": "normalised",
        "depends_on": "normalised",
        "acceptance": "words",
        "agent": "words",
        "estimate_hours": "normalised",
    }
    result = task_from_form(reading.answers, issue=3, title="x", created="c", agents=["claude"])
    assert result.errors == () and result.task is not None
    assert (result.task.depends_on, result.task.agent, result.task.estimate_hours) == (("task-4",), "claude", 2.0)


def test_labels_are_matched_ignoring_case_and_punctuation() -> None:
    body = "### description\n\nx\n\n### TYPE\n\nbug\n\n### Estimate hours\n\n3\n"
    assert read_form(body, AI_TASK_FIELDS).answers == {"description": "x", "type": ["bug"], "estimate_hours": "3"}


def test_an_ambiguous_heading_is_not_guessed() -> None:
    template = (FormField("repro", "Steps to reproduce", "textarea"), FormField("expected", "Expected steps", "textarea"))
    reading = read_form("### Steps\n\nclick\n", template)
    assert reading.answers == {} and reading.unmatched == {"steps": "click"}  # both fields have the word; kept, not guessed
    two = read_form("### Reproduce\n\na\n\n### Reproduce steps\n\nb\n", (FormField("repro", "Steps to reproduce", "textarea"),))
    assert two.answers == {} and two.unmatched == {"reproduce": "a", "reproduce_steps": "b"}


def test_a_heading_where_a_field_used_to_be_is_not_taken_for_it() -> None:
    fields = AI_TASK_FIELDS[:4]
    body = "### Description\n\nx\n\n### Type\n\nbug\n\n### Notes\n\nn\n\n### Scope\n\nsrc/**\n"
    assert read_form(body, (*fields[:2], FormField("priority", "Priority", "dropdown"), *fields[3:])).unmatched == {"notes": "n"}


def test_sections_that_are_no_field_are_kept_under_their_slugged_heading_and_never_lost() -> None:
    body = (
        "### Description\n\nFirst.\n\n### Description\n\nSecond copy.\n\n### Logs & output\n\n```\ntrace\n```\n\n"
        "### Nothing here\n\n_No response_\n\n### ???\n\nodd\n"
    )
    reading = read_form(body, AI_TASK_FIELDS)
    assert reading.answers["description"] == "First."
    assert reading.unmatched == {"description_2": "Second copy.", "logs_output": "```\ntrace\n```", "section": "odd"}
    assert reading.unmatched_headings["logs_output"] == "Logs & output"
    result = task_from_form({**_answers(), **reading.answers}, issue=2, title="x", created="c", sections=reading.unmatched)
    assert result.task is not None and result.task.extra == {"form_sections": dict(reading.unmatched)}
    notes = reading_notes(reading, AI_TASK_FIELDS, kept=True)
    assert "`### Logs & output` is not a field of the form; kept in the task file under `form_sections.logs_output`" in notes


def test_the_notes_name_every_field_not_found() -> None:
    reading = read_form("### Summary\n\nx\n\n### Type\n\nbug\n", AI_TASK_FIELDS)
    notes = reading_notes(reading, AI_TASK_FIELDS, kept=False)
    missing = [n.split("**")[1] for n in notes if "not found" in n]
    assert missing == [
        "Description",
        "Priority",
        "Scope",
        "Depends on",
        "Acceptance criteria",
        "Preferred agent",
        "Estimate (hours)",
    ]
    assert "`### Summary` is not a field of the form" in notes


# ---- checkboxes -------------------------------------------------------------------------------------------


def test_an_empty_checkbox_without_a_space_counts_as_unchecked() -> None:
    template = (FormField("terms", "Terms", "checkboxes", options=("A", "B", "C")),)
    terms = parse_body("### Terms\n\n- [x] A\n- [] B\n- [ ] C\n", template)["terms"]
    assert terms == {"selected": ["A"], "unselected": ["B", "C"]}
    result = task_from_form(
        parse_body(render_form_body(_answers(acceptance="- [] loads\n- [x] saves")), AI_TASK_FIELDS),
        issue=2,
        title="x",
        created="c",
    )
    assert result.task is not None and result.task.acceptance == ("loads", "saves")
