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
