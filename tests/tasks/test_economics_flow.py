"""Queue economics end to end on real git: cost reports, budgets and their comments, tracking issues for hand-written
tasks, over-budget stops and recurring tasks in the sweep, forecast, tasks from findings, Copilot usage from the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadforge.forge.local import LocalForge
from leadforge.forge.models import ChangedFile
from leadforge.tasks.store import load_queue
from tests.fixtures.events import load_event
from tests.tasks.conftest import add_profiles, add_task
from tests.tasks.test_flow import _merge_branch, write_event

NOW = {"LEADFORGE_NOW": "2026-03-10T12:00:00Z"}
CLAUDE = (
    'name: claude\nhandoff:\n  comment: "@claude please implement {id}"\ncapacity: 3\nweight: 50\n'
    "budget:\n  usd_per_month: 10\n  usd_per_task: 3\n"
)
HUMAN = "name: human\nhandoff:\n  label: needs-human\ncapacity: 5\nweight: 0\nextra:\n  kind: human\n"


@pytest.fixture
def repo(git_repo):
    add_profiles(git_repo.path, {"claude": CLAUDE, "human": HUMAN})
    git_repo.commit("chore: profiles")
    return git_repo


def _cli_json(run_cli, repo, *argv: str, env: dict[str, str] | None = None) -> dict:
    result = run_cli(*argv, "--json", repo=repo.path, env={**NOW, **(env or {})})
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_task_cost_records_a_report_once_per_source_and_reads_agent_usage_files(repo, run_cli, tmp_path) -> None:
    add_task(repo.path, "task-1", state="in-progress", issue=1, assigned_to="claude", assigned_at="2026-03-09T00:00:00Z")
    repo.commit("queue")
    data = _cli_json(
        run_cli,
        repo,
        "task",
        "cost",
        "task-1",
        "--usd",
        "1.25",
        "--tokens-in",
        "1000",
        "--tokens-out",
        "200",
        "--requests",
        "3",
        "--source",
        "claude:run-1",
    )
    assert data["recorded"][0]["total"] == {"usd": 1.25, "tokens_in": 1000, "tokens_out": 200, "requests": 3}
    assert "tasks: cost of task-1" in repo.git("log", "-1", "--format=%s")
    again = _cli_json(run_cli, repo, "task", "cost", "task-1", "--usd", "1.25", "--source", "claude:run-1")
    assert again["recorded"] == [] and again["skipped"][0]["reason"] == "already recorded"
    execution = tmp_path / "claude-execution-output.json"
    execution.write_text(
        json.dumps(
            [{"type": "result", "total_cost_usd": 0.5, "num_turns": 4, "usage": {"input_tokens": 10, "output_tokens": 20}}]
        ),
        encoding="utf-8",
    )
    _cli_json(run_cli, repo, "task", "cost", "1", "--claude-execution-file", str(execution), env={"GITHUB_RUN_ID": "77"})
    task = load_queue(repo.path).get("task-1")
    assert task is not None and task.cost is not None
    assert (task.cost.usd, task.cost.tokens_in, task.cost.tokens_out, task.cost.requests) == (1.75, 1010, 220, 7)
    assert [h.note.split("source=")[1] for h in task.history if h.event == "cost"] == ["claude:run-1", "claude:run-77-1"]
    bad = run_cli("task", "cost", "task-1", "--usd", "-2", repo=repo.path, env=NOW)
    assert bad.code == 1 and "--usd: must be >= 0" in bad.stderr
    missing = run_cli("task", "cost", "task-1", "--openhands-output", str(tmp_path / "none.jsonl"), repo=repo.path, env=NOW)
    assert missing.code == 1 and "none.jsonl: file not found" in missing.stderr


def test_completion_reads_the_cost_trailer_and_the_agents_marked_comment(repo, run_cli, tmp_path) -> None:
    forge = LocalForge(repo.path, "local/repo")
    issue = forge.open_issue("Work", "").number
    add_task(repo.path, f"task-{issue}", issue=issue, scope=("src/**",))
    repo.commit("queue")
    run_cli("task", "dispatch", repo=repo.path, env=NOW)
    task = load_queue(repo.path).get(f"task-{issue}")
    assert task is not None and task.branch
    head = _merge_branch(repo, task.branch, {"src/app.py": "x = 1\n"})
    body = f"Closes #{issue}\n\nLeadforge-Cost: usd=0.80 tokens_in=50000 tokens_out=2000 requests=9\n"
    pull = forge.open_pull("Work", head=task.branch, body=body, head_sha=head, files=[ChangedFile("src/app.py", "added", 1, 0)])
    forge.merge_pull(pull.number)
    forge.add_comment_as(pull.number, "<!-- leadforge:cost -->\nLeadforge-Cost: usd=0.20 requests=1", "claude[bot]")
    forge.add_comment_as(pull.number, "<!-- leadforge:cost -->\nLeadforge-Cost: usd=500", "mallory")  # not the agent
    payload = load_event(
        "pull_request.closed.merged",
        **{
            "pull_request.number": pull.number,
            "pull_request.body": body,
            "pull_request.head.ref": task.branch,
            "pull_request.head.sha": head,
        },
    )
    event = write_event(tmp_path, "pr", payload)
    assert run_cli("task", "complete", "--event", str(event), "--no-dispatch", repo=repo.path, env=NOW).code == 0
    done = load_queue(repo.path).get(f"task-{issue}")
    assert done is not None and done.state == "completed" and done.cost is not None
    assert (done.cost.usd, done.cost.tokens_in, done.cost.requests) == (1.0, 50000, 10)
    assert [h.event for h in done.history][-4:] == ["cost", "cost", "verified", "completed"]


def test_dispatch_holds_work_over_budget_and_comments_once_per_threshold(repo, run_cli) -> None:
    from leadforge.tasks.costs import record_cost
    from leadforge.tasks.store import write_task
    from leadforge.tasks.taskfile import Cost, Task

    done = Task(
        id="done", title="d", state="completed", assigned_to="claude", estimate_hours=4.0, completed_at="2026-03-05T00:00:00Z"
    )
    billed = record_cost(done, Cost(8.5), at="2026-03-05T00:00:00Z", agent="claude", source="s")
    assert billed is not None
    write_task(repo.path, billed)
    forge = LocalForge(repo.path, "local/repo")
    number = forge.open_issue("Cheap", "").number
    add_task(repo.path, "cheap", issue=number, agent="claude", estimate_hours=1.0)  # 1 h x 2.125 USD/h > 10 - 8.5
    repo.commit("queue")
    data = _cli_json(run_cli, repo, "task", "dispatch")
    assert data["assigned"] == []
    assert data["waiting"][0]["reason"].startswith("agent claude: budget claude.budget.usd_per_month: 8.50 spent")
    assert data["budget_alerts"] == [
        {
            "scope": "claude",
            "limit": "usd_per_month",
            "threshold": 80,
            "used": 8.5,
            "cap": 10.0,
            "percent": 85.0,
            "month": "2026-03",
        }
    ]
    tracking = list(forge.list_issues(labels=["leadforge-budget"]))
    assert [i.title for i in tracking] == ["LeadForge AI budget"]
    comments = forge.list_issue_comments(tracking[0].number)
    assert len(comments) == 1 and "budget claude.budget.usd_per_month is at 85%" in comments[0].body
    _cli_json(run_cli, repo, "task", "dispatch")  # a re-run edits the same comment, no second one
    assert len(forge.list_issue_comments(tracking[0].number)) == 1
    summary = Path(repo.path / "summary.md")
    run_cli("task", "dispatch", repo=repo.path, env={**NOW, "GITHUB_STEP_SUMMARY": str(summary)})
    assert "past 80%" in summary.read_text(encoding="utf-8")


def test_dispatch_opens_the_tracking_issue_of_a_hand_written_task_before_the_hand_off(repo, run_cli) -> None:
    add_task(repo.path, "write-docs", scope=("docs/**",), acceptance=("Docs exist",), body="Write the docs.\n")
    repo.commit("queue")
    data = _cli_json(run_cli, repo, "task", "dispatch")
    assert data["assigned"][0]["task"] == "write-docs" and data["assigned"][0]["opens_issue"] is True
    task = load_queue(repo.path).get("write-docs")
    assert task is not None and task.issue is not None and task.history[-1].event == "issue-opened"
    forge = LocalForge(repo.path, "local/repo")
    issue = forge.get_issue(task.issue)
    assert issue.title == "Title of write-docs" and "leadforge-task" in issue.labels
    assert "Write the docs." in issue.body and "- [ ] Docs exist" in issue.body
    bodies = [c.body for c in forge.list_issue_comments(task.issue)]
    assert any("@claude please implement write-docs" in b for b in bodies)  # the hand-off went to the new issue
    assert repo.git("status", "--porcelain", "docs") == ""


def test_sweep_stops_a_task_over_its_per_task_budget_and_queues_due_recurring_tasks(repo, run_cli) -> None:
    from leadforge.tasks.costs import record_cost
    from leadforge.tasks.store import write_task
    from leadforge.tasks.taskfile import Cost

    forge = LocalForge(repo.path, "local/repo")
    number = forge.open_issue("Pricey", "").number
    task = add_task(
        repo.path,
        "pricey",
        state="in-progress",
        issue=number,
        assigned_to="claude",
        assigned_at="2026-03-10T10:00:00Z",
        branch="ai/pricey-x",
    )
    billed = record_cost(task, Cost(3.4), at="2026-03-10T11:00:00Z", agent="claude", source="s")
    assert billed is not None
    write_task(repo.path, billed)
    repo.write(
        "docs/TASKS/recurring/deps-refresh.md",
        '---\ntitle: Refresh dependencies\nschedule: "0 6 * * 1"\ntype: chore\nscope: [uv.lock]\n---\n\nRun uv lock.\n',
    )
    repo.write("docs/TASKS/recurring/broken.md", "---\ntitle: x\nschedule: every monday\n---\n")
    repo.commit("queue and templates")
    data = _cli_json(run_cli, repo, "task", "sweep")
    assert data["stopped"] == [
        {"task": "pricey", "reason": "cost 3.40 USD passed claude.budget.usd_per_task 3.00 USD: stopped and re-queued to human"}
    ]
    assert data["instantiated"] == [
        {"task": "deps-refresh-20260309t0600", "template": "deps-refresh", "period": "2026-03-09T06:00:00Z"}
    ]
    assert data["template_errors"][0]["file"] == "docs/TASKS/recurring/broken.md"
    queue = load_queue(repo.path)
    stopped = queue.get("pricey")
    assert stopped is not None and (stopped.state, stopped.agent, stopped.assigned_to) == ("pending", "human", None)
    assert stopped.history[-1].event == "requeued" and "usd_per_task" in stopped.history[-1].note
    instance = queue.get("deps-refresh-20260309t0600")
    assert instance is not None and instance.from_template == "deps-refresh" and instance.scope == ("uv.lock",)
    head = repo.git("rev-parse", "HEAD")
    again = _cli_json(run_cli, repo, "task", "sweep")  # idempotent: the period's instance exists, nothing over budget
    assert again["instantiated"] == [] and again["stopped"] == [] and repo.git("rev-parse", "HEAD") == head
    # the next dispatch gives the stopped task to the person
    plan = _cli_json(run_cli, repo, "task", "dispatch")
    assert {"task": "pricey", "agent": "human"}.items() <= next(a for a in plan["assigned"] if a["task"] == "pricey").items()
    assert any("was stopped: cost 3.40 USD" in c.body for c in forge.list_issue_comments(number))


def test_forecast_prints_a_table_and_json(repo, run_cli) -> None:
    add_task(repo.path, "a", issue=1, estimate_hours=2.0, scope=("src/a/**",))
    add_task(repo.path, "b", issue=2, estimate_hours=3.0, depends_on=("a",), scope=("src/b/**",))
    add_task(repo.path, "c", issue=3, estimate_hours=1.0, scope=("src/c/**",))
    repo.commit("queue")
    data = _cli_json(run_cli, repo, "task", "forecast", "--agents", "claude=1,human=0")
    assert data["total_hours"] == 6.0 and data["critical_path"] == ["a", "b"] and data["capacity"] == 1
    assert [(s["task"], s["start_hours"], s["finish_hours"]) for s in data["tasks"]] == [
        ("a", 0.0, 2.0),
        ("b", 2.0, 5.0),
        ("c", 5.0, 6.0),
    ]
    assert data["finish_at"] == "2026-03-10T18:00:00Z"
    table = run_cli("task", "forecast", repo=repo.path, env=NOW)
    assert table.code == 0 and "critical path (*): a -> b" in table.stdout and "total 5 h" in table.stdout
    bad = run_cli("task", "forecast", "--agents", "nobody=2", repo=repo.path, env=NOW)
    assert bad.code == 1 and "--agents: no profile named 'nobody'" in bad.stderr


SARIF_RESULT = {
    "ruleId": "eval-used",
    "level": "error",
    "message": {"text": "eval of input"},
    "partialFingerprints": {},
    "locations": [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "src/a.py"},
                "region": {"startLine": 3, "snippet": {"text": "eval(x)"}},
            }
        }
    ],
}


def _sarif(tmp_path: Path, results: list[dict]) -> Path:
    path = tmp_path / f"scan-{len(list(tmp_path.glob('scan-*')))}.sarif"
    path.write_text(
        json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep", "rules": []}}, "results": results}]}),
        encoding="utf-8",
    )
    return path


def test_from_findings_is_off_by_default_then_queues_once_and_completes_when_fixed(repo, run_cli, tmp_path) -> None:
    scan = _sarif(tmp_path, [SARIF_RESULT])
    off = _cli_json(run_cli, repo, "task", "from-findings", "--sarif", str(scan))
    assert off == {"enabled": False, "created": [], "completed": []}
    repo.commit("config", {".github/leadforge.yml": "version: 1\ntasks:\n  tasks_from_findings: true\n"})
    made = _cli_json(run_cli, repo, "task", "from-findings", "--sarif", str(scan))
    assert len(made["created"]) == 1 and made["created"][0]["scope"] == ["src/a.py"]
    task_id = made["created"][0]["task"]
    assert _cli_json(run_cli, repo, "task", "from-findings", "--sarif", str(scan))["created"] == []  # never twice
    fixed = _cli_json(run_cli, repo, "task", "from-findings", "--sarif", str(_sarif(tmp_path, [])))
    assert [c["task"] for c in fixed["completed"]] == [task_id]
    task = load_queue(repo.path).get(task_id)
    assert task is not None and task.state == "completed" and "no longer reports" in task.history[-1].note


def test_copilot_usage_is_read_from_the_billing_api_and_shared_by_the_days_tasks(github_double, git_repo, run_cli) -> None:
    add_profiles(git_repo.path, {"copilot": "name: copilot\nhandoff:\n  assign: Copilot\ncapacity: 3\n"})
    for name in ("one", "two"):
        add_task(git_repo.path, name, state="in-progress", issue=1, assigned_to="copilot", assigned_at="2026-03-09T08:00:00Z")
    add_task(git_repo.path, "later", state="pending", issue=1)
    from leadforge.tasks.store import write_task

    for name in ("one", "two"):  # the dispatch history entry the agent is read from
        task = load_queue(git_repo.path).get(name)
        assert task is not None
        write_task(
            git_repo.path, task.with_event("assigned", at="2026-03-09T08:00:00Z", note="copilot (assign @Copilot), branch b")
        )
    git_repo.commit("queue")
    org = github_double.owner
    github_double.add_premium_usage("copilot-bot", "2026-03-09", quantity=50, price=0.04, net=1.0)
    github_double.add_premium_usage("copilot-bot", "2026-03-10", quantity=999, price=0.04)  # another day
    env = {**github_double.env(), **NOW}
    usage = ("--forge", "github", "task", "copilot-usage", "--org", org, "--user", "copilot-bot", "--day", "2026-03-09", "--json")
    result = run_cli(*usage, repo=git_repo.path, env=env)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["usage"] == {"usd": 1.0, "tokens_in": 0, "tokens_out": 0, "requests": 50} and data["tasks"] == ["one", "two"]
    queue = load_queue(git_repo.path)
    costs = [task.cost for task in map(queue.get, ("one", "two")) if task is not None]
    assert [(c.usd, c.requests) for c in costs if c is not None] == [(0.5, 25), (0.5, 25)]
    assert github_double.count("billing/get-github-billing-premium-request-usage-report-org") == 1
    again = run_cli(*usage, repo=git_repo.path, env=env)
    assert json.loads(again.stdout)["recorded"] == []  # the same day twice records once
