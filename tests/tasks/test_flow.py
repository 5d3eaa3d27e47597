"""The queue end to end, in process: intake -> dispatch -> complete -> dispatch, on real git and the local forge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadforge.forge.local import LocalForge
from leadforge.forge.models import ChangedFile
from leadforge.tasks.issueform import render_form_body
from leadforge.tasks.store import load_queue
from tests.fixtures.events import load_event
from tests.tasks.conftest import add_profiles, add_task

NOW = {"LEADFORGE_NOW": "2026-02-01T09:00:00Z"}


def form(**answers: str) -> str:
    base = {
        "description": "Make it better.",
        "type": "feature",
        "priority": "P2 (normal)",
        "scope": "src/app/**",
        "acceptance": "It works\nTests pass",
        "agent": "auto",
    }
    base.update(answers)
    return render_form_body(base)


def write_event(tmp: Path, name: str, payload: dict) -> Path:
    path = tmp / f"{name}-{len(list(tmp.glob('*.json')))}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


@pytest.fixture
def queue_repo(git_repo, tmp_path):
    add_profiles(git_repo.path)
    git_repo.commit("chore: profiles")
    return git_repo


def open_form_issue(repo: Path, tmp: Path, title: str, body: str, sender: str = "Codertocat") -> tuple[int, Path]:
    forge = LocalForge(repo, "local/repo")
    forge.set_permission("Codertocat", "write")  # the maintainer of the fixture payloads
    issue = forge.open_issue(title, body, labels=["ai-task"])
    payload = load_event(
        "issues.opened",
        **{
            "issue.number": issue.number,
            "issue.title": title,
            "issue.body": body,
            "issue.labels": [{"name": "ai-task"}],
            "issue.created_at": f"2026-01-0{issue.number}T00:00:00Z",
            "sender.login": sender,
        },
    )
    return issue.number, write_event(tmp, "issues", payload)


def test_intake_queues_a_valid_form_and_comments_with_the_task_id(queue_repo, tmp_path, run_cli) -> None:
    number, event = open_form_issue(queue_repo.path, tmp_path, "[AI task]: Add search", form(depends_on="#9, task-x"))
    result = run_cli("task", "intake", "--event", str(event), "--json", repo=queue_repo.path, env=NOW)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "queued" and data["task"] == f"task-{number}"
    task = load_queue(queue_repo.path).get(f"task-{number}")
    assert task is not None and task.state == "pending"
    assert (task.title, task.scope, task.acceptance, task.depends_on) == (
        "Add search",
        ("src/app/**",),
        ("It works", "Tests pass"),
        ("task-9", "task-x"),
    )
    assert task.history[-1].event == "queued"
    assert "queued" in queue_repo.git("log", "-1", "--format=%s") and queue_repo.git("status", "--porcelain", "docs") == ""
    comments = LocalForge(queue_repo.path, "local/repo").list_issue_comments(number)
    assert len(comments) == 1 and f"task-{number}" in comments[0].body
    again = run_cli("task", "intake", "--event", str(event), "--json", repo=queue_repo.path, env=NOW)
    assert json.loads(again.stdout)["status"] == "unchanged"
    assert len(LocalForge(queue_repo.path, "local/repo").list_issue_comments(number)) == 1


def test_intake_of_an_invalid_form_comments_labels_and_writes_nothing(queue_repo, tmp_path, run_cli) -> None:
    number, event = open_form_issue(queue_repo.path, tmp_path, "Broken", form(type="", scope="", priority="P7", agent="robot"))
    head = queue_repo.git("rev-parse", "HEAD")
    result = run_cli("task", "intake", "--event", str(event), "--json", repo=queue_repo.path)
    assert result.code == 0
    data = json.loads(result.stdout)
    assert data["status"] == "invalid" and not data["valid"]
    assert any(e.startswith("Type:") for e in data["errors"]) and any(e.startswith("Scope:") for e in data["errors"])
    assert any(e.startswith("Priority:") for e in data["errors"]) and any("robot" in e for e in data["errors"])
    forge = LocalForge(queue_repo.path, "local/repo")
    assert "needs-info" in forge.get_issue(number).labels
    assert "Scope:" in forge.list_issue_comments(number)[0].body
    assert queue_repo.git("rev-parse", "HEAD") == head and not (queue_repo.path / "docs/TASKS/queue/pending").exists()


def test_intake_ignores_forms_from_people_without_triage_permission(queue_repo, tmp_path, run_cli) -> None:
    number, event = open_form_issue(queue_repo.path, tmp_path, "[AI task]: Mine", form(), sender="drive-by")
    result = run_cli("task", "intake", "--event", str(event), "--json", repo=queue_repo.path)
    data = json.loads(result.stdout)
    assert result.code == 0 and data["status"] == "unauthorized" and "@drive-by has read permission" in data["note"]
    assert load_queue(queue_repo.path).tasks == ()
    assert "not queued as an AI task" in LocalForge(queue_repo.path, "local/repo").list_issue_comments(number)[0].body


def test_dispatch_assigns_moves_branches_comments_and_hands_off(queue_repo, tmp_path, run_cli) -> None:
    forge = LocalForge(queue_repo.path, "local/repo")
    a = forge.open_issue("A", "", labels=["ai-task"]).number
    b = forge.open_issue("B", "", labels=["ai-task"]).number
    add_task(queue_repo.path, f"task-{a}", issue=a, scope=("src/a/**",), type="docs", priority="P1")
    add_task(queue_repo.path, f"task-{b}", issue=b, scope=("src/a/b.py",), type="feature")
    add_task(queue_repo.path, "broken", scope=("x/**",))
    (queue_repo.path / "docs/TASKS/queue/pending/broken.md").write_text("---\nid: broken\ntitle: t\npriority: P9\n---\n")
    queue_repo.commit("queue")
    dry = run_cli("task", "dispatch", "--dry-run", "--json", repo=queue_repo.path)
    plan = json.loads(dry.stdout)
    assert set(plan) == {"assigned", "waiting", "blocked"}
    assert plan["assigned"] == [{"task": f"task-{a}", "agent": "claude", "branch": f"ai/task-{a}-title-of-task-{a}"}]
    assert plan["waiting"][0]["task"] == f"task-{b}" and f"overlaps task-{a}" in plan["waiting"][0]["reason"]
    assert "broken.md" in dry.stderr and "'priority'" in dry.stderr
    assert queue_repo.git("status", "--porcelain", "docs") == ""  # dry run changed nothing
    real = run_cli("task", "dispatch", "--json", repo=queue_repo.path, env=NOW)
    assert real.code == 0, real.stderr
    assert json.loads(real.stdout) == plan
    task = load_queue(queue_repo.path).get(f"task-{a}")
    assert task is not None and task.state == "in-progress" and task.assigned_to == "claude"
    assert task.branch == f"ai/task-{a}-title-of-task-{a}" and task.assigned_at == NOW["LEADFORGE_NOW"]
    assert [h.event for h in task.history] == ["queued", "assigned"]
    assert queue_repo.git("rev-parse", "--verify", f"refs/heads/ai/task-{a}-title-of-task-{a}")
    comments = [c.body for c in forge.list_issue_comments(a)]
    assert any("assigned to **claude**" in c for c in comments)
    assert any(c.startswith("<!-- leadforge:task:task-") and "@claude please implement" in c for c in comments)
    assert (queue_repo.path / "docs/TASKS/queue/pending/broken.md").read_text().endswith("priority: P9\n---\n")
    readme = (queue_repo.path / "docs/TASKS/queue/README.md").read_text()
    assert f"[task-{a}](in-progress/task-{a}.md)" in readme and "broken.md" in readme
    assert queue_repo.git("status", "--porcelain", "docs") == ""
    second = run_cli("task", "dispatch", "--json", repo=queue_repo.path, env=NOW)
    assert json.loads(second.stdout)["assigned"] == []  # idempotent


def _merge_branch(repo, branch: str, files: dict[str, str]) -> str:
    repo.git("checkout", "-q", branch)
    repo.commit("work", files)
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "merge", branch)
    return repo.git("rev-parse", f"refs/heads/{branch}")


def test_complete_verifies_then_completes_closes_and_unblocks_the_dependant(queue_repo, tmp_path, run_cli) -> None:
    forge = LocalForge(queue_repo.path, "local/repo")
    first = forge.open_issue("First", "").number
    second = forge.open_issue("Second", "").number
    add_task(queue_repo.path, f"task-{first}", issue=first, scope=("src/**",), acceptance=("It works",))
    add_task(queue_repo.path, f"task-{second}", issue=second, scope=("docs/**",), depends_on=(f"task-{first}",))
    queue_repo.commit("queue")
    run_cli("task", "dispatch", repo=queue_repo.path, env=NOW)
    task = load_queue(queue_repo.path).get(f"task-{first}")
    assert task is not None and task.branch
    head = _merge_branch(queue_repo, task.branch, {"src/app.py": "print('hi')\n"})
    body = f"Closes #{first}\n\n- [x] It works\n"
    pull = forge.open_pull("Work", head=task.branch, body=body, head_sha=head, files=[ChangedFile("src/app.py", "added", 1, 0)])
    forge.merge_pull(pull.number)
    payload = load_event(
        "pull_request.closed.merged",
        **{
            "pull_request.number": pull.number,
            "pull_request.body": body,
            "pull_request.head.ref": task.branch,
            "pull_request.head.sha": head,
        },
    )
    result = run_cli(
        "task", "complete", "--event", str(write_event(tmp_path, "pr", payload)), "--json", repo=queue_repo.path, env=NOW
    )
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "completed" and data["task"] == f"task-{first}"
    assert data["dispatch"]["assigned"][0]["task"] == f"task-{second}"
    done = load_queue(queue_repo.path).get(f"task-{first}")
    assert done is not None and done.state == "completed" and done.pr == pull.number
    assert [h.event for h in done.history][-2:] == ["verified", "completed"]
    assert forge.get_issue(first).state == "closed"
    moved = load_queue(queue_repo.path).get(f"task-{second}")
    assert moved is not None and moved.state == "in-progress"


def test_complete_fails_with_exact_reasons_and_keeps_the_task_in_progress(queue_repo, tmp_path, run_cli) -> None:
    forge = LocalForge(queue_repo.path, "local/repo")
    number = forge.open_issue("Scoped", "").number
    add_task(queue_repo.path, f"task-{number}", issue=number, scope=("src/**",), acceptance=("It works", "Docs updated"))
    queue_repo.commit("queue")
    run_cli("task", "dispatch", repo=queue_repo.path, env=NOW)
    task = load_queue(queue_repo.path).get(f"task-{number}")
    assert task is not None and task.branch
    body = "- [x] It works\n- [ ] Docs updated\n"
    pull = forge.open_pull(
        "Work",
        head=task.branch,
        body=body,
        head_sha="abc123",
        files=[ChangedFile("src/app.py", "added"), ChangedFile("setup.py", "modified")],
    )
    forge.merge_pull(pull.number)
    from leadforge.forge.models import CommitStatus

    forge.create_status("abc123", CommitStatus("ci/tests", "failure"))
    payload = load_event(
        "pull_request.closed.merged",
        **{
            "pull_request.number": pull.number,
            "pull_request.body": body,
            "pull_request.head.ref": task.branch,
            "pull_request.head.sha": "abc123",
        },
    )
    result = run_cli(
        "task", "complete", "--event", str(write_event(tmp_path, "pr", payload)), "--json", repo=queue_repo.path, env=NOW
    )
    assert result.code == 1
    failures = json.loads(result.stdout)["failures"]
    assert "check 'ci/tests' is failure" in failures
    assert any("outside the task's scope" in f and "setup.py" in f and "src/app.py" not in f for f in failures)
    assert any("not ticked" in f and "Docs updated" in f and "It works" not in f for f in failures)
    kept = load_queue(queue_repo.path).get(f"task-{number}")
    assert kept is not None and kept.state == "in-progress" and kept.history[-1].event == "verification-failed"
    comment = forge.list_issue_comments(pull.number)[0].body
    assert "setup.py" in comment and "Docs updated" in comment
    # a re-run of the same event records nothing new (metrics count each verification-failed entry)
    head = queue_repo.git("rev-parse", "HEAD")
    rerun = run_cli(
        "task", "complete", "--event", str(write_event(tmp_path, "pr", payload)), "--json", repo=queue_repo.path, env=NOW
    )
    assert rerun.code == 1 and json.loads(rerun.stdout)["failures"] == failures
    again = load_queue(queue_repo.path).get(f"task-{number}")
    assert again is not None and [h.event for h in again.history].count("verification-failed") == 1
    assert queue_repo.git("rev-parse", "HEAD") == head and len(forge.list_issue_comments(pull.number)) == 1


def test_sweep_warns_then_requeues_a_silent_task(queue_repo, tmp_path, run_cli) -> None:
    forge = LocalForge(queue_repo.path, "local/repo")
    number = forge.open_issue("Slow", "").number
    add_task(queue_repo.path, f"task-{number}", issue=number, scope=("src/**",))
    queue_repo.commit("queue")
    run_cli("task", "dispatch", repo=queue_repo.path, env={"LEADFORGE_NOW": "2026-02-01T00:00:00Z"})
    early = run_cli("task", "sweep", "--json", repo=queue_repo.path, env={"LEADFORGE_NOW": "2026-02-02T00:00:00Z"})
    assert json.loads(early.stdout)["warned"] == []
    beat = run_cli(
        "task",
        "heartbeat",
        f"task-{number}",
        "--note",
        "still here",
        repo=queue_repo.path,
        env={"LEADFORGE_NOW": "2026-02-02T12:00:00Z"},
    )
    assert beat.code == 0, beat.stderr
    warn = run_cli("task", "sweep", "--json", repo=queue_repo.path, env={"LEADFORGE_NOW": "2026-02-04T13:00:00Z"})
    assert json.loads(warn.stdout)["warned"] == [f"task-{number}"]
    assert "no activity for 49 hours" in forge.list_issue_comments(number)[-1].body
    again = run_cli("task", "sweep", "--json", repo=queue_repo.path, env={"LEADFORGE_NOW": "2026-02-04T20:00:00Z"})
    assert json.loads(again.stdout)["warned"] == [] and json.loads(again.stdout)["requeued"] == []
    requeue = run_cli("task", "sweep", "--json", repo=queue_repo.path, env={"LEADFORGE_NOW": "2026-02-05T14:00:00Z"})
    assert json.loads(requeue.stdout)["requeued"] == [f"task-{number}"]
    task = load_queue(queue_repo.path).get(f"task-{number}")
    assert task is not None and task.state == "pending" and task.assigned_to is None and task.branch is None
    assert [h.event for h in task.history] == ["queued", "assigned", "heartbeat", "stale-warning", "requeued"]


def test_list_and_show_read_the_queue(queue_repo, run_cli) -> None:
    add_task(queue_repo.path, "task-5", issue=5, scope=("a/**",), priority="P0")
    add_task(queue_repo.path, "task-6", state="completed", scope=("b/**",))
    listing = run_cli("task", "list", "--state", "pending", "--json", repo=queue_repo.path)
    assert [t["id"] for t in json.loads(listing.stdout)["tasks"]] == ["task-5"]
    shown = run_cli("task", "show", "#5", repo=queue_repo.path)
    assert shown.code == 0 and "task-5 [pending] P0" in shown.stdout and "queued by test" in shown.stdout
    missing = run_cli("task", "show", "nope", repo=queue_repo.path)
    assert missing.code == 1 and "task nope: not found" in missing.stderr


def test_a_pull_request_closed_unmerged_is_reported_not_failed(queue_repo, tmp_path, run_cli) -> None:
    forge = LocalForge(queue_repo.path, "local/repo")
    number = forge.open_issue("Abandoned", "").number
    add_task(queue_repo.path, f"task-{number}", issue=number, scope=("src/**",))
    queue_repo.commit("queue")
    run_cli("task", "dispatch", repo=queue_repo.path, env=NOW)
    task = load_queue(queue_repo.path).get(f"task-{number}")
    assert task is not None and task.branch
    pull = forge.open_pull("Nope", head=task.branch, body="", files=[])
    payload = load_event(
        "pull_request.closed",
        **{
            "pull_request.number": pull.number,
            "pull_request.body": "",
            "pull_request.head.ref": task.branch,
            "pull_request.merged": False,
        },
    )
    result = run_cli(
        "task", "complete", "--event", str(write_event(tmp_path, "pr", payload)), "--json", repo=queue_repo.path, env=NOW
    )
    assert result.code == 0
    assert json.loads(result.stdout)["failures"][0] == f"pull request #{pull.number} was closed without being merged"
    moved = load_queue(queue_repo.path).get(f"task-{number}")
    assert moved is not None and moved.state == "in-progress"


@pytest.mark.parametrize("agent", ["claude", "human"])
def test_a_requeued_task_handed_to_the_same_agent_starts_it_again(queue_repo, run_cli, agent: str) -> None:
    # claude starts on a new @claude comment (an edited one does not count), human/openhands-style agents on the label
    # being added: after a re-queue the next hand-off must produce that trigger again
    from tests.tasks.conftest import PROFILES

    for other in PROFILES:
        (queue_repo.path / "profiles" / f"{other}.yml").unlink()
    add_profiles(queue_repo.path, {agent: PROFILES[agent]})
    forge = LocalForge(queue_repo.path, "local/repo")
    number = forge.open_issue("Again", "").number
    add_task(queue_repo.path, f"task-{number}", issue=number, scope=("src/**",))
    queue_repo.commit("queue")

    def handoff_comments() -> list[str]:
        return [c.body for c in forge.list_issue_comments(number) if "@claude please" in c.body]

    assert run_cli("task", "dispatch", repo=queue_repo.path, env={"LEADFORGE_NOW": "2026-02-01T00:00:00Z"}).code == 0
    run_cli("task", "sweep", repo=queue_repo.path, env={"LEADFORGE_NOW": "2026-02-03T01:00:00Z"})
    requeue = run_cli("task", "sweep", "--json", repo=queue_repo.path, env={"LEADFORGE_NOW": "2026-02-04T02:00:00Z"})
    assert json.loads(requeue.stdout)["requeued"] == [f"task-{number}"]
    if agent == "human":
        assert "needs-human" not in forge.get_issue(number).labels
    assert run_cli("task", "dispatch", repo=queue_repo.path, env={"LEADFORGE_NOW": "2026-02-04T03:00:00Z"}).code == 0
    task = load_queue(queue_repo.path).get(f"task-{number}")
    assert task is not None and task.state == "in-progress" and task.assigned_to == agent
    if agent == "claude":
        assert len(handoff_comments()) == 2
    else:
        assert "needs-human" in forge.get_issue(number).labels and handoff_comments() == []


def test_index_and_heartbeat_dry_runs_say_what_would_happen_and_change_nothing(queue_repo, run_cli) -> None:
    add_task(
        queue_repo.path,
        "task-5",
        state="in-progress",
        issue=5,
        scope=("a/**",),
        assigned_to="claude",
        assigned_at="2026-01-02T00:00:00Z",
        branch="ai/task-5-x",
    )
    queue_repo.commit("queue")  # no README yet
    index = queue_repo.path / "docs/TASKS/queue/README.md"
    dry = run_cli("task", "index", "--dry-run", "--json", repo=queue_repo.path)
    assert dry.code == 0 and json.loads(dry.stdout) == {"changed": True, "tasks": 1} and not index.exists()
    assert run_cli("task", "index", repo=queue_repo.path).code == 0 and index.exists()
    again = run_cli("task", "index", "--dry-run", repo=queue_repo.path)
    assert "unchanged" in again.stdout and "would rewrite" not in again.stderr
    head = queue_repo.git("rev-parse", "HEAD")
    beat = run_cli("task", "heartbeat", "5", "--dry-run", repo=queue_repo.path, env=NOW)
    assert beat.code == 0 and "would be recorded" in beat.stdout
    assert (
        queue_repo.git("rev-parse", "HEAD") == head
        and queue_repo.git("status", "--porcelain", "docs/TASKS/queue/in-progress") == ""
    )


def test_an_invalid_edit_of_a_queued_task_keeps_the_task_and_says_so(queue_repo, tmp_path, run_cli) -> None:
    number, event = open_form_issue(queue_repo.path, tmp_path, "[AI task]: Keep me", form())
    assert (
        json.loads(run_cli("task", "intake", "--event", str(event), "--json", repo=queue_repo.path, env=NOW).stdout)["status"]
        == "queued"
    )
    before = load_queue(queue_repo.path).get(f"task-{number}")
    head = queue_repo.git("rev-parse", "HEAD")
    broken = form(scope="", description="Now with\r\nno scope")
    payload = load_event(
        "issues.opened",
        **{
            "action": "edited",
            "issue.number": number,
            "issue.title": "[AI task]: Keep me",
            "issue.body": broken.replace("\n", "\r\n"),
            "issue.labels": [{"name": "ai-task"}],
            "sender.login": "Codertocat",
        },
    )
    result = run_cli(
        "task", "intake", "--event", str(write_event(tmp_path, "issues", payload)), "--json", repo=queue_repo.path, env=NOW
    )
    data = json.loads(result.stdout)
    assert result.code == 0 and data["status"] == "invalid" and data["task"] == f"task-{number}"
    assert [e.split(":")[0] for e in data["errors"]] == ["Scope"]
    assert load_queue(queue_repo.path).get(f"task-{number}") == before and queue_repo.git("rev-parse", "HEAD") == head
    comments = LocalForge(queue_repo.path, "local/repo").list_issue_comments(number)
    assert len(comments) == 1  # the intake comment, rewritten
    assert f"This edit was not applied: **task-{number}** (pending) keeps its last valid version." in comments[0].body
    assert "Scope:" in comments[0].body


def test_intake_reads_an_issue_opened_before_the_form_labels_were_renamed(queue_repo, tmp_path, run_cli) -> None:
    form_file = queue_repo.path / ".github/ISSUE_TEMPLATE/ai-task.yml"
    form_file.parent.mkdir(parents=True, exist_ok=True)
    shipped = (Path(__file__).resolve().parents[2] / ".github/ISSUE_TEMPLATE/ai-task.yml").read_text(encoding="utf-8")
    form_file.write_text(
        shipped.replace("label: Description", "label: What should change?").replace(
            "label: Acceptance criteria", "label: Done when"
        ),
        encoding="utf-8",
    )
    queue_repo.commit("chore: reword the form")
    body = form(description="Paginate.\n\n```md\n### Scope\n```\n\nKeep the rest.") + "\n### Screenshots\n\nsee attached\n"
    number, event = open_form_issue(queue_repo.path, tmp_path, "[AI task]: Old labels", body)
    result = run_cli("task", "intake", "--event", str(event), "--json", repo=queue_repo.path, env=NOW)
    data = json.loads(result.stdout)
    assert result.code == 0 and data["status"] == "queued", data
    assert data["form"] == {
        "renamed": {"What should change?": "Description", "Done when": "Acceptance criteria"},
        "unmatched": {"screenshots": "Screenshots"},
    }
    task = load_queue(queue_repo.path).get(f"task-{number}")
    assert task is not None and task.body == "Paginate.\n\n```md\n### Scope\n```\n\nKeep the rest.\n"
    assert task.acceptance == ("It works", "Tests pass") and task.extra == {"form_sections": {"screenshots": "see attached"}}
    comment = LocalForge(queue_repo.path, "local/repo").list_issue_comments(number)[0].body
    assert "`### Description` was read as **What should change?** (the field's id)" in comment
    assert "`### Acceptance criteria` was read as **Done when** (the form's label has changed)" in comment
    assert "`### Screenshots` is not a field of the form; kept in the task file under `form_sections.screenshots`" in comment


def test_intake_names_the_fields_it_could_not_find(queue_repo, tmp_path, run_cli) -> None:
    body = form().replace("### Description", "### Summary").replace("### Type\n\nfeature", "### Type\n\n```\nfeature")
    number, event = open_form_issue(queue_repo.path, tmp_path, "[AI task]: Renamed away", body)
    data = json.loads(run_cli("task", "intake", "--event", str(event), "--json", repo=queue_repo.path, env=NOW).stdout)
    assert data["status"] == "invalid"
    assert data["form"]["missing"] == [
        "Description",
        "Priority",
        "Scope",
        "Depends on",
        "Acceptance criteria",
        "Preferred agent",
        "Estimate (hours)",
    ]
    assert data["form"]["unmatched"] == {"summary": "Summary"}
    comment = LocalForge(queue_repo.path, "local/repo").list_issue_comments(number)[0].body
    assert "**Description**: not found (no `### Description` heading in the issue" in comment
    assert "the code block opened on line 7 with ```, which is never closed" in comment  # why Priority & co vanished
    assert "`### Summary` is not a field of the form" in comment and "kept in the task file" not in comment


def test_an_edit_drops_form_sections_the_issue_no_longer_has(queue_repo, tmp_path, run_cli) -> None:
    number, event = open_form_issue(queue_repo.path, tmp_path, "[AI task]: Notes", form() + "\n### Notes\n\nold note\n")
    first = run_cli("task", "intake", "--event", str(event), "--json", repo=queue_repo.path, env=NOW)
    assert json.loads(first.stdout)["status"] == "queued"
    task = load_queue(queue_repo.path).get(f"task-{number}")
    assert task is not None and task.extra == {"form_sections": {"notes": "old note"}}
    payload = load_event(
        "issues.opened",
        **{
            "action": "edited",
            "issue.number": number,
            "issue.title": "[AI task]: Notes",
            "issue.body": form(),
            "issue.labels": [{"name": "ai-task"}],
            "sender.login": "Codertocat",
        },
    )
    edited = write_event(tmp_path, "issues", payload)
    result = run_cli("task", "intake", "--event", str(edited), "--json", repo=queue_repo.path, env=NOW)
    assert json.loads(result.stdout)["status"] == "updated"
    task = load_queue(queue_repo.path).get(f"task-{number}")
    assert task is not None and task.extra == {}
