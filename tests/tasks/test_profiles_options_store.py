"""Agent profiles, the tasks: config section (fast reader == pydantic model), and the queue store."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadforge.errors import ConfigError, InputError
from leadforge.tasks.options import SPEC, TaskOptions, load_options, options_from_mapping
from leadforge.tasks.profiles import load_profiles, profile_from_mapping, render_template
from leadforge.tasks.store import load_queue, move_task, render_index
from leadforge.tasks.taskfile import Task
from tests.tasks.conftest import add_task

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_profiles_load_and_cover_the_four_agents() -> None:
    profiles = {p.name: p for p in load_profiles(ROOT)}
    assert set(profiles) >= {"copilot", "claude", "openhands", "human"}
    assert profiles["copilot"].handoff.kind == "assign" and profiles["copilot"].handoff.value == "Copilot"
    assert profiles["claude"].handoff.kind == "comment" and "@claude" in profiles["claude"].handoff.value
    assert profiles["openhands"].handoff.kind == "label"
    assert profiles["human"].weight == min(p.weight for p in profiles.values())
    assert profiles["claude"].station is not None and profiles["claude"].station.memory == "4Gi"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x"}, "'handoff' is required"),
        ({"name": "x", "handoff": {"assign": "a", "label": "b"}}, "exactly one of"),
        ({"name": "x", "handoff": {"email": "a"}}, "exactly one of"),
        ({"name": "x", "handoff": {"label": "l"}, "capacity": -1}, "'capacity'"),
        ({"name": "x", "handoff": {"label": "l"}, "takes": {"types": ["poetry"]}}, "'takes.types'"),
        ({"name": "x", "handoff": {"label": "l"}, "colour": "red"}, "'colour': unknown key"),
        ({"name": "x", "handoff": {"label": "l"}, "station": {"gpu": 1}}, "'station.gpu'"),
        ({"name": "x", "handoff": {"workflow": {"file": "a.yml", "inputs": {"t": ["x"]}}}}, "'handoff.workflow.inputs'"),
        ({"name": "Bad Name", "handoff": {"label": "l"}}, "'name'"),
    ],
)
def test_bad_profiles_name_the_file_and_key(data: dict, message: str) -> None:
    with pytest.raises(InputError) as err:
        profile_from_mapping(data, "profiles/x.yml")
    assert "profiles/x.yml" in str(err.value) and message in str(err.value)


def test_workflow_handoff_and_templates() -> None:
    profile = profile_from_mapping(
        {"name": "bot", "handoff": {"workflow": {"file": "agent.yml", "inputs": {"task": "{id}"}}}}, "p"
    )
    assert profile.handoff.kind == "workflow" and profile.handoff.inputs == {"task": "{id}"}
    assert (
        render_template("{id} on {branch} {unknown} {0.__class__}", {"id": "t-1", "branch": "b"})
        == "t-1 on b {unknown} {0.__class__}"
    )


def test_fast_options_reader_matches_the_pydantic_model() -> None:
    from leadforge.tasks.settings import TasksSettings

    model = TasksSettings()
    fast = TaskOptions()
    for key, (_kind, default, _description) in SPEC.items():
        value = getattr(model, key)
        assert (list(value) if isinstance(value, list) else value) == (list(default) if isinstance(default, list) else default)
        assert (list(getattr(fast, key)) if isinstance(getattr(fast, key), tuple) else getattr(fast, key)) == value
    assert set(TasksSettings.model_fields) == set(SPEC)
    assert options_from_mapping({"stale_after_hours": 5, "required_checks": ["ci"]}).required_checks == ("ci",)
    with pytest.raises(ConfigError, match=r"tasks\.stale_after: unknown key"):
        options_from_mapping({"stale_after": 5})
    with pytest.raises(ConfigError, match=r"tasks\.required_checks: expected a list of strings"):
        options_from_mapping({"required_checks": "ci"})
    with pytest.raises(ConfigError, match=r"tasks\.min_permission: expected one of none, read, triage"):
        options_from_mapping({"min_permission": "owner"})
    with pytest.raises(Exception, match="min_permission"):
        TasksSettings.model_validate({"min_permission": "owner"})


def test_options_come_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/leadforge.yml").write_text("version: 1\ndefault_branch: trunk\ntasks:\n  branch_prefix: agents/\n")
    opts = load_options(tmp_path)
    assert (opts.branch_prefix, opts.default_branch) == ("agents/", "trunk")


def test_an_interrupted_move_is_repaired_on_load_and_bad_files_are_reported(tmp_path: Path) -> None:
    old = add_task(tmp_path, "task-1", scope=("a/**",))
    new = old.with_event("assigned", at="2026-01-02T00:00:00Z", by="t", state="in-progress", assigned_to="x")
    (tmp_path / "docs/TASKS/queue/in-progress").mkdir(parents=True)
    from leadforge.tasks.store import write_task

    write_task(tmp_path, new)  # the new copy exists, the old one was not removed yet
    (tmp_path / "docs/TASKS/queue/pending/oops.md").write_text("---\nid: oops\ntitle: t\ndepends_on: {a: 1}\n---\n")
    queue = load_queue(tmp_path)
    assert [(t.id, t.state) for t in queue.tasks] == [("task-1", "in-progress")]
    assert [e.path for e in queue.errors] == ["docs/TASKS/queue/pending/oops.md"] and "'depends_on'" in queue.errors[0].message
    changed = move_task(tmp_path, old, new)
    assert changed == ["docs/TASKS/queue/in-progress/task-1.md", "docs/TASKS/queue/pending/task-1.md"]
    assert not (tmp_path / "docs/TASKS/queue/pending/task-1.md").exists()


def test_index_lists_every_task_by_state() -> None:
    tasks = [
        Task("a", "Alpha | pipe", state="pending", priority="P1"),
        Task("b", "Beta", state="in-progress", assigned_to="claude", branch="ai/b-beta"),
        Task("c", "Gamma", state="completed", pr=4),
    ]
    text = render_index(tasks)
    assert "| pending | 1 |" in text and "| in-progress | 1 |" in text and "| completed | 1 |" in text
    assert "[a](pending/a.md)" in text and "Alpha \\| pipe" in text and "`ai/b-beta`" in text and "#4" in text
