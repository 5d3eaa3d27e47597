"""Pure parts of completion (finding the task, checks, verification) and of the sweep decision."""

from __future__ import annotations

from typing import Any

from leadforge.app import App
from leadforge.forge.models import ChangedFile, CheckRun, CommitStatus, PullRequest
from leadforge.tasks.complete import check_failures, find_task_for_pull, run_verify_commands, verify
from leadforge.tasks.options import TaskOptions
from leadforge.tasks.sweep import decide_sweep
from leadforge.tasks.taskfile import Task

TASK = Task(
    "task-4",
    "Search",
    state="in-progress",
    issue=4,
    scope=("src/search/**", "docs/search.md"),
    acceptance=("Returns matches", "Handles `empty` query"),
    branch="ai/task-4-search",
    assigned_to="claude",
)


def pull(**fields: object) -> PullRequest:
    base: dict[str, Any] = {
        "number": 9,
        "title": "t",
        "merged": True,
        "head_ref": "ai/task-4-search",
        "body": "- [x] Returns matches\n- [X]  handles `empty`   query\n",
    }
    base.update(fields)
    return PullRequest(**base)


def test_the_task_is_found_by_branch_then_by_closes_reference() -> None:
    other = Task("task-5", "Other", state="in-progress", issue=5, branch="ai/task-5-other")
    assert find_task_for_pull([TASK, other], pull()) is TASK
    assert find_task_for_pull([TASK, other], pull(head_ref="feature/x", body="Fixes #5")) is other
    assert find_task_for_pull([TASK, other], pull(head_ref="feature/x", body="mentions #5 only")) is None


def test_a_renamed_branch_of_the_task_is_found_with_the_configured_prefix() -> None:
    moved = Task("task-6", "Moved", state="in-progress", issue=6, branch="agents/task-6-moved")
    # The agent pushed to a differently-slugged branch: the id after the configured prefix still identifies it.
    assert find_task_for_pull([moved], pull(head_ref="agents/task-6-renamed", body=""), "agents/") is moved
    assert find_task_for_pull([moved], pull(head_ref="agents/task-6-renamed", body="")) is None


def test_verification_passes_when_everything_holds() -> None:
    files = [ChangedFile("src/search/api.py", "added"), ChangedFile("docs/search.md", "modified")]
    verdict = verify(TASK, pull(), files, [], [])
    assert verdict.passed and verdict.failures == ()


def test_verification_lists_each_failure_exactly() -> None:
    files = [
        ChangedFile("src/search/api.py", "added"),
        ChangedFile("src/search/new.py", "renamed", previous_path="src/old.py"),
        ChangedFile("CHANGELOG.md", "modified"),
    ]
    verdict = verify(
        TASK,
        pull(merged=False, body="- [x] Returns matches\n"),
        files,
        ["check 'ci' is failure"],
        ["verify command `make test` exited 2"],
        allowed_outside=("CHANGELOG.md",),
    )
    assert not verdict.passed
    assert verdict.outside_scope == ("src/old.py",)
    assert verdict.unticked == ("Handles `empty` query",)
    assert verdict.failures[0] == "pull request #9 was closed without being merged"
    assert "check 'ci' is failure" in verdict.failures and "verify command `make test` exited 2" in verdict.failures


def test_checks_required_by_name_or_all_completed_ones() -> None:
    runs = [
        CheckRun(1, "tests", "sha", "completed", "success"),
        CheckRun(2, "lint", "sha", "completed", "failure"),
        CheckRun(3, "slow", "sha", "in_progress"),
        CheckRun(4, "ai-task-completion", "sha", "completed", "failure"),
    ]
    statuses = [CommitStatus("ci/build", "success")]
    failures, names = check_failures(runs, statuses, (), ("ai-task-completion",))
    assert failures == ["check 'lint' is failure"] and "ai-task-completion" not in names
    failures, _ = check_failures(runs, statuses, ("tests", "slow", "deploy"), ())
    assert failures == ["required check 'slow' is in_progress", "required check 'deploy' did not run on the head commit"]


def test_verify_commands_run_for_real(tmp_path) -> None:
    app = App(repo=tmp_path)
    ok = TaskOptions(verify_commands=("true",))
    assert run_verify_commands(app, ok) == []
    bad = TaskOptions(verify_commands=("sh -c 'echo broken >&2; exit 3'", "no-such-tool-xyz"))
    problems = run_verify_commands(app, bad)
    assert problems[0] == "verify command `sh -c 'echo broken >&2; exit 3'` exited 3: broken"
    assert "no-such-tool-xyz" in problems[1]


def test_sweep_warns_after_silence_and_requeues_after_the_grace_period() -> None:
    opts = TaskOptions(stale_after_hours=10, requeue_after_hours=5)
    task = Task("t", "T", state="in-progress", assigned_at="2026-01-01T00:00:00Z", branch="ai/t-t")
    assert decide_sweep([task], {}, "2026-01-01T09:00:00Z", opts).actions == ()
    warn = decide_sweep([task], {}, "2026-01-01T11:00:00Z", opts).actions
    assert [(a.task, a.action, a.silent_hours) for a in warn] == [("t", "warn", 11.0)]
    warned = task.with_event("stale-warning", at="2026-01-01T11:00:00Z")
    assert decide_sweep([warned], {}, "2026-01-01T15:00:00Z", opts).actions == ()
    assert decide_sweep([warned], {}, "2026-01-01T16:00:00Z", opts).actions[0].action == "requeue"
    # a commit on the branch after the warning is a sign of life: no re-queue, and the clock restarts
    revived = decide_sweep([warned], {"t": ["2026-01-01T12:00:00+00:00"]}, "2026-01-01T16:00:00Z", opts)
    assert revived.actions == ()


def test_a_huge_out_of_scope_change_is_counted_not_listed_in_full() -> None:
    files = [ChangedFile(f"vendor/lib/very/long/path/to/module_{i:05d}.py", "added") for i in range(5000)]
    verdict = verify(TASK, pull(), files, [], [])
    assert len(verdict.outside_scope) == 5000
    (message,) = verdict.failures
    assert message.startswith("5000 changed file(s) outside the task's scope (src/search/**, docs/search.md): ")
    assert message.endswith(" and 4950 more") and "module_00049.py" in message and "module_00050.py" not in message
    assert len(message) < 5000


def test_ticks_are_read_from_windows_bodies_and_numbered_task_lists() -> None:
    body = "Closes #4\r\n\r\n1. [x] Returns matches\r\n2) [X] **Handles `empty` query**\r\n"
    assert verify(TASK, pull(body=body), [], [], []).unticked == ()
    assert verify(TASK, pull(body="1. [ ] Returns matches\n- [x] Handles `empty` query"), [], [], []).unticked == (
        "Returns matches",
    )
