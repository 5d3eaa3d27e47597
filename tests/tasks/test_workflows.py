"""ai-task-*.yml through the workflow harness, with real webhook payloads and the GitHub API double.

An issue opened with the form is queued and dispatched (the task file lands on the remote's main, the
agent's hand-off reaches the API); an invalid form gets needs-info; a merged PR completes the task and
the dispatch it calls unblocks the dependant; the sweep runs on its schedule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from leadforge.forge.models import ChangedFile
from leadforge.tasks.issueform import render_form_body
from leadforge.tasks.taskfile import parse_task
from tests.apidouble.server import GitHubDouble
from tests.conftest import Repo
from tests.fixtures.events import load_event
from tests.harness import Harness, load_workflow
from tests.tasks.conftest import add_profiles
from tests.workflows.pins import PINS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
REPOSITORY = "octo-org/octo-repo"
NAMES = ("ai-task-intake.yml", "ai-task-dispatch.yml", "ai-task-completion.yml", "ai-task-sweep.yml")
REUSABLE = "reusable-tasks.yml"
INSTALL = "$/.github/actions/install"

# what each job of the reusable workflow asks for (least privilege per job, as before the move)
PERMISSIONS = {
    (REUSABLE, "intake"): {"contents": "write", "issues": "write"},
    (REUSABLE, "dispatch"): {"contents": "write", "issues": "write", "actions": "write"},
    (REUSABLE, "complete"): {
        "contents": "write",
        "issues": "write",
        "pull-requests": "write",
        "checks": "read",
        "statuses": "read",
    },
    (REUSABLE, "sweep"): {"contents": "write", "issues": "write", "pull-requests": "read"},
}
# what every caller grants: the most any called job asks for (a called workflow can only narrow it)
GRANT = {
    "contents": "write",
    "issues": "write",
    "pull-requests": "write",
    "actions": "write",
    "checks": "read",
    "statuses": "read",
}
STAGES = {
    "ai-task-intake.yml": "intake",
    "ai-task-dispatch.yml": "dispatch",
    "ai-task-completion.yml": "completion",
    "ai-task-sweep.yml": "sweep",
}


def test_workflows_are_thin_pinned_least_privilege_and_never_interpolate_issue_text() -> None:
    seen = set()
    for name in (*NAMES, REUSABLE):
        data = load_workflow(WORKFLOWS / name)
        text = (WORKFLOWS / name).read_text()
        assert data["permissions"] == {}, name
        for job_id, job in data["jobs"].items():
            runs = [s["run"] for s in job.get("steps", []) if "run" in s]
            if "uses" in job:  # a caller: one job calling the reusable workflow at this same commit
                assert name in NAMES and job_id == "tasks" and job["uses"] == f"$/.github/workflows/{REUSABLE}"
                assert job["permissions"] == GRANT and job["with"]["stage"] == STAGES[name], name
                assert job["secrets"] == {"token": "${{ secrets.LEADFORGE_TOKEN }}"}  # explicit, never inherit
            else:
                assert name == REUSABLE
                assert job["permissions"] == PERMISSIONS[(name, job_id)], (name, job_id)
                seen.add((name, job_id))
                installs = [s for s in job["steps"] if s.get("uses") == INSTALL]
                assert len(installs) == 1 and len(runs) == 1 and runs[0].startswith("leadforge task "), (name, runs)
                assert "concurrency" in job, (name, job_id)
        for needle in ("issue.title", "issue.body", "pull_request.body", "pull_request.title", "head.ref }}", "comment.body"):
            assert needle not in text, (name, needle)
        for line in text.splitlines():
            if "uses:" in line and "@" in line:
                action, _, rest = line.split("uses:", 1)[1].strip().partition("@")
                assert rest.split()[0] == PINS[action].sha, line
    assert seen == set(PERMISSIONS)
    jobs = load_workflow(WORKFLOWS / REUSABLE)["jobs"]
    assert jobs["dispatch"]["concurrency"]["group"] == "ai-task-queue"
    assert jobs["sweep"]["concurrency"]["group"] == "ai-task-queue"
    assert set(jobs["dispatch"]["needs"]) == {"intake", "complete"}  # dispatch follows intake and completion


def _form(**answers: str) -> str:
    base = {
        "description": "Paginate the settings page.",
        "type": "feature",
        "priority": "P1 (high)",
        "scope": "src/settings/**",
        "acceptance": "50 per page",
        "agent": "auto",
    }
    base.update(answers)
    return render_form_body(base)


def _issue_event(number: int, title: str, body: str) -> dict:
    return load_event(
        "issues.opened",
        **{
            "issue.number": number,
            "issue.title": title,
            "issue.body": body,
            "issue.labels": [{"name": "ai-task"}],
            "issue.created_at": "2026-01-05T10:00:00Z",
            "repository.full_name": REPOSITORY,
            "repository.default_branch": "main",
        },
    )


@pytest.fixture
def queue_repo(git_repo: Repo) -> Repo:
    add_profiles(
        git_repo.path,
        {
            "claude": 'name: claude\nhandoff:\n  comment: "@claude please implement {id} on {branch}"\ncapacity: 2\nweight: 50\n',
            "copilot": "name: copilot\nhandoff:\n  assign: Copilot\ncapacity: 1\nweight: 10\n",
        },
    )
    git_repo.commit("chore: agent profiles")
    return git_repo


@pytest.fixture(autouse=True)
def _maintainer(request) -> None:
    """The fixture payloads' sender (Codertocat) is a maintainer of the doubled repository."""
    if "github_double" in request.fixturenames:
        request.getfixturevalue("github_double").set_permission("Codertocat", "write")


@pytest.mark.integration
def test_issue_form_is_queued_then_dispatched_and_handed_off(queue_repo: Repo, tmp_path: Path, github_double) -> None:
    harness = Harness(queue_repo.path, root=tmp_path / "gh", api_double=github_double)
    number = github_double.add_issue("[AI task]: Paginate settings", _form(), labels=["ai-task"])
    result = harness.run("ai-task-intake.yml", "issues", _issue_event(number, "[AI task]: Paginate settings", _form()))
    assert result.ok, result.explain()
    assert result.ran == ["tasks/intake", "tasks/dispatch"], result.ran
    task = parse_task(harness.remote_file(f"docs/TASKS/queue/in-progress/task-{number}.md"), state="in-progress", source="x")
    assert task.title == "Paginate settings" and task.assigned_to == "claude" and task.scope == ("src/settings/**",)
    assert [h.event for h in task.history] == ["queued", "assigned"]
    assert harness.remote_git("rev-parse", "--verify", f"refs/heads/{task.branch}")
    bodies = [c["body"] for c in github_double.issue_comments(number)]
    assert any(f"Queued as **task-{number}**" in b for b in bodies)
    assert any(f"@claude please implement task-{number} on {task.branch}" in b for b in bodies)
    assert "tasks: dispatch 1 task(s)" in harness.remote_git("log", "-3", "--format=%s")


@pytest.mark.integration
def test_invalid_form_gets_needs_info_and_no_task_file(queue_repo: Repo, tmp_path: Path, github_double) -> None:
    harness = Harness(queue_repo.path, root=tmp_path / "gh", api_double=github_double)
    body = _form(scope="", acceptance="")
    number = github_double.add_issue("[AI task]: Vague", body, labels=["ai-task"])
    before = harness.remote_git("rev-parse", "main")
    result = harness.run("ai-task-intake.yml", "issues", _issue_event(number, "[AI task]: Vague", body))
    assert result.ok, result.explain()
    assert result.ran == ["tasks/intake"]  # no dispatch after an invalid form
    assert "needs-info" in github_double.issue(number)["labels"]
    comment = github_double.issue_comments(number)[0]["body"]
    assert "Scope:" in comment and "Acceptance criteria:" in comment
    assert harness.remote_git("rev-parse", "main") == before


@pytest.mark.integration
def test_merged_pull_request_completes_the_task_and_unblocks_its_dependant(
    queue_repo: Repo, tmp_path: Path, github_double
) -> None:
    harness = Harness(queue_repo.path, root=tmp_path / "gh", api_double=github_double)
    first = github_double.add_issue("[AI task]: First", _form(), labels=["ai-task"])
    assert harness.run("ai-task-intake.yml", "issues", _issue_event(first, "[AI task]: First", _form())).ok
    second_body = _form(scope="docs/**", depends_on=f"#{first}", type="docs")
    second = github_double.add_issue("[AI task]: Second", second_body, labels=["ai-task"])
    assert harness.run("ai-task-intake.yml", "issues", _issue_event(second, "[AI task]: Second", second_body)).ok
    task = parse_task(harness.remote_file(f"docs/TASKS/queue/in-progress/task-{first}.md"), state="in-progress", source="x")
    assert harness.remote_file(f"docs/TASKS/queue/pending/task-{second}.md")
    # the agent's work, merged into main on the remote
    work = tmp_path / "agent"
    from tests.conftest import git

    git(tmp_path, "clone", "-q", str(harness.remote), str(work))
    git(work, "checkout", "-q", task.branch or "")
    (work / "src/settings").mkdir(parents=True)
    (work / "src/settings/page.py").write_text("PAGE = 50\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "feat: paginate")
    head = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "main")
    git(work, "merge", "-q", "--no-ff", "-m", "Merge pull request", task.branch or "")
    git(work, "push", "-q", "origin", "main", task.branch or "")
    body = f"Closes #{first}\n\n- [x] 50 per page\n"
    pr = github_double.add_pull(
        "Paginate", head=task.branch or "", body=body, head_sha=head, files=[ChangedFile("src/settings/page.py", "added", 1, 0)]
    )
    github_double.merge_pull(pr, git(work, "rev-parse", "HEAD"))
    payload = load_event(
        "pull_request.closed.merged",
        **{
            "number": pr,
            "pull_request.number": pr,
            "pull_request.body": body,
            "pull_request.head.ref": task.branch,
            "pull_request.base.ref": "main",
            "repository.full_name": REPOSITORY,
            "repository.default_branch": "main",
            "pull_request.head.repo.full_name": REPOSITORY,
            "pull_request.base.repo.full_name": REPOSITORY,
        },
    )
    result = harness.run("ai-task-completion.yml", "pull_request", payload)
    assert result.ok, result.explain()
    assert result.ran == ["tasks/complete", "tasks/dispatch"]  # dispatch runs for what the completion unblocked
    done = parse_task(harness.remote_file(f"docs/TASKS/queue/completed/task-{first}.md"), state="completed", source="x")
    assert done.pr == pr and [h.event for h in done.history][-2:] == ["verified", "completed"]
    assert github_double.issue(first)["state"] == "closed"
    unblocked = parse_task(harness.remote_file(f"docs/TASKS/queue/in-progress/task-{second}.md"), state="in-progress", source="x")
    assert unblocked.depends_on == (f"task-{first}",) and unblocked.assigned_to


@pytest.mark.integration
def test_sweep_runs_on_schedule_and_reports_blocked_chains(queue_repo: Repo, tmp_path: Path, github_double) -> None:
    from tests.tasks.conftest import add_task

    add_task(queue_repo.path, "task-a", depends_on=("task-b",), scope=("a/**",))
    add_task(queue_repo.path, "task-b", depends_on=("task-a",), scope=("b/**",))
    queue_repo.commit("queue with a cycle")
    harness = Harness(queue_repo.path, root=tmp_path / "gh", api_double=github_double)
    result = harness.run("ai-task-sweep.yml", "schedule")
    assert result.ok, result.explain()
    assert result.ran == ["tasks/sweep"]
    assert "dependency cycle: task-a -> task-b -> task-a" in result.summary


@pytest.mark.integration
def test_manual_dispatch_dry_run_prints_the_plan_and_changes_nothing(queue_repo: Repo, tmp_path: Path, github_double) -> None:
    from tests.tasks.conftest import add_task

    number = github_double.add_issue("X", "")
    add_task(queue_repo.path, "task-x", issue=number, scope=("x/**",))
    queue_repo.commit("queue")
    harness = Harness(queue_repo.path, root=tmp_path / "gh", api_double=github_double)
    before = harness.remote_git("rev-parse", "main")
    manual = load_event("workflow_dispatch", **{"repository.default_branch": "main", "repository.full_name": REPOSITORY})
    result = harness.run("ai-task-dispatch.yml", "workflow_dispatch", manual, inputs={"dry-run": True})
    assert result.ok, result.explain()
    assert result.ran == ["tasks/dispatch"]
    assert "[dry-run] would move task-x to in-progress/" in result.log
    assert harness.remote_git("rev-parse", "main") == before
    real = harness.run("ai-task-dispatch.yml", "workflow_dispatch", manual, inputs={"dry-run": False})
    assert real.ok, real.explain()
    assert harness.remote_file("docs/TASKS/queue/in-progress/task-x.md")
    assert any("@claude please implement task-x" in c["body"] for c in github_double.issue_comments(number))


def test_every_hand_off_kind_reaches_the_github_api(queue_repo: Repo, github_double, run_cli) -> None:
    from tests.tasks.conftest import add_task

    add_profiles(
        queue_repo.path,
        {
            "copilot": "name: copilot\nhandoff:\n  assign: Copilot\ncapacity: 1\n",
            "openhands": "name: openhands\nhandoff:\n  label: fix-me\ncapacity: 1\n",
            "runner": "name: runner\nhandoff:\n  workflow:\n    file: agent.yml\n    ref: main\n"
            '    inputs: {task: "{id}", branch: "{branch}"}\ncapacity: 1\n',
        },
    )
    numbers = {agent: github_double.add_issue(agent, "") for agent in ("copilot", "openhands", "runner")}
    for agent, number in numbers.items():
        add_task(queue_repo.path, f"task-{number}", issue=number, agent=agent, scope=(f"{agent}/**",))
    queue_repo.commit("queue")
    result = run_cli("task", "dispatch", "--json", repo=queue_repo.path, env=github_double.env())
    assert result.code == 0, result.stderr
    assert "Copilot" in github_double.issue(numbers["copilot"])["assignees"]
    assert "fix-me" in github_double.issue(numbers["openhands"])["labels"]
    (dispatch,) = github_double.dispatches
    assert dispatch["inputs"]["task"] == f"task-{numbers['runner']}" and dispatch["inputs"]["branch"].startswith("ai/task-")
    for number in numbers.values():
        assert any("is assigned to" in c["body"] for c in github_double.issue_comments(number))


@pytest.mark.integration
def test_the_one_file_caller_routes_every_stage_by_event(queue_repo: Repo, tmp_path: Path, github_double: GitHubDouble) -> None:
    """What `leadforge init --reusable` writes for the queue: one caller (leadforge-tasks.yml) of reusable-tasks.yml,
    pinned by SHA, runs intake, dispatch or sweep from the event alone."""
    from tests.tasks.conftest import add_task
    from tests.workflows.callers import render_callers

    add_task(queue_repo.path, "task-a", depends_on=("task-b",), scope=("a/**",))
    add_task(queue_repo.path, "task-b", depends_on=("task-a",), scope=("b/**",))
    queue_repo.commit("queue with a cycle")
    harness = Harness(
        queue_repo.path, root=tmp_path / "gh", api_double=github_double, workflows_dir=render_callers(tmp_path / "user")
    )
    number = github_double.add_issue("[AI task]: Paginate settings", _form(), labels=["ai-task"])
    intake = harness.run("leadforge-tasks.yml", "issues", _issue_event(number, "[AI task]: Paginate settings", _form()))
    assert intake.ok, intake.explain()
    assert intake.ran == ["tasks/intake", "tasks/dispatch"]
    assert harness.remote_file(f"docs/TASKS/queue/in-progress/task-{number}.md")
    call = intake.uses_of("leadforge/leadforge/.github/workflows/reusable-tasks.yml")[0]
    assert call.emulated and call.ref.startswith("5f0c6e3a")  # the caller's pin, read from this checkout
    dispatch = harness.run("leadforge-tasks.yml", "schedule", load_event("schedule", schedule="*/30 * * * *"))
    assert dispatch.ok and dispatch.ran == ["tasks/dispatch"], dispatch.explain()
    sweep = harness.run("leadforge-tasks.yml", "schedule", load_event("schedule", schedule="23 */6 * * *"))
    assert sweep.ok and sweep.ran == ["tasks/sweep"], sweep.explain()
    assert "dependency cycle: task-a -> task-b -> task-a" in sweep.summary
    by_hand = load_event("workflow_dispatch", **{"repository.default_branch": "main", "repository.full_name": REPOSITORY})
    manual = harness.run("leadforge-tasks.yml", "workflow_dispatch", by_hand)
    assert manual.ok and manual.ran == ["tasks/dispatch"], manual.explain()
    # the optional token secret is passed explicitly; unset, the jobs act with GITHUB_TOKEN
    assert manual.job("tasks/dispatch").step("dispatch").env["GITHUB_TOKEN"] == github_double.token
