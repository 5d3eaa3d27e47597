"""The task file format: the fast front-matter reader always agrees with yaml, or steps aside."""

from __future__ import annotations

import random

import pytest
import yaml

from leadforge.errors import InputError
from leadforge.tasks.taskfile import Task, _fast_load, load_task, parse_task, render_task, split_front_matter

TRICKY = [
    "null",
    "Null",
    "~",
    "yes",
    "No",
    "on",
    "OFF",
    "true",
    "123",
    "0123",
    "1_000",
    "0x1F",
    "1e3",
    "1.5",
    ".inf",
    "2026-01-01",
    "2026-01-01T10:00:00Z",
    "a: b",
    "a #b",
    "#x",
    "- x",
    "[x]",
    "{x}",
    "'quoted'",
    '"dq"',
    "it's",
    "ends:",
    "tab\there",
    "ünïcödé",
    "emoji 🚀",
    "back\\slash",
    "  lead",
    "trail  ",
    "x" * 150,
    "line\nbreak",
    "&anchor",
    "*alias",
    "!tag",
    "%pct",
    "@at",
    "`tick",
    "a,b",
    "<<",
    "=",
    "-1",
    "+1",
    "12:30",
    "",
]


def random_task(rng: random.Random, k: int) -> Task:
    def pick() -> str:
        return rng.choice([*TRICKY, f"plain words {k}", "src/**", "docs/*.md"])

    task = Task(
        id=f"task-{k}",
        title=pick() or "t",
        issue=rng.choice([None, k]),
        priority=rng.choice(["P0", "P1", "P2", "P3"]),
        depends_on=tuple(f"task-{rng.randrange(k + 1)}" for _ in range(rng.randrange(3))),
        scope=tuple(s for s in (pick() for _ in range(rng.randrange(4))) if s.strip()),
        acceptance=tuple(s for s in (pick() for _ in range(rng.randrange(4))) if s.strip()),
        estimate_hours=rng.choice([None, 1.0, 2.5]),
        created=rng.choice(["", "2026-01-01T00:00:00Z"]),
        branch=rng.choice([None, f"ai/task-{k}-x"]),
        extra=rng.choice([{}, {"custom": pick()}, {"nested": {"a": 1}}]),
    )
    for _ in range(rng.randrange(3)):
        task = task.with_event(rng.choice(["queued", "assigned", "heartbeat"]), at="2026-01-02T00:00:00Z", by=pick(), note=pick())
    return task


def test_fast_reader_agrees_with_yaml_on_rendered_tasks() -> None:
    rng = random.Random(3)
    fast = 0
    for k in range(600):
        front, _ = split_front_matter(render_task(random_task(rng, k)), "x")
        expected = yaml.load(front, Loader=yaml.SafeLoader)
        got = _fast_load(front)
        if got is not None:
            fast += 1
            assert got == expected, front
    assert fast > 100  # the fast path is taken for ordinary files


@pytest.mark.parametrize(
    "front",
    [
        "id: a\ntitle: t\nscope:\n  - src/**\n  - docs/x.md\n",  # indented lists
        "id: a\ntitle: t\n# a comment\n",
        "id: a\ntitle: >\n  folded\n",
        "id: a\ntitle: t\ncreated: 2026-01-01\n",
        "id: a\ntitle: t\nhistory:\n- at: x\n  event: e\n  note:\n    - nested\n",
        "id: a\ntitle: t\nstation:\n  cpu: 1\n",
        "id: a\ntitle: &x t\nother: *x\n",
        "id: a\nid: b\ntitle: t\n",
    ],
)
def test_fast_reader_matches_yaml_or_declines_on_hand_written_front_matter(front: str) -> None:
    got = _fast_load(front)
    if got is not None:
        assert got == yaml.load(front, Loader=yaml.SafeLoader)


def test_round_trip_keeps_fields_history_body_and_unknown_keys() -> None:
    task = Task(
        id="task-7",
        title="Add login",
        issue=7,
        priority="P1",
        type="bug",
        depends_on=("task-3",),
        scope=("src/auth/**",),
        acceptance=("login works",),
        estimate_hours=2.0,
        created="2026-01-01T00:00:00Z",
        body="Some *markdown*.\n",
        extra={"labels": ["x"]},
    )
    task = task.with_event("queued", at="2026-01-01T00:00:00Z", by="leadforge", note="from #7")
    again = parse_task(render_task(task), state="pending", source="t.md")
    assert again == task


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("---\nid: Bad Id\ntitle: t\n---\n", "'id'"),
        ("---\nid: a\n---\n", "'title'"),
        ("---\nid: a\ntitle: t\npriority: P9\n---\n", "'priority'"),
        ("---\nid: a\ntitle: t\nscope: [/etc/passwd]\n---\n", "'scope'"),
        ("---\nid: a\ntitle: t\nhistory: [x]\n---\n", "'history[0]'"),
        ("---\nid: a\ntitle: t\nestimate_hours: .inf\n---\n", "'estimate_hours'"),
        ("---\nid: a\ntitle: t\nestimate_hours: .nan\n---\n", "'estimate_hours'"),
        ("---\nid: a\ntitle: [unclosed\n---\n", "not valid YAML"),
        ("no front matter\n", "no YAML front matter"),
    ],
)
def test_bad_front_matter_names_the_file_and_key(text: str, key: str) -> None:
    with pytest.raises(InputError) as err:
        parse_task(text, state="pending", source="docs/TASKS/queue/pending/a.md")
    assert "docs/TASKS/queue/pending/a.md" in str(err.value) and key in str(err.value)


def test_load_task_checks_the_file_name(tmp_path) -> None:
    folder = tmp_path / "pending"
    folder.mkdir()
    (folder / "other.md").write_text(render_task(Task(id="task-1", title="t")), encoding="utf-8")
    with pytest.raises(InputError, match=r"file is named other\.md"):
        load_task(folder / "other.md")
