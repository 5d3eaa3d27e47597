"""`leadforge task`: argument parsing for this area (no heavy imports here)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from leadforge.cli import area_parser

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.cli import Subparsers


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    _parser, verbs = area_parser(
        sub, common, "task", "AI task queue: intake, dispatch, complete, sweep, list, show, heartbeat, cost, forecast"
    )

    intake = verbs.add_parser(
        "intake",
        parents=[common],
        help="turn an AI-task issue (issues opened/edited event) into a queued task file",
        description="Read the issues event ($GITHUB_EVENT_PATH), parse the issue-form body into a task file under "
        "docs/TASKS/queue/pending/, commit and push it, and comment on the issue with the task id. An invalid form "
        "gets a comment saying what is wrong and the needs-info label; no file is written.",
    )
    intake.add_argument("--event", metavar="PATH", help="event payload file (default: $GITHUB_EVENT_PATH)")
    intake.set_defaults(handler=_intake)

    dispatch = verbs.add_parser(
        "dispatch",
        parents=[common],
        help="assign ready tasks to agents without overlapping scopes",
        description="Decide which pending tasks are ready (dependencies completed), take them in priority order "
        "(P0 first, then oldest), skip any whose scope overlaps an in-progress task, pick an agent profile with "
        "capacity, move them to in-progress/, create their branches, comment and hand off. --dry-run prints the "
        'plan; --json prints {"assigned":[...],"waiting":[...],"blocked":[...]}.',
    )
    dispatch.set_defaults(handler=_dispatch)

    complete = verbs.add_parser(
        "complete",
        parents=[common],
        help="verify a merged task pull request (pull_request closed event)",
        description="Find the task of the closed pull request (its branch, or 'Closes #n'), verify it (merged, "
        "required checks green, changed files inside the scope, acceptance checklist ticked, verify commands), then "
        "move it to completed/, close its issue and dispatch what it unblocked; or comment exactly what failed.",
    )
    complete.add_argument("--event", metavar="PATH", help="event payload file (default: $GITHUB_EVENT_PATH)")
    complete.add_argument("--pr", type=int, metavar="N", help="verify pull request N instead of the event's")
    complete.add_argument(
        "--no-dispatch",
        action="store_true",
        help="do not dispatch after completing (the workflow runs ai-task-dispatch.yml instead)",
    )
    complete.set_defaults(handler=_complete)

    sweep = verbs.add_parser(
        "sweep",
        parents=[common],
        help="warn about, then re-queue, in-progress tasks without a heartbeat",
        description="For each in-progress task, find its last sign of life (heartbeat, commits on its branch, pull "
        "request activity). Silent for tasks.stale_after_hours: comment a warning. Still silent "
        "tasks.requeue_after_hours after the warning: move it back to pending/. Also reports blocked chains.",
    )
    sweep.set_defaults(handler=_sweep)

    listing = verbs.add_parser(
        "list",
        parents=[common],
        help="list tasks by state",
        description="List the queue: one line per task (or JSON with --json).",
    )
    listing.add_argument(
        "--state", choices=("pending", "in-progress", "completed"), action="append", help="only this state (repeatable)"
    )
    listing.add_argument("--agent", help="only tasks assigned to (or asking for) this agent")
    listing.set_defaults(handler=_list)

    show = verbs.add_parser(
        "show",
        parents=[common],
        help="show one task with its history",
        description="Show one task (id, task-N, N or #N): every field and its history.",
    )
    show.add_argument("task", help="task id, or the issue number")
    show.set_defaults(handler=_show)

    heartbeat = verbs.add_parser(
        "heartbeat",
        parents=[common],
        help="record that an agent is still working on a task",
        description="Set heartbeat_at on an in-progress task and append a heartbeat to its history (a commit).",
    )
    heartbeat.add_argument("task", help="task id, or the issue number")
    heartbeat.add_argument("--note", default="", help="what the agent is doing")
    heartbeat.add_argument("--by", default="", help="who sends it (default: the assigned agent)")
    heartbeat.set_defaults(handler=_heartbeat)

    cost = verbs.add_parser(
        "cost",
        parents=[common],
        help="record what a task's work cost (an agent workflow step)",
        description="Add one cost report to a task: a history 'cost' event charged to the agent and the cost: total "
        "(usd, tokens_in, tokens_out, requests) summed over reports. Give the numbers, or read them from what the "
        "agent published: the Claude Code action's execution file or the OpenHands resolver's output.jsonl. The "
        "same --source twice records once (default: the Actions run and attempt).",
    )
    cost.add_argument("task", help="task id, or the issue number")
    cost.add_argument("--usd", type=float, help="US dollars this run cost")
    cost.add_argument("--tokens-in", type=int, help="input tokens (prompt, cache reads and writes)")
    cost.add_argument("--tokens-out", type=int, help="output tokens")
    cost.add_argument("--requests", type=int, help="model requests (turns, premium requests)")
    cost.add_argument("--source", default="", help="a key that makes the report idempotent (default: cli:run-<id>-<attempt>)")
    cost.add_argument("--agent", default="", help="charge this agent (default: the task's holder)")
    cost.add_argument(
        "--claude-execution-file",
        metavar="PATH",
        help="the Claude Code action's execution_file output (reads the result message)",
    )
    cost.add_argument(
        "--openhands-output", metavar="PATH", help="the OpenHands resolver's output.jsonl (reads the line of the task's issue)"
    )
    cost.set_defaults(handler=_cost)

    copilot = verbs.add_parser(
        "copilot-usage",
        parents=[common],
        help="charge a day of Copilot premium-request usage to the tasks Copilot held",
        description="Read the organisation's premium-request usage report for one bot user and day (GitHub billing "
        "API; the token needs the organization Administration read permission) and share its billed amount and "
        "requests evenly among the tasks the agent held that day. Re-running the same day records nothing new.",
    )
    copilot.add_argument("--org", required=True, help="the organisation that pays for Copilot")
    copilot.add_argument("--user", required=True, help="the bot user whose usage is the agent's (one user per agent)")
    copilot.add_argument("--day", required=True, help="the day, YYYY-MM-DD (UTC)")
    copilot.add_argument("--agent", default="copilot", help="the profile whose tasks share it (default: copilot)")
    copilot.set_defaults(handler=_copilot_usage)

    forecast = verbs.add_parser(
        "forecast",
        parents=[common],
        help="when will each task start and finish, and the whole queue",
        description="Simulate dispatch over the estimates (dependencies, scopes, agents' capacities): the expected "
        "start and finish of every task, the critical path and the total, as a table or --json. Deterministic: the "
        "same queue and clock give the same answer (LEADFORGE_NOW pins the clock).",
    )
    forecast.add_argument(
        "--agents", default="", metavar="NAME=CAP,...", help="override capacities, e.g. claude=2,copilot=4 (what if)"
    )
    forecast.set_defaults(handler=_forecast)

    findings = verbs.add_parser(
        "from-findings",
        parents=[common],
        help="turn new scan findings into pending tasks (tasks.tasks_from_findings)",
        description="Read a SARIF log from `leadforge scan --sarif` of the default branch; make one pending task per "
        "rule and file group for findings no task has yet (files as the scope, fingerprints recorded), and complete "
        "the tasks whose findings are all gone. Off unless tasks.tasks_from_findings is true.",
    )
    findings.add_argument("--sarif", required=True, metavar="FILE", help="the SARIF log of the scan")
    findings.add_argument("--max-files", type=int, default=10, help="files per task at most (default 10)")
    findings.set_defaults(handler=_from_findings)

    index = verbs.add_parser(
        "index",
        parents=[common],
        help="regenerate docs/TASKS/queue/README.md",
        description="Rewrite the queue README table from the task files (no commit).",
    )
    index.set_defaults(handler=_index)


def _intake(app: App, event: str | None) -> int:
    from leadforge.tasks.intake import intake_command

    return intake_command(app, event)


def _dispatch(app: App) -> int:
    from leadforge.tasks.commands import dispatch_command

    return dispatch_command(app)


def _complete(app: App, event: str | None, pr: int | None, no_dispatch: bool) -> int:
    from leadforge.tasks.complete import complete_command

    return complete_command(app, event, pr, dispatch=not no_dispatch)


def _sweep(app: App) -> int:
    from leadforge.tasks.sweep import sweep_command

    return sweep_command(app)


def _list(app: App, state: list[str] | None, agent: str | None) -> int:
    from leadforge.tasks.commands import list_command

    return list_command(app, state, agent)


def _show(app: App, task: str) -> int:
    from leadforge.tasks.commands import show_command

    return show_command(app, task)


def _heartbeat(app: App, task: str, note: str, by: str) -> int:
    from leadforge.tasks.commands import heartbeat_command

    return heartbeat_command(app, task, note, by)


def _cost(
    app: App,
    task: str,
    usd: float | None,
    tokens_in: int | None,
    tokens_out: int | None,
    requests: int | None,
    source: str,
    agent: str,
    claude_execution_file: str | None,
    openhands_output: str | None,
) -> int:
    from leadforge.tasks.ledger import cost_command

    return cost_command(
        app,
        task,
        usd=usd,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        requests=requests,
        source=source,
        agent=agent,
        claude_execution_file=claude_execution_file,
        openhands_output=openhands_output,
    )


def _copilot_usage(app: App, org: str, user: str, day: str, agent: str) -> int:
    from leadforge.tasks.ledger import copilot_usage_command

    return copilot_usage_command(app, org=org, user=user, day=day, agent=agent)


def _forecast(app: App, agents: str) -> int:
    from leadforge.tasks.commands import forecast_command

    return forecast_command(app, agents)


def _from_findings(app: App, sarif: str, max_files: int) -> int:
    from leadforge.tasks.findings import from_findings_command

    return from_findings_command(app, sarif, max_files)


def _index(app: App) -> int:
    from leadforge.tasks.commands import index_command

    return index_command(app)
