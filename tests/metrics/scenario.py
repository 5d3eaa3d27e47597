"""A small queue with a real git history whose metrics are worked out by hand (see test_golden.py).

Week 2026-W46 is Monday 2026-11-09 00:00Z to Monday 2026-11-16 00:00Z.

- task-1 (copilot): created 11-09 08:00, assigned 09:00, PR #11 merged 14:00 (+10), completed 15:00; reverted 11-13
- task-2 (copilot, then claude): created 11-10 00:00, assigned copilot 01:00, re-queued 10:00, assigned claude 11:00,
  squash #12 11-11 10:00 (+20 in scope, +5 outside), completed 11-11 11:00
- task-3 (claude): created 11-10, assigned 02:00, PR #13 merged 11-11 23:00 (+6 -2), verification failed 11-12 00:00
  (in progress)
- task-4 (mona, human): created 11-08, assigned 11-08 12:00, squash "Closes #4" 11-12 11:00 (+1 -1), completed 11-12 12:00
- task-5 (copilot): completed, but no completed_at and no history: unknown
- task-6: pending
- task-7 (claude): completed 11-20 (next week): not counted
- bad: front matter is not YAML: unreadable
"""

from __future__ import annotations

from pathlib import Path

from leadforge.tasks.taskfile import HistoryEntry, Task, render_task

CONFIG = """\
version: 1
metrics:
  humans: [mona]
  forge: false
"""


def H(at: str, event: str, by: str = "leadforge[bot]", note: str = "") -> HistoryEntry:
    return HistoryEntry(at, event, by, note)


def tasks() -> list[Task]:
    return [
        Task(
            id="task-1",
            title="Login form",
            state="completed",
            issue=1,
            agent="copilot",
            scope=("src/login/**",),
            estimate_hours=4.0,
            created="2026-11-09T08:00:00Z",
            assigned_to="copilot",
            assigned_at="2026-11-09T09:00:00Z",
            branch="ai/task-1-login-form",
            pr=11,
            completed_at="2026-11-09T15:00:00Z",
            history=(
                H("2026-11-09T08:00:00Z", "queued"),
                H("2026-11-09T09:00:00Z", "assigned", note="copilot (assign @Copilot), branch ai/task-1-login-form"),
                H("2026-11-09T15:00:00Z", "completed"),
            ),
        ),
        Task(
            id="task-2",
            title="Search box",
            state="completed",
            issue=2,
            scope=("src/search/**",),
            estimate_hours=8.0,
            created="2026-11-10T00:00:00Z",
            assigned_to="claude",
            assigned_at="2026-11-10T11:00:00Z",
            branch="ai/task-2-search-box",
            pr=12,
            completed_at="2026-11-11T11:00:00Z",
            history=(
                H("2026-11-10T00:00:00Z", "queued"),
                H("2026-11-10T01:00:00Z", "assigned", note="copilot (assign @Copilot), branch ai/task-1-login-form"),
                H("2026-11-10T10:00:00Z", "requeued", by="sweep", note="no heartbeat for 8h"),
                H("2026-11-10T11:00:00Z", "assigned", note="claude (comment), branch ai/task-2-search-box"),
                H("2026-11-11T11:00:00Z", "completed"),
            ),
        ),
        Task(
            id="task-3",
            title="Cache layer",
            state="in-progress",
            issue=3,
            scope=("src/cache/**",),
            estimate_hours=2.0,
            created="2026-11-10T00:00:00Z",
            assigned_to="claude",
            assigned_at="2026-11-10T02:00:00Z",
            branch="ai/task-3-cache-layer",
            pr=13,
            history=(
                H("2026-11-10T00:00:00Z", "queued"),
                H("2026-11-10T02:00:00Z", "assigned", note="to claude"),
                H("2026-11-12T00:00:00Z", "verification-failed", note="required check 'tests' failed"),
            ),
        ),
        Task(
            id="task-4",
            title="Fix typo",
            state="completed",
            issue=4,
            type="docs",
            scope=("README.md",),
            estimate_hours=1.0,
            created="2026-11-08T00:00:00Z",
            assigned_to="mona",
            assigned_at="2026-11-08T12:00:00Z",
            pr=14,
            completed_at="2026-11-12T12:00:00Z",
            history=(
                H("2026-11-08T00:00:00Z", "queued"),
                H("2026-11-08T12:00:00Z", "assigned", note="to mona"),
                H("2026-11-12T12:00:00Z", "completed"),
            ),
        ),
        Task(id="task-5", title="Old import", state="completed", issue=5, assigned_to="copilot"),
        Task(
            id="task-6",
            title="Not started",
            state="pending",
            issue=6,
            created="2026-11-12T00:00:00Z",
            history=(H("2026-11-12T00:00:00Z", "queued"),),
            depends_on=("task-3",),
        ),
        Task(
            id="task-7",
            title="Next week",
            state="completed",
            issue=7,
            assigned_to="claude",
            created="2026-11-14T00:00:00Z",
            assigned_at="2026-11-19T00:00:00Z",
            completed_at="2026-11-20T00:00:00Z",
            estimate_hours=3.0,
            history=(H("2026-11-19T00:00:00Z", "assigned", note="to claude"), H("2026-11-20T00:00:00Z", "completed")),
        ),
    ]


def write_queue(root: Path, items: list[Task] | None = None) -> None:
    """Write ``items`` (by default this scenario's tasks) as task files, plus the unreadable ``pending/bad.md``
    (tests/serve/queue.py writes its generated queue with this too)."""
    for task in items if items is not None else tasks():
        path = root / task.relpath()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_task(task), encoding="utf-8")
    bad = root / "docs/TASKS/queue/pending/bad.md"
    bad.write_text("---\nid: bad\ntitle: [unclosed\n---\n", encoding="utf-8")


def build(repo) -> None:  # repo: tests.conftest.Repo
    """Write the queue and make the git history described above (fixed dates)."""

    def at(date: str) -> dict[str, str]:
        return {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}

    repo.write(".github/leadforge.yml", CONFIG)
    repo.commit("chore: config", date="2026-11-01T00:00:00Z")
    # task-1: merge commit strategy
    repo.git("checkout", "-q", "-b", "ai/task-1-login-form")
    repo.commit("feat: login form", {"src/login/a.py": "".join(f"line {i}\n" for i in range(10))}, date="2026-11-09T13:00:00Z")
    repo.git("checkout", "-q", "main")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #11 from demo/ai/task-1-login-form",
        "ai/task-1-login-form",
        env=at("2026-11-09T14:00:00Z"),
    )
    merge1 = repo.git("rev-parse", "HEAD")
    # task-2: squash merge, one file outside its scope
    repo.commit(
        "Search box (#12)",
        {"src/search/s.py": "".join(f"s {i}\n" for i in range(20)), "docs/other.md": "".join(f"d {i}\n" for i in range(5))},
        date="2026-11-11T10:00:00Z",
    )
    # task-3: merged, then failed verification
    repo.write("src/cache/c.py", "a\nb\n")
    repo.commit("chore: cache seed", date="2026-11-01T00:00:00Z")
    repo.git("checkout", "-q", "-b", "ai/task-3-cache-layer")
    repo.commit("feat: cache", {"src/cache/c.py": "".join(f"c {i}\n" for i in range(6))}, date="2026-11-11T22:00:00Z")
    repo.git("checkout", "-q", "main")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #13 from demo/ai/task-3-cache-layer",
        "ai/task-3-cache-layer",
        env=at("2026-11-11T23:00:00Z"),
    )
    # task-4: squash by a human, linked by "Closes #4"
    repo.commit("Fix typo\n\nCloses #4", {"README.md": "# test repo!\n"}, date="2026-11-12T11:00:00Z")
    # the revert of task-1's merge (a maintainer, directly on main)
    repo.git("revert", "--no-edit", "-m", "1", merge1, env=at("2026-11-13T09:00:00Z"))
    write_queue(repo.path)
