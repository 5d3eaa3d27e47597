"""The pure core: percentiles, timelines, attribution, unknowns, git mapping, periods."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from leadforge.errors import InputError
from leadforge.metrics.compute import People, Period, PullInfo, compute, in_scope, percentile, timeline
from leadforge.metrics.gitlog import Commit, TaskKeys, index_history, parse_log, task_of
from leadforge.metrics.period import make_period, week_period
from leadforge.metrics.source import review_rounds
from leadforge.tasks.taskfile import HistoryEntry, Task

UTC = UTC


def T(id: str, **kw) -> Task:
    return Task(id=id, title=id, **kw)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, None),
        ([4.0], 0.9, 4.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([10.0, 1.0, 5.0], 0.9, 9.0),
    ],
)
def test_percentile_interpolates_between_ranks(values, q, expected) -> None:
    assert percentile(values, q) == expected


def test_profiles_turn_unknown_assignees_into_the_unknown_row() -> None:
    people = People(agents=frozenset({"copilot"}))
    task = T(
        "a",
        state="completed",
        assigned_to="ghost",
        created="2026-01-01T00:00:00Z",
        assigned_at="2026-01-01T01:00:00Z",
        completed_at="2026-01-01T03:00:00Z",
    )
    report = compute([task], period=Period(), people=people)
    assert [r.agent for r in report.agents] == ["unknown"]
    assert report.agents[0].completed == 1 and report.agents[0].assigned == 1
    assert any("'ghost' has no profile" in u.reason for u in report.unknown)


def test_the_agent_holding_the_task_is_charged_for_requeues_and_failures() -> None:
    history = (
        HistoryEntry("2026-01-01T00:00:00Z", "assigned", "bot", "to alpha"),
        HistoryEntry("2026-01-01T05:00:00Z", "verification-failed", "bot", "changed files outside the declared scope: x"),
        HistoryEntry("2026-01-02T00:00:00Z", "requeued", "sweep"),
        HistoryEntry("2026-01-03T00:00:00Z", "assigned", "bot", "to beta"),
    )
    line = timeline(T("a", state="in-progress", assigned_to="beta", history=history), People())
    assert [(h.kind, h.agent) for h in line.happenings] == [
        ("assigned", "alpha"),
        ("failed", "alpha"),
        ("requeued", "alpha"),
        ("assigned", "beta"),
    ]
    assert line.scope_flagged


def test_a_scope_failure_written_by_task_complete_counts_as_a_scope_violation() -> None:
    from leadforge.forge.models import ChangedFile, PullRequest
    from leadforge.tasks.complete import verify

    task = T("a", state="in-progress", scope=("src/a/**",), acceptance=("ok",))
    pull = PullRequest(
        number=7,
        title="",
        body="- [x] ok",
        state="closed",
        merged=True,
        merged_at="",
        merge_commit_sha="",
        head_ref="ai/a-a",
        head_sha="",
        base_ref="main",
        base_sha="",
        author="",
    )
    failed = verify(task, pull, [ChangedFile("setup.py", "modified")], [], [])
    unticked = verify(task, replace(pull, body=""), [], [], [])
    history = (
        HistoryEntry("2026-01-01T00:00:00Z", "assigned", "leadforge", "alpha (assign alpha), branch ai/a-a"),
        HistoryEntry("2026-01-01T05:00:00Z", "verification-failed", "leadforge", "; ".join(failed.failures)),
        HistoryEntry("2026-01-01T06:00:00Z", "verified", "leadforge", "#8"),
        HistoryEntry("2026-01-01T06:00:00Z", "completed", "leadforge", "merged #8"),
    )
    done = T(
        "a",
        state="completed",
        scope=("src/a/**",),
        assigned_to="alpha",
        created="2026-01-01T00:00:00Z",
        assigned_at="2026-01-01T00:00:00Z",
        completed_at="2026-01-01T06:00:00Z",
        history=history,
    )
    assert timeline(done, People()).scope_flagged
    assert compute([done], period=Period()).agents[0].scope_violations == 1
    other = (history[0], HistoryEntry(history[1].at, history[1].event, "leadforge", "; ".join(unticked.failures)), *history[2:])
    assert not timeline(replace(done, history=other), People()).scope_flagged


def test_forge_review_rounds_and_merge_time_are_used_when_present() -> None:
    task = T(
        "a",
        state="completed",
        assigned_to="alpha",
        pr=7,
        created="2026-01-01T00:00:00Z",
        assigned_at="2026-01-01T00:00:00Z",
        completed_at="2026-01-02T00:00:00Z",
        estimate_hours=6.0,
    )
    merged = datetime(2026, 1, 1, 12, tzinfo=UTC)
    report = compute([task], period=Period(), pulls={7: PullInfo(7, merged, 30, 4, review_rounds=3)})
    row = report.agents[0]
    assert row.cycle_time_hours.median == 12.0 and row.review_rounds == 3 and row.reviewed_prs == 1
    assert (row.lines_added, row.lines_removed) == (30, 4)  # no git: the forge's size
    assert row.estimate_vs_actual == 0.5


@pytest.mark.parametrize(
    ("states", "rounds"),
    [([], 0), (["COMMENTED"], 1), (["CHANGES_REQUESTED", "CHANGES_REQUESTED", "APPROVED"], 3), (["PENDING"], 0)],
)
def test_review_rounds_are_one_plus_change_requests(states, rounds) -> None:
    assert review_rounds(states) == rounds


@pytest.mark.parametrize(
    ("path", "scope", "inside"),
    [
        ("src/a.py", ["src/**"], True),
        ("src/a/b.py", ["src"], True),
        ("srcx/a.py", ["src"], False),
        ("docs/x.md", ["src/**", "*.md"], False),
        ("README.md", ["*.md"], True),
    ],
)
def test_scope_membership(path, scope, inside) -> None:
    assert in_scope(path, scope) is inside


def _commit(sha, parents, message, files=(), date="2026-01-01T00:00:00+00:00", author="A") -> Commit:
    return Commit(sha, tuple(parents), date, author, "a@x", message, tuple(files))


def test_commits_map_to_tasks_by_trailer_pr_branch_and_closes() -> None:
    keys = TaskKeys.of([T("task-1", pr=11), T("task-2", branch="ai/task-2-x"), T("task-3", issue=3), T("fix-it")])
    assert task_of(_commit("1", [], "Merge pull request #11 from o/whatever"), keys) == "task-1"
    assert task_of(_commit("1", [], "Merge branch 'ai/task-2-x'"), keys) == "task-2"
    assert task_of(_commit("1", [], "Thing (#11)"), keys) == "task-1"
    assert task_of(_commit("1", [], "Thing\n\nFixes #3"), keys) == "task-3"
    assert task_of(_commit("1", [], "Thing\n\nLeadforge-Task: fix-it"), keys) == "fix-it"
    assert task_of(_commit("1", [], "Merge pull request #99 from o/ai/fix-it-now"), keys) == "fix-it"
    assert task_of(_commit("1", [], "Unrelated (#99)"), keys) is None


def test_a_revert_made_on_a_side_branch_is_charged_to_the_reverted_task() -> None:
    # main: base -> M1 (merges b1 of task-1) -> M2 (merges r1, which reverts b1)
    commits = [
        _commit("m2", ["m1", "r1"], "Merge pull request #20 from o/revert-11"),
        _commit("r1", ["m1"], 'Revert "feat"\n\nThis reverts commit b1b1b1b1.', [("a.py", 0, 3)]),
        _commit("m1", ["base", "b1b1b1b1"], "Merge pull request #11 from o/ai/task-1-x", [("a.py", 3, 0)]),
        _commit("b1b1b1b1", ["base"], "feat", [("a.py", 3, 0)]),
        _commit("base", [], "init", [("README", 1, 0)]),
    ]
    index = index_history(commits, TaskKeys.of([T("task-1", pr=11)]))
    assert [(r.sha, r.target_task) for r in index.reverts] == [("m2", "task-1")]
    assert [c.sha for c in index.by_task["task-1"]] == ["m1"]
    assert index.by_task["task-1"][0].added == 3


def test_the_queue_commit_that_names_the_pr_is_not_the_task_s_work() -> None:
    # the PR merges at 06:00 (+10 lines); `task complete` then commits "tasks: complete task-1 (#8)" at 12:00,
    # moving the task file: that commit must neither add lines to the agent nor stretch the cycle time
    commits = [
        _commit(
            "q",
            ["m"],
            "tasks: complete task-1 (#8)\n\n[skip ci]\n\nLeadforge-Run: local-1",
            [("docs/TASKS/queue/{in-progress => completed}/task-1.md", 9, 0), ("docs/TASKS/queue/README.md", 2, 2)],
            date="2026-01-01T12:00:00+00:00",
        ),
        _commit(
            "m",
            ["base", "w"],
            "Merge pull request #8 from o/ai/task-1-a",
            [("src/a.py", 10, 0)],
            date="2026-01-01T06:00:00+00:00",
        ),
        _commit("w", ["base"], "work", [("src/a.py", 10, 0)], date="2026-01-01T05:00:00+00:00"),
        _commit("base", [], "init", [("README", 1, 0)]),
    ]
    task = T(
        "task-1",
        state="completed",
        pr=8,
        scope=("src/**",),
        assigned_to="alpha",
        created="2026-01-01T00:00:00Z",
        assigned_at="2026-01-01T02:00:00Z",
        completed_at="2026-01-01T12:00:00Z",
    )
    index = index_history(commits, TaskKeys.of([task]))
    assert [c.sha for c in index.by_task["task-1"]] == ["m"]
    row = next(r for r in compute([task], period=Period(), git=index).agents if r.agent == "alpha")
    assert (row.lines_added, row.lines_removed) == (10, 0)
    assert row.cycle_time_hours.median == 4.0  # 02:00 assigned -> 06:00 merged


def test_parse_log_reads_numstat_and_binary_files() -> None:
    text = "\x1eaaa bbb\x1f2026-01-01T00:00:00+00:00\x1fA\x1fa@x\x1fsubject\n\nbody\n\x1f\n\n3\t1\tsrc/x.py\n-\t-\timg.png\n"
    [commit] = parse_log(text)
    assert commit.parents == ("bbb",) and commit.subject == "subject"
    assert commit.files == (("src/x.py", 3, 1), ("img.png", 0, 0))


def test_weeks_are_iso_weeks() -> None:
    now = datetime(2026, 11, 18, 6, tzinfo=UTC)  # a Wednesday in W47
    assert week_period("last", now).label == "2026-W46"
    assert week_period("current", now).since == datetime(2026, 11, 16, tzinfo=UTC)
    assert week_period("2026-W01", now).since == datetime(2025, 12, 29, tzinfo=UTC)
    period = make_period("2026-11-01", "2026-11-01", None, now)
    assert period.contains(datetime(2026, 11, 1, 23, 59, tzinfo=UTC))
    assert not period.contains(datetime(2026, 11, 2, tzinfo=UTC))
    with pytest.raises(InputError):
        make_period(None, None, "W47", now)


@pytest.mark.parametrize(
    ("note", "agents", "expected"),
    [
        ("claude (comment), branch ai/task-1-x", frozenset({"claude", "copilot"}), "claude"),
        ("copilot (assign @Copilot), branch ai/task-1-x", None, "copilot"),
        ("to openhands", frozenset({"openhands"}), "openhands"),
        ("ghost (label x)", frozenset({"claude"}), "unknown"),
    ],
)
def test_assignments_are_read_from_the_queue_note(note, agents, expected) -> None:
    task = T("a", state="in-progress", history=(HistoryEntry("2026-01-01T00:00:00Z", "assigned", "leadforge[bot]", note),))
    [happening] = timeline(task, People(agents=agents)).happenings
    assert happening.agent == expected


def test_untracked_commits_go_to_their_author_or_alias_and_bots_are_nobody() -> None:
    from leadforge.metrics.gitlog import GitIndex, Landed

    at = datetime(2026, 1, 1, tzinfo=UTC)
    landed = (
        Landed("1", at, None, "Mona Lisa", "mona@example.com", 5, 1, ("src/a.py",), False),
        Landed("2", at, None, "Someone", "x@example.com", 2, 0, ("src/b.py",), False),
        Landed("3", at, None, "leadforge[bot]", "bot@example.com", 50, 0, ("src/c.py",), False),
        Landed("4", at, None, "Mona Lisa", "mona@example.com", 9, 0, ("docs/TASKS/queue/pending/x.md",), False),
    )
    people = People(humans=frozenset({"mona"}), aliases={"mona@example.com": "mona"})
    report = compute([], period=Period(), people=people, git=GitIndex(landed, (), 4, {}))
    rows = {r.agent: (r.kind, r.lines_added, r.lines_removed) for r in report.agents}
    assert rows == {"mona": ("human", 5, 1), "Someone": ("human", 2, 0)}
