"""The cost ledger of a task: reports in, ``cost:`` totals and ``cost`` history events out (pure).

Every report is one history entry ``{event: cost, by: <agent>, note: "usd=0.42 tokens_in=1200 tokens_out=300
requests=2 source=<key>"}``; the ``cost:`` front matter is the sum of those entries. The note is machine-read
(budgets charge each report to its agent in the month it was made), so its shape is fixed here and nowhere else.
A report whose ``source`` key was already recorded on the task is a re-run and records nothing.

Readers for what the agents themselves publish:

* ``claude_execution_cost``: the Claude Code action's ``execution_file`` (the SDK messages; the ``result`` message
  carries ``total_cost_usd``, ``num_turns``, ``usage`` and ``modelUsage``);
* ``openhands_output_cost``: the OpenHands resolver's ``output.jsonl`` (one line per issue, ``metrics.accumulated_cost``
  and ``metrics.accumulated_token_usage``);
* ``copilot_usage_cost``: GitHub's premium-request usage report (``usageItems[].netAmount`` / ``grossQuantity``);
* ``trailer_costs``: ``Leadforge-Cost: usd=.. tokens_in=.. tokens_out=.. requests=..`` lines in a PR body, a commit
  message or a marked PR comment.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadforge.errors import InputError
from leadforge.tasks.taskfile import COST_KEYS, Cost, Task

COST_EVENT = "cost"
TRAILER = "Leadforge-Cost"
COMMENT_MARKER = "leadforge:cost"  # <!-- leadforge:cost --> marks a PR comment that reports a cost
_FIELD = re.compile(r"\b(usd|tokens_in|tokens_out|requests|source)=(\S+)")
_TRAILER_LINE = re.compile(rf"^\s*{TRAILER}\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class CostReport:
    """One history ``cost`` event: when, charged to which agent, how much, from which source."""

    at: str
    agent: str
    cost: Cost
    source: str


def cost_note(cost: Cost, source: str) -> str:
    text = f"usd={cost.usd:.6f}".rstrip("0").rstrip(".")
    if text == "usd=":
        text = "usd=0"
    note = f"{text} tokens_in={cost.tokens_in} tokens_out={cost.tokens_out} requests={cost.requests}"
    return f"{note} source={source}" if source else note


def parse_fields(text: str, where: str) -> tuple[Cost, str]:
    """``usd=.. tokens_in=.. tokens_out=.. requests=.. [source=..]`` -> (cost, source); a bad value names ``where``."""
    values: dict[str, str] = dict(_FIELD.findall(text))
    if not set(values) & set(COST_KEYS):
        raise InputError(f"{where}: no cost fields (write usd=, tokens_in=, tokens_out=, requests=)")
    return _cost_from(values, where), values.get("source", "")


def _cost_from(values: Mapping[str, Any], where: str) -> Cost:
    numbers: dict[str, float] = {}
    for key in COST_KEYS:
        raw = values.get(key, 0)
        try:
            number = float(str(raw).lstrip("$"))
        except ValueError:
            raise InputError(f"{where}: {key} must be a number, got {raw!r}") from None
        if not math.isfinite(number) or number < 0 or (key != "usd" and not number.is_integer()):
            kind = "a non-negative number" if key == "usd" else "a whole number >= 0"
            raise InputError(f"{where}: {key} must be {kind}, got {raw!r}")
        numbers[key] = number
    return Cost(numbers["usd"], int(numbers["tokens_in"]), int(numbers["tokens_out"]), int(numbers["requests"]))


def reports(task: Task) -> list[CostReport]:
    """Every cost report in the task's history, oldest first (entries that do not parse are skipped)."""
    found = []
    for entry in task.history:
        if entry.event != COST_EVENT:
            continue
        try:
            cost, source = parse_fields(entry.note, task.id)
        except InputError:
            continue
        found.append(CostReport(entry.at, entry.by, cost, source))
    return found


def recorded_sources(task: Task) -> set[str]:
    return {r.source for r in reports(task) if r.source}


def record_cost(task: Task, cost: Cost, *, at: str, agent: str, source: str) -> Task | None:
    """The task with one more cost report (total updated), or None when ``source`` is already recorded."""
    if source and source in recorded_sources(task):
        return None
    total = (task.cost or Cost()).plus(cost)
    return task.with_event(COST_EVENT, at=at, by=agent, note=cost_note(cost, source), cost=total)


# ---- what agents publish -------------------------------------------------------------------------------------------


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return 0.0
    return float(value)


def _json_documents(text: str, where: str) -> list[Any]:
    """A JSON document, or JSON lines (one document per non-empty line)."""
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{where}: the file is empty")
    try:
        return [json.loads(stripped)]
    except json.JSONDecodeError:
        pass
    documents = []
    for number, line in enumerate(stripped.splitlines(), 1):
        if not line.strip():
            continue
        try:
            documents.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise InputError(f"{where}: line {number} is not JSON ({err.msg})") from None
    return documents


def claude_execution_cost(text: str, where: str = "execution file") -> Cost:
    """The Claude Code action's execution file: the last ``result`` message's cost, tokens and turns."""
    messages: list[Any] = []
    for document in _json_documents(text, where):
        messages.extend(document if isinstance(document, list) else [document])
    results = [m for m in messages if isinstance(m, dict) and m.get("type") == "result"]
    if not results:
        raise InputError(f"{where}: no message with type 'result' (is this the action's execution_file output?)")
    result = results[-1]
    tokens_in = tokens_out = 0
    model_usage = result.get("modelUsage")
    if isinstance(model_usage, dict) and model_usage:
        for usage in model_usage.values():
            if not isinstance(usage, dict):
                continue
            tokens_in += int(
                _number(usage.get("inputTokens"))
                + _number(usage.get("cacheReadInputTokens"))
                + _number(usage.get("cacheCreationInputTokens"))
            )
            tokens_out += int(_number(usage.get("outputTokens")))
    elif isinstance(result.get("usage"), dict):
        usage = result["usage"]
        tokens_in = int(
            _number(usage.get("input_tokens"))
            + _number(usage.get("cache_read_input_tokens"))
            + _number(usage.get("cache_creation_input_tokens"))
        )
        tokens_out = int(_number(usage.get("output_tokens")))
    usd = _number(result.get("total_cost_usd", result.get("cost_usd")))
    return Cost(round(usd, 6), tokens_in, tokens_out, int(_number(result.get("num_turns"))))


def openhands_output_cost(text: str, issue: int | None = None, where: str = "output.jsonl") -> Cost:
    """The OpenHands resolver's output.jsonl: ``metrics`` of the line for ``issue`` (every line when None)."""
    total = Cost()
    matched = 0
    for document in _json_documents(text, where):
        if not isinstance(document, dict):
            continue
        number = (document.get("issue") or {}).get("number") if isinstance(document.get("issue"), dict) else None
        if issue is not None and number != issue:
            continue
        metrics = document.get("metrics") or {}
        if not isinstance(metrics, dict):
            continue
        matched += 1
        usage = metrics.get("accumulated_token_usage") or {}
        usage = usage if isinstance(usage, dict) else {}
        calls = metrics.get("token_usages") or metrics.get("costs") or []
        total = total.plus(
            Cost(
                round(_number(metrics.get("accumulated_cost")), 6),
                int(_number(usage.get("prompt_tokens"))),
                int(_number(usage.get("completion_tokens"))),
                len(calls) if isinstance(calls, list) else 0,
            )
        )
    if not matched:
        what = f"issue #{issue}" if issue is not None else "any issue"
        raise InputError(f"{where}: no line with metrics for {what}")
    return total


def copilot_usage_cost(payload: Any, where: str = "premium request usage") -> Cost:
    """GitHub's premium-request (or AI-credit) usage report: billed amount and premium requests.

    ``netAmount`` is what the organisation pays after the included allowance; ``grossQuantity`` counts the
    premium requests. The report has no token counts.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("usageItems", []), list):
        raise InputError(f"{where}: expected an object with a usageItems list")
    usd = 0.0
    requests = 0.0
    for item in payload.get("usageItems") or []:
        if not isinstance(item, dict):
            continue
        usd += _number(item.get("netAmount"))
        if str(item.get("unitType", "requests")).lower() in {"requests", "request", "premium_requests", "credits"}:
            requests += _number(item.get("grossQuantity"))
    return Cost(round(usd, 6), 0, 0, round(requests))


def trailer_costs(text: str, where: str) -> list[tuple[Cost, str]]:
    """Every ``Leadforge-Cost:`` line in ``text`` (a PR body, a commit message, a comment)."""
    found = []
    for match in _TRAILER_LINE.finditer(text or ""):
        found.append(parse_fields(match.group(1), f"{where}: {TRAILER}"))
    return found


def split_evenly(cost: Cost, parts: Sequence[str]) -> dict[str, Cost]:
    """A cost shared by several tasks (a day of Copilot usage): equal shares, the remainder to the first."""
    if not parts:
        return {}
    n = len(parts)
    usd_share = round(cost.usd / n, 6)
    shares = {}
    for index, name in enumerate(parts):
        first = index == 0
        shares[name] = Cost(
            round(cost.usd - usd_share * (n - 1), 6) if first else usd_share,
            cost.tokens_in // n + (cost.tokens_in % n if first else 0),
            cost.tokens_out // n + (cost.tokens_out % n if first else 0),
            cost.requests // n + (cost.requests % n if first else 0),
        )
    return shares
