"""``leadforge task cost`` and ``task copilot-usage``: cost reports into task files (effects; the rules are in costs.py).

A report is a commit on the queue (history ``cost`` event + ``cost:`` total), through the same re-deciding
``transact`` as every queue change, so racing reporters never lose one. Each report has a ``source`` key; the same
key twice records once (a re-run of an agent's workflow step changes nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import InputError, NotFoundError
from leadforge.tasks.costs import (
    COMMENT_MARKER,
    claude_execution_cost,
    copilot_usage_cost,
    openhands_output_cost,
    record_cost,
    split_evenly,
    trailer_costs,
)
from leadforge.tasks.service import BOT, current_time, find_task, options, transact_queue
from leadforge.tasks.store import Queue, load_queue, write_index, write_task
from leadforge.tasks.taskfile import Cost, Task, parse_timestamp

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.forge.models import Comment, PullRequest


@dataclass
class CostOutcome:
    recorded: list[dict[str, Any]] = field(default_factory=list)  # {task, agent, source, cost}
    skipped: list[dict[str, str]] = field(default_factory=list)  # {task, source, reason}
    commit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"recorded": self.recorded, "skipped": self.skipped, "commit": self.commit}


def record_reports(app: App, wanted: Sequence[tuple[str, Cost, str, str]]) -> CostOutcome:
    """Record ``(task id, cost, source, agent)`` reports in one queue commit; known sources are skipped."""
    opts = options(app)
    outcome = CostOutcome()

    def apply() -> str | None:
        outcome.recorded.clear()
        outcome.skipped.clear()
        queue = load_queue(app.repo)
        tasks = queue.by_id()
        changed: list[str] = []
        now = current_time(app)
        for task_id, cost, source, agent in wanted:
            task = tasks.get(task_id)
            if task is None:
                raise NotFoundError(f"task {task_id}: not found in the queue")
            charged = agent or task.assigned_to or BOT
            new = record_cost(task, cost, at=now, agent=charged, source=source)
            if new is None:
                outcome.skipped.append({"task": task_id, "source": source, "reason": "already recorded"})
                continue
            tasks[task_id] = new
            outcome.recorded.append(
                {
                    "task": task_id,
                    "agent": charged,
                    "source": source,
                    "cost": cost.to_dict(),
                    "total": (new.cost or Cost()).to_dict(),
                }
            )
            path = new.relpath().as_posix()
            if path not in changed:
                changed.append(path)
        if app.dry_run or not changed:
            return None
        for task_id in {r["task"] for r in outcome.recorded}:
            write_task(app.repo, tasks[task_id])
        index = write_index(app.repo, Queue(tuple(tasks.values()), queue.errors))
        if index:
            changed.append(index)
        app.git.add(changed)
        ids = ", ".join(sorted({r["task"] for r in outcome.recorded}))
        return f"tasks: cost of {ids}\n\n[skip ci]"

    if app.dry_run:
        apply()
        for record in outcome.recorded:
            app.out.would(f"record {record['cost']['usd']} USD on {record['task']} (source {record['source']})")
        return outcome
    outcome.commit = transact_queue(app, opts, apply)
    return outcome


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def cost_command(
    app: App,
    task_id: str,
    *,
    usd: float | None,
    tokens_in: int | None,
    tokens_out: int | None,
    requests: int | None,
    source: str,
    agent: str,
    claude_execution_file: str | None,
    openhands_output: str | None,
) -> int:
    task = find_task(app.repo, task_id)
    parts: list[tuple[Cost, str]] = []
    if claude_execution_file:
        parts.append((claude_execution_cost(_read(claude_execution_file), claude_execution_file), "claude"))
    if openhands_output:
        parts.append((openhands_output_cost(_read(openhands_output), task.issue, openhands_output), "openhands"))
    given = [v for v in (usd, tokens_in, tokens_out, requests) if v is not None]
    if given:
        for name, value in (("--usd", usd), ("--tokens-in", tokens_in), ("--tokens-out", tokens_out), ("--requests", requests)):
            if value is not None and value < 0:
                raise InputError(f"{name}: must be >= 0, got {value}")
        parts.append((Cost(float(usd or 0.0), int(tokens_in or 0), int(tokens_out or 0), int(requests or 0)), "cli"))
    if not parts:
        raise InputError(
            "task cost: give --usd/--tokens-in/--tokens-out/--requests, --claude-execution-file or --openhands-output"
        )
    run = app.env.get("GITHUB_RUN_ID", "")
    attempt = app.env.get("GITHUB_RUN_ATTEMPT", "")
    wanted = []
    for cost, kind in parts:
        key = source or (f"{kind}:run-{run}-{attempt or 1}" if run else f"{kind}:{uuid.uuid4().hex[:12]}")
        if source and len(parts) > 1:
            key = f"{source}:{kind}"
        wanted.append((task.id, cost, key, agent))
    outcome = record_reports(app, wanted)
    lines = [
        f"{r['task']}: +{r['cost']['usd']:g} USD, {r['cost']['tokens_in']} in / {r['cost']['tokens_out']} out tokens, "
        f"{r['cost']['requests']} requests (source {r['source']}); total {r['total']['usd']:g} USD"
        for r in outcome.recorded
    ]
    lines += [f"{s['task']}: source {s['source']} already recorded, nothing changed" for s in outcome.skipped]
    app.out.result(outcome.to_dict(), "\n".join(lines))
    return 0


# ---- completion: what the pull request says it cost ---------------------------------------------------------------


def pull_cost_reports(task: Task, pull: PullRequest, comments: Sequence[Comment]) -> list[tuple[str, Cost, str, str]]:
    """``Leadforge-Cost:`` lines in the PR body, and in comments marked ``<!-- leadforge:cost -->`` written by the PR's
    author or an app bot (anyone may comment; only the agent's own word is a bill)."""
    found: list[tuple[str, Cost, str, str]] = []
    for index, (cost, given) in enumerate(trailer_costs(pull.body or "", f"#{pull.number} body")):
        found.append((task.id, cost, given or f"pr-{pull.number}:body:{index}", ""))
    tag = f"<!-- {COMMENT_MARKER} -->"
    for comment in comments:
        if tag not in comment.body:
            continue
        if not (comment.author == pull.author or comment.author.endswith("[bot]")):
            continue
        for index, (cost, given) in enumerate(trailer_costs(comment.body, f"#{pull.number} comment {comment.id}")):
            found.append((task.id, cost, given or f"pr-{pull.number}:comment-{comment.id}:{index}", ""))
    return found


# ---- Copilot: the organisation's premium-request usage, per bot user and day ----------------------------------------


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--day: expected YYYY-MM-DD, got {value!r}") from None


def held_on(task: Task, day: date, agent: str) -> bool:
    """Whether ``agent`` held ``task`` at some moment of ``day`` (UTC), from its history."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    holding_since: datetime | None = None
    for entry in task.history:
        at = parse_timestamp(entry.at)
        if at is None:
            continue
        if entry.event == "assigned" and entry.note.split(" ", 1)[0] == agent:
            holding_since = at
        elif entry.event in {"requeued", "completed"} and holding_since is not None:
            if holding_since < end and at >= start:
                return True
            holding_since = None
    return holding_since is not None and holding_since < end and task.state == "in-progress"


def copilot_usage_command(app: App, *, org: str, user: str, day: str, agent: str) -> int:
    """Read one day of ``user``'s premium-request usage and share it among the tasks ``agent`` held that day."""
    when = _day(day)
    report: Mapping[str, Any] = app.forge.premium_request_usage(org, year=when.year, month=when.month, day=when.day, user=user)
    cost = copilot_usage_cost(report)
    queue = load_queue(app.repo)
    held = sorted(t.id for t in queue.tasks if held_on(t, when, agent))
    shares = split_evenly(cost, held)
    wanted = [(task_id, share, f"copilot:{org}:{user}:{when.isoformat()}", agent) for task_id, share in shares.items()]
    outcome = record_reports(app, wanted) if wanted else CostOutcome()
    data = {"org": org, "user": user, "day": when.isoformat(), "usage": cost.to_dict(), "tasks": held, **outcome.to_dict()}
    if not held:
        human = (
            f"{user} on {when}: {cost.usd:g} USD, {cost.requests} premium requests; no task held by {agent} that day "
            "(nothing recorded)"
        )
    else:
        human = (
            f"{user} on {when}: {cost.usd:g} USD, {cost.requests} premium requests shared by {len(held)} task(s): "
            + ", ".join(held)
            + (f" ({len(outcome.skipped)} already recorded)" if outcome.skipped else "")
        )
    app.out.result(data, human)
    return 0


__all__ = ["copilot_usage_command", "cost_command", "pull_cost_reports", "record_reports"]
