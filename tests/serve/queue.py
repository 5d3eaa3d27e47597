"""A generated queue in a real git repository (with a bare remote) whose numbers are worked out by hand.

"Now" is ``NOW`` (2026-11-20 12:00Z, pinned with LEADFORGE_NOW). The sweep's stale limit is 48 h.

| task | state       | who                        | what the service must say                                       |
| ---- | ----------- | -------------------------- | --------------------------------------------------------------- |
| c1   | completed   | copilot                    | created 11-01 00:00, assigned 02:00, completed 10:00: lead 10 h, cycle 8 h |
| c2   | completed   | claude                     | created 11-02 00:00, assigned 01:00, verification failed 20:00,  |
|      |             |                            | completed 11-03 01:00: lead 25 h, cycle 24 h                     |
| c3   | completed   | copilot, then claude       | created 11-04 00:00, copilot 01:00, re-queued 05:00, claude 06:00, |
|      |             |                            | completed 12:00: lead 12 h, cycle 6 h                            |
| p1   | in-progress | claude                     | assigned 11-19 12:00: 24 h silent, not stale                    |
| p2   | in-progress | copilot                    | assigned 11-15 00:00, last branch commit 11-16 00:00: 108 h silent, stale |
| p3   | in-progress | copilot                    | assigned 11-10 00:00, branch commit 11-20 10:00: 2 h silent, not stale |
| q1   | pending P0  | -                          | ready, queued 11-20 00:00                                       |
| q2   | pending P1  | -                          | ready, queued 11-18 00:00                                       |
| q3   | pending P2  | -                          | blocked: unknown dependency q9                                  |
| q4,q5| pending P2  | -                          | blocked: a dependency cycle                                     |
| q6   | pending P1  | -                          | waits for p1 (in progress): neither ready nor blocked           |
| bad  | -           | -                          | unreadable task file                                            |
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from leadforge.tasks.taskfile import HistoryEntry, Task
from tests.conftest import GIT_ENV
from tests.conftest import git as conftest_git
from tests.metrics.scenario import write_queue

NOW = "2026-11-20T12:00:00Z"
NOW_EPOCH = 1795176000.0  # NOW as epoch seconds
HOUR = 3600.0

CONFIG = """\
version: 1
default_branch: main
tasks:
  stale_after_hours: 48
  requeue_after_hours: 24
metrics:
  forge: false
"""

PROFILES = {
    "claude": 'name: claude\nhandoff:\n  comment: "@claude please implement {id}"\ncapacity: 2\nweight: 50\n',
    "copilot": "name: copilot\nhandoff:\n  assign: Copilot\ncapacity: 3\nweight: 40\n",
    "human": "name: human\nhandoff:\n  label: needs-human\ncapacity: 5\nextra: {kind: human}\n",
}


def H(at: str, event: str, note: str = "", by: str = "leadforge[bot]") -> HistoryEntry:
    return HistoryEntry(at, event, by, note)


def tasks() -> list[Task]:
    return [
        Task(
            id="c1",
            title="Login",
            state="completed",
            issue=1,
            priority="P1",
            created="2026-11-01T00:00:00Z",
            assigned_to="copilot",
            assigned_at="2026-11-01T02:00:00Z",
            completed_at="2026-11-01T10:00:00Z",
            history=(
                H("2026-11-01T00:00:00Z", "queued"),
                H("2026-11-01T02:00:00Z", "assigned", "copilot (assign @Copilot), branch ai/c1-login"),
                H("2026-11-01T10:00:00Z", "completed"),
            ),
        ),
        Task(
            id="c2",
            title="Search",
            state="completed",
            issue=2,
            priority="P2",
            created="2026-11-02T00:00:00Z",
            assigned_to="claude",
            assigned_at="2026-11-02T01:00:00Z",
            completed_at="2026-11-03T01:00:00Z",
            history=(
                H("2026-11-02T00:00:00Z", "queued"),
                H("2026-11-02T01:00:00Z", "assigned", "claude (comment), branch ai/c2-search"),
                H("2026-11-02T20:00:00Z", "verification-failed", "required check 'tests' failed"),
                H("2026-11-03T01:00:00Z", "completed"),
            ),
        ),
        Task(
            id="c3",
            title="Cache",
            state="completed",
            issue=3,
            priority="P2",
            created="2026-11-04T00:00:00Z",
            assigned_to="claude",
            assigned_at="2026-11-04T06:00:00Z",
            completed_at="2026-11-04T12:00:00Z",
            history=(
                H("2026-11-04T00:00:00Z", "queued"),
                H("2026-11-04T01:00:00Z", "assigned", "copilot (assign @Copilot), branch ai/c3-cache"),
                H("2026-11-04T05:00:00Z", "requeued", "no activity from copilot for 4 h"),
                H("2026-11-04T06:00:00Z", "assigned", "claude (comment), branch ai/c3-cache"),
                H("2026-11-04T12:00:00Z", "completed"),
            ),
        ),
        Task(
            id="p1",
            title="Profile page",
            state="in-progress",
            issue=4,
            priority="P1",
            created="2026-11-19T00:00:00Z",
            assigned_to="claude",
            assigned_at="2026-11-19T12:00:00Z",
            branch="ai/p1-profile-page",
            history=(
                H("2026-11-19T00:00:00Z", "queued"),
                H("2026-11-19T12:00:00Z", "assigned", "claude (comment), branch ai/p1-profile-page"),
            ),
        ),
        Task(
            id="p2",
            title="Billing",
            state="in-progress",
            issue=5,
            priority="P2",
            created="2026-11-14T00:00:00Z",
            assigned_to="copilot",
            assigned_at="2026-11-15T00:00:00Z",
            branch="ai/p2-billing",
            history=(
                H("2026-11-14T00:00:00Z", "queued"),
                H("2026-11-15T00:00:00Z", "assigned", "copilot (assign @Copilot), branch ai/p2-billing"),
            ),
        ),
        Task(
            id="p3",
            title="Export",
            state="in-progress",
            issue=6,
            priority="P3",
            created="2026-11-09T00:00:00Z",
            assigned_to="copilot",
            assigned_at="2026-11-10T00:00:00Z",
            branch="ai/p3-export",
            history=(
                H("2026-11-09T00:00:00Z", "queued"),
                H("2026-11-10T00:00:00Z", "assigned", "copilot (assign @Copilot), branch ai/p3-export"),
            ),
        ),
        Task(
            id="q1",
            title="Outage fix",
            state="pending",
            issue=7,
            priority="P0",
            created="2026-11-20T00:00:00Z",
            history=(H("2026-11-20T00:00:00Z", "queued"),),
        ),
        Task(
            id="q2",
            title="Docs",
            state="pending",
            issue=8,
            priority="P1",
            type="docs",
            created="2026-11-18T00:00:00Z",
            history=(H("2026-11-18T00:00:00Z", "queued"),),
        ),
        Task(
            id="q3",
            title="Orphan",
            state="pending",
            issue=9,
            priority="P2",
            created="2026-11-18T00:00:00Z",
            depends_on=("q9",),
            history=(H("2026-11-18T00:00:00Z", "queued"),),
        ),
        Task(
            id="q4",
            title="Chicken",
            state="pending",
            issue=10,
            priority="P2",
            created="2026-11-18T00:00:00Z",
            depends_on=("q5",),
            history=(H("2026-11-18T00:00:00Z", "queued"),),
        ),
        Task(
            id="q5",
            title="Egg",
            state="pending",
            issue=11,
            priority="P2",
            created="2026-11-18T00:00:00Z",
            depends_on=("q4",),
            history=(H("2026-11-18T00:00:00Z", "queued"),),
        ),
        Task(
            id="q6",
            title="After profile",
            state="pending",
            issue=12,
            priority="P1",
            created="2026-11-19T00:00:00Z",
            depends_on=("p1",),
            history=(H("2026-11-19T00:00:00Z", "queued"),),
        ),
    ]


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None, date: str = "2026-11-01T00:00:00Z") -> str:
    """tests.conftest.git with the fixed identity set here (module-scoped fixtures run before the autouse one
    sets it) and ``date`` as the commit's date, whatever dates ``env`` carries (a copy of the test's environment
    holds the autouse fixture's)."""
    return conftest_git(cwd, *args, env={**GIT_ENV, **(env or {}), "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_remote(base: Path, env: Mapping[str, str] | None = None) -> tuple[Path, Path]:
    """A bare ``remote.git`` and the working clone ``seed`` that filled it: main holds the queue, the
    in-progress tasks' branches carry their last commits (p2's at 11-16 00:00, p3's at 11-20 10:00)."""
    remote, seed = base / "remote.git", base / "seed"
    git(base, "init", "-q", "--bare", "-b", "main", str(remote), env=env)
    git(base, "init", "-q", "-b", "main", str(seed), env=env)
    write(seed, "README.md", "# served repo\n")
    write(seed, ".github/leadforge.yml", CONFIG)
    for name, text in PROFILES.items():
        write(seed, f"profiles/{name}.yml", text)
    write_queue(seed, tasks())
    git(seed, "add", "-A", env=env)
    git(seed, "commit", "-q", "-m", "tasks: the queue", env=env)
    git(seed, "remote", "add", "origin", str(remote), env=env)
    git(seed, "push", "-q", "origin", "main", env=env)
    for branch, date in (("ai/p2-billing", "2026-11-16T00:00:00Z"), ("ai/p3-export", "2026-11-20T10:00:00Z")):
        git(seed, "checkout", "-q", "-b", branch, env=env)
        write(seed, f"src/{branch.split('/')[1]}.py", "x = 1\n")
        git(seed, "add", "-A", env=env)
        git(seed, "commit", "-q", "-m", f"wip {branch}", env=env, date=date)
        git(seed, "push", "-q", "origin", branch, env=env)
        git(seed, "checkout", "-q", "main", env=env)
    return remote, seed
