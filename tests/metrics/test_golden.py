"""`leadforge metrics` on a real repository whose answers were worked out by hand (tests/metrics/scenario.py)."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from tests.metrics import scenario

GOLDEN = Path(__file__).with_name("golden") / "week-2026-W46.json"


@pytest.fixture
def history(git_repo):
    scenario.build(git_repo)
    return git_repo


def _report(run_cli, repo, *args: str) -> dict:
    result = run_cli("metrics", *args, "--json", repo=repo.path)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def _row(report: dict, agent: str) -> dict:
    rows = {r["agent"]: r for r in report["agents"]}
    assert agent in rows, sorted(rows)
    return rows[agent]


def test_week_report_matches_the_golden_file(run_cli, history) -> None:
    report = _report(run_cli, history, "--week", "2026-W46")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    assert report == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_copilot_row_has_the_hand_computed_numbers(run_cli, history) -> None:
    row = _row(_report(run_cli, history, "--week", "2026-W46"), "copilot")
    assert row["kind"] == "agent"
    assert (row["assigned"], row["completed"], row["requeued"], row["failed_verification"]) == (2, 1, 1, 0)
    assert row["lead_time_hours"] == {"median": 7.0, "p90": 7.0}
    assert row["cycle_time_hours"] == {"median": 5.0, "p90": 5.0}  # assigned 09:00 -> merge commit 14:00
    assert (row["lines_added"], row["lines_removed"], row["reverts"], row["scope_violations"]) == (10, 0, 1, 0)
    assert row["hours_saved"] == 4.0 and row["estimate_vs_actual"] == 0.8
    assert row["keystrokes_saved"] == 10 * 35


def test_claude_row_counts_the_reassigned_task_and_the_scope_violation(run_cli, history) -> None:
    row = _row(_report(run_cli, history, "--week", "2026-W46"), "claude")
    assert (row["assigned"], row["completed"], row["requeued"], row["failed_verification"]) == (2, 1, 0, 1)
    assert row["lead_time_hours"]["median"] == 35.0 and row["cycle_time_hours"]["median"] == 23.0
    assert row["scope_violations"] == 1  # docs/other.md is outside src/search/**
    assert (row["lines_added"], row["lines_removed"]) == (31, 2)  # squash #12 (+25) and merge #13 (+6 -2)
    assert row["keystrokes_saved"] == 31 * 35 + 2 * 2
    assert row["completed_tasks"] == ["task-2"]


def test_humans_are_their_own_rows(run_cli, history) -> None:
    report = _report(run_cli, history, "--week", "2026-W46")
    mona = _row(report, "mona")
    assert mona["kind"] == "human" and mona["completed"] == 1 and mona["assigned"] == 0
    assert mona["lead_time_hours"]["median"] == 108.0 and mona["cycle_time_hours"]["median"] == 95.0
    reverter = _row(report, "Test Author")  # the revert on main belongs to no task
    assert reverter["kind"] == "human" and (reverter["lines_added"], reverter["lines_removed"]) == (0, 10)


def test_unknowns_are_counted_and_listed_never_dropped(run_cli, history) -> None:
    report = _report(run_cli, history, "--week", "2026-W46")
    assert _row(report, "unknown")["completed"] == 1
    listed = {(u["task"], u["reason"].split(":")[0]) for u in report["unknown"]}
    assert ("task-5", "completed task without completed_at") in listed
    assert ("docs/TASKS/queue/pending/bad.md", "unreadable task file") in listed
    totals = report["totals"]
    assert totals["completed"] == 4 and totals["assigned"] == 4
    assert totals["lead_time_hours"] == {"median": 35.0, "p90": 93.4}
    assert totals["cycle_time_hours"] == {"median": 23.0, "p90": 80.6}
    assert (totals["lines_added"], totals["lines_removed"]) == (42, 13)


def test_next_week_counts_only_its_own_task(run_cli, history) -> None:
    report = _report(run_cli, history, "--since", "2026-11-16", "--until", "2026-11-22")
    claude = _row(report, "claude")
    assert claude["completed_tasks"] == ["task-7"] and claude["assigned"] == 1
    assert {r["agent"] for r in report["agents"]} == {"claude", "unknown"}


def test_csv_has_one_row_per_agent_and_a_total(run_cli, history) -> None:
    result = run_cli("metrics", "--week", "2026-W46", "--csv", repo=history.path)
    assert result.code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["agent"] for r in rows][-1] == "total"
    assert {r["agent"] for r in rows} >= {"copilot", "claude", "mona", "unknown"}
    assert next(r for r in rows if r["agent"] == "copilot")["lead_time_median_h"] == "7.0"


def test_json_and_csv_together_is_a_one_line_error(run_cli, history) -> None:
    result = run_cli("metrics", "--csv", "--json", repo=history.path)
    assert result.code == 1 and "--json and --csv" in result.stderr and result.stdout == ""


def test_empty_queue_gives_an_empty_valid_report(run_cli, tmp_path: Path) -> None:
    result = run_cli("metrics", "--json", repo=tmp_path)  # not even a git repository
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["agents"] == [] and report["unknown"] == []
    assert report["totals"]["completed"] == 0 and report["totals"]["lead_time_hours"] == {"median": None, "p90": None}
    assert "unavailable" in report["sources"]["git"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "2026-02-30"), "--since: expected a date"),
        (("--week", "2026-W60"), "--week"),
        (("--week", "2026-W01", "--since", "2026-01-01"), "cannot be combined"),
        (("--since", "2026-02-02", "--until", "2026-02-01"), "must be after"),
    ],
)
def test_bad_period_is_a_one_line_error(run_cli, tmp_path: Path, args, message) -> None:
    result = run_cli("metrics", *args, repo=tmp_path)
    assert result.code == 1 and message in result.stderr and result.stderr.count("\n") == 1


def test_report_dry_run_writes_and_posts_nothing(run_cli, history) -> None:
    result = run_cli("--dry-run", "metrics", "report", "--week", "2026-W46", "--post", "--commit", repo=history.path)
    assert result.code == 0, result.stderr
    assert "[dry-run] would write docs/metrics/2026-W46.json" in result.stderr
    assert "upsert the comment marked metrics:2026-W46" in result.stderr
    assert not (history.path / "docs" / "metrics").exists()
    assert not (history.path / ".leadforge" / "forge" / "state.json").exists()


def test_report_writes_json_and_markdown_with_the_formula(run_cli, history) -> None:
    result = run_cli("metrics", "report", "--week", "2026-W46", "--json", repo=history.path)
    assert result.code == 0, result.stderr
    written = json.loads((history.path / "docs/metrics/2026-W46.json").read_text())
    assert written == json.loads(GOLDEN.read_text(encoding="utf-8"))
    markdown = (history.path / "docs/metrics/2026-W46.md").read_text()
    assert "lines_added x 35 + lines_removed x 2" in markdown
    assert "| copilot | agent | 2 | 1 | 1 | 0 | 7 / 7 | 5 / 5 |" in markdown
    assert "`task-5`: completed task without completed_at" in markdown
