"""Text forms of a metrics report: CSV, a Markdown report (issue comment, job summary, docs/metrics), a terminal table."""

from __future__ import annotations

import csv
import io
from typing import Any

CSV_COLUMNS = (
    "agent",
    "kind",
    "assigned",
    "completed",
    "requeued",
    "failed_verification",
    "lead_time_median_h",
    "lead_time_p90_h",
    "cycle_time_median_h",
    "cycle_time_p90_h",
    "review_rounds",
    "reviewed_prs",
    "scope_violations",
    "reverts",
    "lines_added",
    "lines_removed",
    "hours_saved",
    "estimate_vs_actual",
    "keystrokes_saved",
)


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "agent": row["agent"],
        "kind": row["kind"],
        "assigned": row["assigned"],
        "completed": row["completed"],
        "requeued": row["requeued"],
        "failed_verification": row["failed_verification"],
        "lead_time_median_h": row["lead_time_hours"]["median"],
        "lead_time_p90_h": row["lead_time_hours"]["p90"],
        "cycle_time_median_h": row["cycle_time_hours"]["median"],
        "cycle_time_p90_h": row["cycle_time_hours"]["p90"],
        "review_rounds": row["review_rounds"],
        "reviewed_prs": row["reviewed_prs"],
        "scope_violations": row["scope_violations"],
        "reverts": row["reverts"],
        "lines_added": row["lines_added"],
        "lines_removed": row["lines_removed"],
        "hours_saved": row["hours_saved"],
        "estimate_vs_actual": row["estimate_vs_actual"],
        "keystrokes_saved": row["keystrokes_saved"],
    }


def to_csv(report: dict[str, Any]) -> str:
    """One row per agent plus a ``total`` row; empty cells for values that do not exist."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in [*report["agents"], report["totals"]]:
        writer.writerow({k: ("" if v is None else v) for k, v in _flat(row).items()})
    return buffer.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_markdown(report: dict[str, Any]) -> str:
    head = (
        "| Agent | Kind | Assigned | Completed | Re-queued | Failed verification | Lead time h (median / p90) "
        "| Cycle time h (median / p90) | Review rounds | Scope violations | Reverts | Lines +/− | Hours saved "
        "| Estimate ÷ actual | Keystrokes saved |"
    )
    lines = [head, "|" + "---|" * 15]
    for row in [*report["agents"], report["totals"]]:
        name = f"**{_cell(row['agent'])}**" if row["kind"] == "total" else _cell(row["agent"])
        lines.append(
            "| "
            + " | ".join(
                [
                    name,
                    row["kind"],
                    _num(row["assigned"]),
                    _num(row["completed"]),
                    _num(row["requeued"]),
                    _num(row["failed_verification"]),
                    f"{_num(row['lead_time_hours']['median'])} / {_num(row['lead_time_hours']['p90'])}",
                    f"{_num(row['cycle_time_hours']['median'])} / {_num(row['cycle_time_hours']['p90'])}",
                    _num(row["review_rounds"]),
                    _num(row["scope_violations"]),
                    _num(row["reverts"]),
                    f"+{_num(row['lines_added'])} / −{_num(row['lines_removed'])}",
                    _num(row["hours_saved"]),
                    _num(row["estimate_vs_actual"]),
                    _num(row["keystrokes_saved"]),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def report_markdown(report: dict[str, Any], *, title: str = "Agent metrics") -> str:
    """The full Markdown report: table, how each number is computed, and everything counted as unknown."""
    period = report["period"]
    parts = [f"## {title}: {period['label']}", ""]
    if period["since"] or period["until"]:
        parts += [f"Period: {period['since'] or 'beginning'} to {period['until'] or 'now'} (end exclusive, UTC).", ""]
    if not report["agents"]:
        parts += ["No task activity in this period.", ""]
    parts.append(table_markdown(report))
    parts += ["", "<details><summary>How these numbers are computed</summary>", ""]
    for key, formula in report["formulas"].items():
        parts.append(f"- **{key}**: {formula}")
    parts += ["", "</details>", ""]
    unknown = report["unknown"]
    if unknown:
        parts += [f"<details><summary>Counted as unknown or left out ({len(unknown)})</summary>", ""]
        for item in unknown[:200]:
            parts.append(f"- `{_cell(item['task'])}`: {_cell(item['reason'])}")
        if len(unknown) > 200:
            parts.append(f"- … and {len(unknown) - 200} more (see the JSON report)")
        parts += ["", "</details>", ""]
    sources = report["sources"]
    notes = [f"{sources['tasks']} task files"]
    if sources.get("unreadable"):
        notes.append(f"{sources['unreadable']} unreadable")
    if sources.get("git"):
        notes.append(str(sources["git"]))
    if sources.get("forge"):
        notes.append(str(sources["forge"]))
    parts.append(f"_Sources: {'; '.join(notes)}._")
    return "\n".join(parts).rstrip("\n") + "\n"


def terminal_table(report: dict[str, Any]) -> str:
    """A compact fixed-width table for people at a terminal."""
    columns = (
        "agent",
        "kind",
        "asg",
        "done",
        "reQ",
        "fail",
        "lead p50",
        "cycle p50",
        "revw",
        "scope",
        "revert",
        "+lines",
        "-lines",
        "hours",
    )
    rows = []
    for row in [*report["agents"], report["totals"]]:
        rows.append(
            (
                row["agent"],
                row["kind"],
                _num(row["assigned"]),
                _num(row["completed"]),
                _num(row["requeued"]),
                _num(row["failed_verification"]),
                _num(row["lead_time_hours"]["median"]),
                _num(row["cycle_time_hours"]["median"]),
                _num(row["review_rounds"]),
                _num(row["scope_violations"]),
                _num(row["reverts"]),
                _num(row["lines_added"]),
                _num(row["lines_removed"]),
                _num(row["hours_saved"]),
            )
        )
    widths = [max(len(str(c)) for c in col) for col in zip(columns, *rows, strict=True)]
    out = [f"Agent metrics: {report['period']['label']}"]
    out.append("  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row_cells in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(row_cells, widths, strict=True)))
    if report["unknown"]:
        out.append(f"{len(report['unknown'])} task(s) counted as unknown or left out: see --json for the list")
    return "\n".join(line.rstrip() for line in out)
