"""`leadforge task`: argument parsing for this area (no heavy imports here)."""

from __future__ import annotations

import argparse
from typing import Any

from leadforge.cli import area_parser


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    _parser, verbs = area_parser(sub, common, "task", "AI task queue: intake, dispatch, complete, sweep, list, show, heartbeat")

    intake = verbs.add_parser(
        "intake", parents=[common], help="turn an AI-task issue (issues opened/edited event) into a queued task file",
        description="Read the issues event ($GITHUB_EVENT_PATH), parse the issue-form body into a task file under "
        "docs/TASKS/queue/pending/, commit and push it, and comment on the issue with the task id. An invalid form "
        "gets a comment saying what is wrong and the needs-info label; no file is written.",
    )
    intake.add_argument("--event", metavar="PATH", help="event payload file (default: $GITHUB_EVENT_PATH)")
    intake.set_defaults(handler=_intake)

    dispatch = verbs.add_parser(
        "dispatch", parents=[common], help="assign ready tasks to agents without overlapping scopes",
        description="Decide which pending tasks are ready (dependencies completed), take them in priority order "
        "(P0 first, then oldest), skip any whose scope overlaps an in-progress task, pick an agent profile with "
        "capacity, move them to in-progress/, create their branches, comment and hand off. --dry-run prints the "
        'plan; --json prints {"assigned":[...],"waiting":[...],"blocked":[...]}.',
    )
    dispatch.set_defaults(handler=_dispatch)

    complete = verbs.add_parser(
        "complete", parents=[common], help="verify a merged task pull request (pull_request closed event)",
        description="Find the task of the closed pull request (its branch, or 'Closes #n'), verify it (merged, "
        "required checks green, changed files inside the scope, acceptance checklist ticked, verify commands), then "
        "move it to completed/, close its issue and dispatch what it unblocked; or comment exactly what failed.",
    )
    complete.add_argument("--event", metavar="PATH", help="event payload file (default: $GITHUB_EVENT_PATH)")
    complete.add_argument("--pr", type=int, metavar="N", help="verify pull request N instead of the event's")
    complete.add_argument("--no-dispatch", action="store_true",
                          help="do not dispatch after completing (the workflow runs ai-task-dispatch.yml instead)")
    complete.set_defaults(handler=_complete)

    sweep = verbs.add_parser(
        "sweep", parents=[common], help="warn about, then re-queue, in-progress tasks without a heartbeat",
        description="For each in-progress task, find its last sign of life (heartbeat, commits on its branch, pull "
        "request activity). Silent for tasks.stale_after_hours: comment a warning. Still silent "
        "tasks.requeue_after_hours after the warning: move it back to pending/. Also reports blocked chains.",
    )
    sweep.set_defaults(handler=_sweep)

    listing = verbs.add_parser("list", parents=[common], help="list tasks by state",
                               description="List the queue: one line per task (or JSON with --json).")
    listing.add_argument("--state", choices=("pending", "in-progress", "completed"), action="append",
                         help="only this state (repeatable)")
    listing.add_argument("--agent", help="only tasks assigned to (or asking for) this agent")
    listing.set_defaults(handler=_list)

    show = verbs.add_parser("show", parents=[common], help="show one task with its history",
                            description="Show one task (id, task-N, N or #N): every field and its history.")
    show.add_argument("task", help="task id, or the issue number")
    show.set_defaults(handler=_show)

    heartbeat = verbs.add_parser(
        "heartbeat", parents=[common], help="record that an agent is still working on a task",
        description="Set heartbeat_at on an in-progress task and append a heartbeat to its history (a commit).",
    )
    heartbeat.add_argument("task", help="task id, or the issue number")
    heartbeat.add_argument("--note", default="", help="what the agent is doing")
    heartbeat.add_argument("--by", default="", help="who sends it (default: the assigned agent)")
    heartbeat.set_defaults(handler=_heartbeat)

    index = verbs.add_parser("index", parents=[common], help="regenerate docs/TASKS/queue/README.md",
                             description="Rewrite the queue README table from the task files (no commit).")
    index.set_defaults(handler=_index)


def _intake(app: Any, event: str | None) -> int:
    from leadforge.tasks.intake import intake_command

    return intake_command(app, event)


def _dispatch(app: Any) -> int:
    from leadforge.tasks.commands import dispatch_command

    return dispatch_command(app)


def _complete(app: Any, event: str | None, pr: int | None, no_dispatch: bool) -> int:
    from leadforge.tasks.complete import complete_command

    return complete_command(app, event, pr, dispatch=not no_dispatch)


def _sweep(app: Any) -> int:
    from leadforge.tasks.sweep import sweep_command

    return sweep_command(app)


def _list(app: Any, state: list[str] | None, agent: str | None) -> int:
    from leadforge.tasks.commands import list_command

    return list_command(app, state, agent)


def _show(app: Any, task: str) -> int:
    from leadforge.tasks.commands import show_command

    return show_command(app, task)


def _heartbeat(app: Any, task: str, note: str, by: str) -> int:
    from leadforge.tasks.commands import heartbeat_command

    return heartbeat_command(app, task, note, by)


def _index(app: Any) -> int:
    from leadforge.tasks.commands import index_command

    return index_command(app)
