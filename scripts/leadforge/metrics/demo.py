"""Demo stage: agent metrics over the demo queue, the weekly report and comment, and the dashboard.

It adds a small, realistic week of agent work to the demo repository (three tasks: one
merged with a merge commit, one squash-merged after a re-queue, one in progress), so
the numbers mean something even when earlier stages completed few tasks; then it runs
the commands as GitHub would and builds the dashboard into the report folder.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leadforge import proc
from leadforge.tasks.taskfile import HistoryEntry, Task, render_task

BOT = "leadforge[bot]"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _git(root: Path, *args: str, at: datetime | None = None, author: str = "Mona Maintainer") -> str:
    env = {
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": f"{author.split()[0].lower()}@example.com",
        "GIT_COMMITTER_NAME": "Mona Maintainer",
        "GIT_COMMITTER_EMAIL": "mona@example.com",
    }
    if at is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = _iso(at)
    return proc.run(["git", *args], cwd=root, env=env).stdout.strip()


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def seed_week(root: Path, now: datetime) -> list[Task]:
    """Three tasks of agent work in the last days, with the git history their PRs would leave."""
    start = now - timedelta(days=3)
    branch = _git(root, "branch", "--show-current") or "main"
    # task 1: copilot, merge commit
    _git(root, "checkout", "-q", "-b", "ai/demo-login-form")
    _write(root, "src/login/form.py", "".join(f"FIELD_{i} = {i}\n" for i in range(24)))
    _git(root, "add", "src/login/form.py")
    _git(root, "commit", "-q", "-m", "feat(login): form fields", at=start + timedelta(hours=3), author="Copilot Agent")
    _git(root, "checkout", "-q", branch)
    _git(
        root,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #901 from demo-org/ai/demo-login-form",
        "ai/demo-login-form",
        at=start + timedelta(hours=5),
    )
    # task 2: claude after a re-queue, squash merge with one file outside its scope
    _write(root, "src/search/index.py", "".join(f"def f{i}():\n    return {i}\n" for i in range(20)))
    _write(root, "docs/search.md", "# Search\n\nHow search works.\n")
    _git(root, "add", "src/search/index.py", "docs/search.md")
    _git(root, "commit", "-q", "-m", "feat(search): index (#902)", at=start + timedelta(hours=30), author="Claude Agent")
    tasks = [
        Task(
            id="demo-login-form",
            title="Login form fields",
            state="completed",
            priority="P1",
            type="feature",
            scope=("src/login/**",),
            acceptance=("fields render",),
            estimate_hours=3.0,
            created=_iso(start),
            assigned_to="copilot",
            assigned_at=_iso(start + timedelta(hours=1)),
            branch="ai/demo-login-form",
            pr=901,
            completed_at=_iso(start + timedelta(hours=5, minutes=10)),
            history=(
                HistoryEntry(_iso(start), "queued", BOT),
                HistoryEntry(
                    _iso(start + timedelta(hours=1)), "assigned", BOT, "copilot (assign @Copilot), branch ai/demo-login-form"
                ),
                HistoryEntry(_iso(start + timedelta(hours=5, minutes=10)), "completed", BOT),
            ),
        ),
        Task(
            id="demo-search-index",
            title="Search index",
            state="completed",
            priority="P2",
            type="feature",
            scope=("src/search/**",),
            acceptance=("index builds",),
            estimate_hours=6.0,
            created=_iso(start),
            assigned_to="claude",
            assigned_at=_iso(start + timedelta(hours=12)),
            branch="ai/demo-search-index",
            pr=902,
            completed_at=_iso(start + timedelta(hours=30, minutes=10)),
            depends_on=("demo-login-form",),
            history=(
                HistoryEntry(_iso(start), "queued", BOT),
                HistoryEntry(
                    _iso(start + timedelta(hours=2)), "assigned", BOT, "openhands (label openhands), branch ai/demo-search-index"
                ),
                HistoryEntry(_iso(start + timedelta(hours=10)), "requeued", "sweep", "no heartbeat for 8 hours"),
                HistoryEntry(_iso(start + timedelta(hours=12)), "assigned", BOT, "claude (comment), branch ai/demo-search-index"),
                HistoryEntry(_iso(start + timedelta(hours=30, minutes=10)), "completed", BOT),
            ),
        ),
        Task(
            id="demo-cache",
            title="Cache search results",
            state="in-progress",
            priority="P2",
            type="feature",
            scope=("src/search/cache.py",),
            estimate_hours=2.0,
            created=_iso(start + timedelta(hours=31)),
            assigned_to="claude",
            assigned_at=_iso(start + timedelta(hours=32)),
            branch="ai/demo-cache",
            depends_on=("demo-search-index",),
            history=(
                HistoryEntry(_iso(start + timedelta(hours=31)), "queued", BOT),
                HistoryEntry(_iso(start + timedelta(hours=32)), "assigned", BOT, "claude (comment), branch ai/demo-cache"),
            ),
        ),
    ]
    for task in tasks:
        _write(root, task.relpath().as_posix(), render_task(task))
    _git(root, "add", "docs/TASKS")
    _git(root, "commit", "-q", "-m", "chore(queue): demo week of agent work", at=start + timedelta(hours=33))
    return tasks


def run_stage(demo: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    seeded = seed_week(demo.root, now)
    metrics = demo.cli("metrics", "--json").json()
    rows = {row["agent"]: row for row in metrics["agents"]}
    demo.check({"copilot", "claude"} <= set(rows), "metrics has a row for each agent that completed work")
    demo.check(rows["claude"]["scope_violations"] >= 1, "a change outside the task's scope is counted")
    demo.check(rows.get("openhands", {}).get("requeued", 0) >= 1, "the re-queue is charged to the agent that held the task")
    demo.check(
        all(isinstance(r["lead_time_hours"]["median"], (int, float, type(None))) for r in metrics["agents"]),
        "lead times are numbers",
    )

    demo.cli("metrics", "report", "--week", "current", "--post", "--json")
    again = demo.cli("metrics", "report", "--week", "current", "--post", "--json").json()
    demo.check(again["comment"]["action"] == "unchanged", "a re-run of the weekly report edits nothing")
    issue = again["comment"]["issue"]
    comments = demo.forge.list_issue_comments(issue)
    demo.check(len(comments) == 1, "one weekly comment after two runs")
    week_files = sorted(p.name for p in (demo.root / "docs" / "metrics").glob("*.json"))

    site = demo.out / "dashboard"
    build = demo.cli("dashboard", "build", "--out", str(site), "--json").json()
    html = (site / "index.html").read_text(encoding="utf-8")
    demo.check(all(f'id="task-{t.id}"' in html for t in seeded), "the dashboard board shows the seeded tasks")
    demo.check(html.count("<svg") >= 4, "the dashboard draws its charts")
    (demo.out / "work" / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    totals = metrics["totals"]
    return {
        "title": "Agent metrics and dashboard",
        "summary": f"Metrics over {build['tasks']} task(s): {totals['completed']} completed, "
        f"{totals['lines_added']} lines added, {totals['hours_saved']:g} estimated hours saved; the weekly report "
        f"({', '.join(week_files)}) was written and posted once to issue #{issue} (a re-run left it unchanged); "
        "the dashboard was built as a static site.",
        "facts": {
            "agent rows": len(metrics["agents"]),
            "completed": totals["completed"],
            "median lead time (h)": totals["lead_time_hours"]["median"],
            "scope violations": totals["scope_violations"],
            "keystrokes saved": totals["keystrokes_saved"],
        },
        "artifacts": [demo.artifact(demo.out / "work" / "metrics.json")],
        "links": {"dashboard": "dashboard/index.html"},
    }
