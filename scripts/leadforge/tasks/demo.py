"""Demo stage: the AI task queue, driven the way GitHub would drive it.

Four issues are opened through the "AI task" form (one depends on another, two have overlapping scopes,
one is invalid); intake queues three and asks for more information on the fourth; dispatch assigns one
task and holds the others (a dependency, an overlapping scope); the agent's pull request merges and
completion verifies it; the next dispatch unblocks both.
"""

from __future__ import annotations

import json
from typing import Any

from leadforge.tasks.issueform import render_form_body

NOW = "2026-03-02T09:00:00Z"


def _form(**answers: str) -> str:
    base = {"type": "feature", "priority": "P2 (normal)", "agent": "auto"}
    base.update(answers)
    return render_form_body(base)


def _open(demo: Any, title: str, body: str, created: str) -> tuple[int, Any]:
    demo.forge.set_permission("mona", "maintain")  # only people who may triage can queue work for agents
    issue = demo.forge.open_issue(title, body, labels=["ai-task"], author="mona")
    event = demo.event(
        "issues.opened",
        {
            "issue.number": issue.number,
            "issue.title": title,
            "issue.body": body,
            "issue.created_at": created,
            "issue.labels": [{"name": "ai-task"}],
            "issue.user.login": "mona",
            "sender.login": "mona",
        },
    )
    step = demo.cli("task", "intake", "--json", event=event, env={"LEADFORGE_NOW": NOW})
    return issue.number, step.json()


def run_stage(demo: Any) -> dict[str, Any]:
    if not (demo.root / "profiles").is_dir():  # the foundation stage scaffolds them; be self-sufficient anyway
        (demo.root / "profiles").mkdir()
        (demo.root / "profiles" / "claude.yml").write_text(
            'name: claude\nhandoff:\n  comment: "@claude please implement {id} on {branch}"\ncapacity: 2\nweight: 50\n'
        )
        demo.commit("chore: agent profile", ["profiles"])

    api, api_out = _open(
        demo,
        "[AI task]: Search API",
        _form(
            description="Add a `/search` endpoint over the catalogue.",
            priority="P1 (high)",
            scope="src/search/**",
            acceptance="GET /search?q= returns matches\nTests cover an empty query",
        ),
        "2026-03-01T08:00:00Z",
    )
    docs, docs_out = _open(
        demo,
        "[AI task]: Document search",
        _form(
            description="Document the search endpoint.",
            type="docs",
            scope="docs/search.md",
            depends_on=f"#{api}",
            acceptance="docs/search.md explains the query syntax",
        ),
        "2026-03-01T08:05:00Z",
    )
    index, index_out = _open(
        demo,
        "[AI task]: Faster search index",
        _form(
            description="Cache the search index.",
            type="refactor",
            scope="src/search/index.py",
            acceptance="Index builds once per process",
        ),
        "2026-03-01T08:10:00Z",
    )
    vague, vague_out = _open(
        demo, "[AI task]: Make it better", _form(description="Somehow.", type="", scope=""), "2026-03-01T08:15:00Z"
    )
    demo.check(
        [api_out["status"], docs_out["status"], index_out["status"]] == ["queued"] * 3, "intake queues the three valid forms"
    )
    demo.check(
        vague_out["status"] == "invalid" and "needs-info" in demo.forge.get_issue(vague).labels,
        "the invalid form gets a comment and the needs-info label, and no task file",
    )
    demo.check(not (demo.root / f"docs/TASKS/queue/pending/task-{vague}.md").exists(), "no file for the invalid form")

    first = demo.cli("task", "dispatch", "--json", env={"LEADFORGE_NOW": NOW}).json()
    assigned = {a["task"]: a for a in first["assigned"]}
    waiting = {w["task"]: w["reason"] for w in first["waiting"]}
    demo.check(list(assigned) == [f"task-{api}"], "the first dispatch assigns only the search API task")
    demo.check(
        f"task-{docs}" in waiting and waiting[f"task-{docs}"].startswith("waiting for"), "the docs task waits for its dependency"
    )
    demo.check(
        f"task-{index}" in waiting and f"overlaps task-{api}" in waiting[f"task-{index}"],
        "the index task waits: its scope overlaps the running task",
    )
    branch = assigned[f"task-{api}"]["branch"]

    # the agent works on its branch; its pull request merges
    git = demo.git
    git.run("checkout", "-q", branch)
    (demo.root / "src" / "search").mkdir(parents=True, exist_ok=True)
    (demo.root / "src" / "search" / "api.py").write_text("def search(q: str) -> list[str]:\n    return []\n")
    head = demo.commit("feat(search): /search endpoint", ["src/search/api.py"])
    git.run("checkout", "-q", "main")
    git.run("merge", "-q", "--no-ff", "-m", f"Merge branch {branch}", branch)
    body = f"Closes #{api}\n\n- [x] GET /search?q= returns matches\n- [x] Tests cover an empty query\n"
    pull = demo.forge.open_pull("feat(search): /search endpoint", head=branch, body=body, head_sha=head, author="claude")
    demo.forge.merge_pull(pull.number, git.head())
    closed = demo.event(
        "pull_request.closed.merged",
        {
            "number": pull.number,
            "pull_request.number": pull.number,
            "pull_request.body": body,
            "pull_request.head.ref": branch,
            "pull_request.head.sha": head,
            "pull_request.base.ref": "main",
        },
    )
    done = demo.cli("task", "complete", "--no-dispatch", "--json", event=closed, env={"LEADFORGE_NOW": NOW}).json()
    demo.check(done["status"] == "completed", "completion verifies the merged pull request and completes the task")
    demo.check(demo.forge.get_issue(api).state == "closed", "the task's issue is closed with a summary")

    second = demo.cli("task", "dispatch", "--json", env={"LEADFORGE_NOW": NOW}).json()
    now_assigned = sorted(a["task"] for a in second["assigned"])
    demo.check(
        now_assigned == sorted([f"task-{docs}", f"task-{index}"]),
        "the next dispatch unblocks the dependant and the formerly overlapping task",
    )
    listing = demo.cli("task", "list", "--json").json()
    states = {t["id"]: t["state"] for t in listing["tasks"]}
    report = demo.out / "work" / "task-queue.json"
    report.write_text(json.dumps({"first_dispatch": first, "completion": done, "second_dispatch": second}, indent=2))
    return {
        "title": "AI task queue: form -> queue -> dispatch -> verified completion",
        "summary": f"Four issues through the form: three queued, one sent back with needs-info. The first dispatch gave "
        f"task-{api} to {assigned[f'task-{api}']['agent']} and held task-{docs} (dependency) and task-{index} "
        f"(overlapping scope); PR #{pull.number} merged and was verified; the next dispatch assigned both.",
        "facts": {
            "queued": 3,
            "needs-info": 1,
            "first dispatch": f"{len(first['assigned'])} assigned, {len(first['waiting'])} waiting",
            "completed": done["task"],
            "second dispatch": ", ".join(now_assigned),
            "states": ", ".join(f"{k}: {v}" for k, v in sorted(states.items())),
        },
        "artifacts": [demo.artifact(demo.root / "docs/TASKS/queue/README.md", "queue-README.md"), demo.artifact(report)],
    }
