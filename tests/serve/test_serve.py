"""``leadforge serve`` as a real process on loopback, serving a clone of the generated queue (tests/serve/queue.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.events import load_event
from tests.serve.conftest import SECRET, Server, isolated_env, needs_serve_extra, start
from tests.serve.queue import HOUR, NOW_EPOCH, git, tasks, write

pytestmark = [pytest.mark.integration, needs_serve_extra]

Labels = tuple[tuple[str, str], ...]


def epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def scrape(server: Server) -> dict[tuple[str, Labels], float]:
    """Every sample of /metrics, parsed by prometheus_client's own parser: (sample name, labels) -> value."""
    response = server.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def of(samples: dict[tuple[str, Labels], float], name: str) -> dict[Labels, float]:
    return {labels: value for (sample, labels), value in samples.items() if sample == name}


def cli_json(repo: Path, *args: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "leadforge", "--repo", str(repo), *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout)


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    from leadforge.serve.webhook import sign

    return {
        "X-Hub-Signature-256": sign(secret.encode(), body),
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "Content-Type": "application/json",
    }


# ---- what /metrics says equals what the queue holds -------------------------------------------------


def test_queue_metrics_equal_what_the_queue_holds(server, remote):
    samples = scrape(server)

    held = Counter((t.state, t.assigned_to or t.agent, t.priority) for t in tasks())
    assert of(samples, "leadforge_tasks") == {
        (("agent", agent), ("priority", priority), ("state", state)): float(n) for (state, agent, priority), n in held.items()
    }
    listed = cli_json(remote[0] / "served", "task", "list", env=isolated_env(remote[0] / "home"))
    assert sum(of(samples, "leadforge_tasks").values()) == len(listed["tasks"]) == 12
    assert samples[("leadforge_task_files_unreadable", ())] == len(listed["errors"]) == 1
    assert samples[("leadforge_tasks_blocked", ())] == 3  # q3 (unknown dependency), q4 and q5 (a cycle)
    assert samples[("leadforge_tasks_stale", ())] == 1  # p2: 108 h silent, past the 48 h limit
    assert of(samples, "leadforge_tasks_ready") == {(("priority", "P0"),): 1, (("priority", "P1"),): 1}  # q6 waits on p1
    assert of(samples, "leadforge_queue_oldest_ready_timestamp_seconds") == {
        (("priority", "P0"),): epoch("2026-11-20T00:00:00Z"),
        (("priority", "P1"),): epoch("2026-11-18T00:00:00Z"),
    }
    assert of(samples, "leadforge_task_last_activity_timestamp_seconds") == {
        (("agent", "claude"), ("task", "p1")): epoch("2026-11-19T12:00:00Z"),
        (("agent", "copilot"), ("task", "p2")): epoch("2026-11-16T00:00:00Z"),  # its branch's commit, newer than assigned_at
        (("agent", "copilot"), ("task", "p3")): epoch("2026-11-20T10:00:00Z"),
    }
    assert samples[("leadforge_sweep_stale_after_seconds", ())] == 48 * HOUR
    assert samples[("leadforge_sweep_requeue_after_seconds", ())] == 24 * HOUR


def test_agent_metrics_equal_the_profiles_and_the_history(server, remote):
    samples = scrape(server)

    assert of(samples, "leadforge_agent_capacity") == {
        (("agent", "claude"),): 2,
        (("agent", "copilot"),): 3,
        (("agent", "human"),): 5,
    }
    assert of(samples, "leadforge_agent_load") == {
        (("agent", "claude"),): 1,
        (("agent", "copilot"),): 2,
        (("agent", "human"),): 0,
    }
    claude, copilot = (("agent", "claude"), ("kind", "agent")), (("agent", "copilot"), ("kind", "agent"))
    assert (
        of(samples, "leadforge_agent_tasks_assigned_total")[claude],
        of(samples, "leadforge_agent_tasks_assigned_total")[copilot],
    ) == (3, 4)
    assert (
        of(samples, "leadforge_agent_tasks_completed_total")[claude],
        of(samples, "leadforge_agent_tasks_completed_total")[copilot],
    ) == (2, 1)
    assert of(samples, "leadforge_agent_tasks_requeued_total")[copilot] == 1
    assert of(samples, "leadforge_agent_verification_failures_total")[claude] == 1
    # and every row of `leadforge metrics --json` is there with its numbers
    report = cli_json(remote[0] / "served", "metrics", env=isolated_env(remote[0] / "home"))
    for row in report["agents"]:
        labels = (("agent", row["agent"]), ("kind", row["kind"]))
        assert of(samples, "leadforge_agent_tasks_completed_total")[labels] == row["completed"]
        assert of(samples, "leadforge_agent_tasks_requeued_total")[labels] == row["requeued"]
        assert of(samples, "leadforge_agent_verification_failures_total")[labels] == row["failed_verification"]
        assert of(samples, "leadforge_agent_tasks_assigned_total")[labels] == row["assigned"]


def test_lead_and_cycle_time_histograms_hold_each_completed_task(server):
    samples = scrape(server)
    claude, copilot = (("agent", "claude"), ("kind", "agent")), (("agent", "copilot"), ("kind", "agent"))

    lead_count = of(samples, "leadforge_task_lead_time_seconds_count")
    lead_sum = of(samples, "leadforge_task_lead_time_seconds_sum")
    assert (lead_count[claude], lead_sum[claude]) == (2, (25 + 12) * HOUR)  # c2, c3
    assert (lead_count[copilot], lead_sum[copilot]) == (1, 10 * HOUR)  # c1
    cycle_sum = of(samples, "leadforge_task_cycle_time_seconds_sum")
    assert (cycle_sum[claude], cycle_sum[copilot]) == ((24 + 6) * HOUR, 8 * HOUR)
    buckets = of(samples, "leadforge_task_lead_time_seconds_bucket")
    assert [buckets[(*claude, ("le", le))] for le in ("28800.0", "43200.0", "86400.0", "172800.0", "+Inf")] == [0, 1, 1, 2, 2]


def test_service_metrics_name_the_commit_and_the_refresh(server, remote):
    samples = scrape(server)
    head = git(remote[0] / "remote.git", "rev-parse", "main")

    assert of(samples, "leadforge_checkout_info") == {(("branch", "main"), ("commit", head)): 1}
    assert samples[("leadforge_refresh_last_success_timestamp_seconds", ())] == NOW_EPOCH  # the clock is pinned
    assert samples[("leadforge_refresh_interval_seconds", ())] == 3600
    assert samples[("leadforge_ready", ())] == 1
    assert samples[("leadforge_snapshot_builds_total", ())] == 1
    assert ("process_resident_memory_bytes", ()) in samples  # the client library's own collectors


def test_openmetrics_is_served_when_prometheus_asks_for_it(server):
    response = server.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})

    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")
    assert "leadforge_agent_tasks_completed_total{" in response.text


# ---- the API and the pages ------------------------------------------------------------------------


def test_api_metrics_is_the_metrics_json_report(server, remote):
    expected = cli_json(remote[0] / "served", "metrics", env=isolated_env(remote[0] / "home"))

    assert server.get("/api/metrics").json() == expected


def test_api_queue_lists_every_task_with_what_blocks_it(server, remote):
    queue = server.get("/api/queue").json()

    assert queue["commit"] == git(remote[0] / "remote.git", "rev-parse", "main")
    assert queue["counts"] == {"pending": 6, "in-progress": 3, "completed": 3}
    by_id = {t["id"]: t for t in queue["tasks"]}
    assert {t for t, row in by_id.items() if row["blocked"]} == {"q3", "q4", "q5"}
    assert by_id["q3"]["blocked"] == "unknown dependency q9"
    assert by_id["q4"]["blocked"].startswith("dependency cycle: ")
    assert {t for t, row in by_id.items() if row["ready"]} == {"q1", "q2"}
    assert {t for t, row in by_id.items() if row["stale"]} == {"p2"}
    assert by_id["p3"]["last_activity"] == "2026-11-20T10:00:00Z"
    assert [e["file"] for e in queue["errors"]] == ["docs/TASKS/queue/pending/bad.md"]
    listed = cli_json(remote[0] / "served", "task", "list", env=isolated_env(remote[0] / "home"))
    for row in listed["tasks"]:  # the `task list --json` row, plus what the service adds
        assert {k: by_id[row["id"]][k] for k in row} == row


def test_pages_are_the_dashboard_build(server, remote, tmp_path):
    env = isolated_env(remote[0] / "home")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "leadforge",
            "--repo",
            str(remote[0] / "served"),
            "dashboard",
            "build",
            "--out",
            str(tmp_path / "site"),
        ],
        env=env,
        check=True,
        capture_output=True,
    )

    for path, page in (
        ("index.html", "/"),
        ("index.html", "/index.html"),
        ("style.css", "/style.css"),
        ("metrics.json", "/metrics.json"),
    ):
        response = server.get(page)
        assert response.status_code == 200, page
        assert response.content == (tmp_path / "site" / path).read_bytes(), page
    index = server.get("/")
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in index.headers["content-security-policy"]
    assert server.get("/", headers={"If-None-Match": index.headers["etag"]}).status_code == 304
    assert server.get("/nope.html").status_code == 404


def test_health_and_readiness(server):
    assert server.get("/healthz").json() == {"status": "ok", "ready": True}
    ready = server.get("/readyz").json()
    assert ready["ready"] is True and len(ready["commit"]) == 40


# ---- webhooks and refreshes ------------------------------------------------------------------------


def push_task(seed: Path, task_id: str) -> str:
    write(
        seed,
        f"docs/TASKS/queue/pending/{task_id}.md",
        f"---\nid: {task_id}\ntitle: New work\npriority: P3\ncreated: '2026-11-20T11:00:00Z'\n---\n",
    )
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", f"tasks: queue {task_id}")
    git(seed, "push", "-q", "origin", "main")
    return git(seed, "rev-parse", "HEAD")


def test_a_signed_push_webhook_refreshes_and_unsigned_or_wrongly_signed_ones_change_nothing(fresh_remote):
    base, seed = fresh_remote
    server = start(base)
    try:
        server.wait_ready()
        before = server.get("/api/queue").json()["commit"]
        after = push_task(seed, "q7")
        body = json.dumps(load_event("push", ref="refs/heads/main", before=before, after=after)).encode()

        missing = server.post("/hooks/github", data=body, headers={"X-GitHub-Event": "push"})
        wrong = server.post("/hooks/github", data=body, headers=signed(body, secret="not the secret"))
        tampered = server.post("/hooks/github", data=body + b" ", headers=signed(body))

        assert [r.status_code for r in (missing, wrong, tampered)] == [401, 401, 401]
        assert "X-Hub-Signature-256" in missing.json()["error"]
        # nothing moved: same commit, still one build (the interval is an hour away)
        assert server.get("/api/queue").json()["commit"] == before
        assert scrape(server)[("leadforge_snapshot_builds_total", ())] == 1

        accepted = server.post("/hooks/github", data=body, headers=signed(body))

        assert accepted.status_code == 202 and accepted.json() == {"refresh": "scheduled", "reason": "push to main"}
        server.wait_for(lambda: server.get("/api/queue").json()["commit"] == after, "the pushed commit")
        samples = scrape(server)
        assert of(samples, "leadforge_tasks")[(("agent", "auto"), ("priority", "P3"), ("state", "pending"))] == 1
        assert samples[("leadforge_snapshot_builds_total", ())] == 2
        assert "q7" in server.get("/").text  # the dashboard was rebuilt too
    finally:
        server.stop()


def test_a_ping_or_a_tag_push_is_verified_but_refreshes_nothing(server):
    ping = json.dumps(load_event("push.tag")).encode()
    headers = {**signed(ping), "X-GitHub-Event": "push"}

    response = server.post("/hooks/github", data=ping, headers=headers)

    assert response.status_code == 200 and response.json()["refresh"] == "not needed"
    pong = server.post(
        "/hooks/github",
        data=b'{"zen": "Keep it logically awesome."}',
        headers={**signed(b'{"zen": "Keep it logically awesome."}'), "X-GitHub-Event": "ping"},
    )
    assert pong.status_code == 200 and pong.json()["reason"].startswith("ping")


def test_the_interval_refresh_picks_up_a_new_commit(fresh_remote):
    base, seed = fresh_remote
    server = start(base, "--refresh", "0.5")
    try:
        server.wait_ready()
        after = push_task(seed, "q8")
        server.wait_for(lambda: server.get("/api/queue").json()["commit"] == after, "the interval refresh")
        assert "q8" in {t["id"] for t in server.get("/api/queue").json()["tasks"]}
    finally:
        server.stop()


def test_a_working_checkout_is_served_without_fetching(fresh_remote):
    base, seed = fresh_remote
    server = Server(["--repo", str(seed), "--no-fetch", "--port", "0", "--refresh", "0.5"], isolated_env(base / "home"), base)
    try:
        server.wait_ready()
        write(seed, "docs/TASKS/queue/pending/q9.md", "---\nid: q9\ntitle: Local work\n---\n")
        git(seed, "add", "-A")
        git(seed, "commit", "-q", "-m", "tasks: local")
        head = git(seed, "rev-parse", "HEAD")
        server.wait_for(lambda: server.get("/api/queue").json()["commit"] == head, "the local commit")
        # q3 waited on the unknown q9: now it exists (pending), so q3 is no longer blocked
        assert not {t["id"]: t for t in server.get("/api/queue").json()["tasks"]}["q3"]["blocked"]
    finally:
        server.stop()


# ---- shutdown and errors -------------------------------------------------------------------------


def test_sigterm_stops_it_gracefully(fresh_remote):
    server = start(fresh_remote[0])
    server.wait_ready()

    code = server.stop()

    assert code == 0, server.log
    assert "refresher stopped" in server.log and server.lines[-1] == "leadforge serve: stopped on SIGTERM"
    with pytest.raises(requests.ConnectionError):
        server.get("/healthz")


def test_a_folder_that_is_neither_empty_nor_a_checkout_is_refused(tmp_path, run_cli):
    (tmp_path / "notes.txt").write_text("hello")

    result = run_cli("serve", "--port", "0", repo=tmp_path)

    assert result.code == 1
    assert result.stderr.strip() == (
        f"leadforge: error: --repo {tmp_path}: not a git checkout (and not empty, so --clone cannot use it)"
    )


def test_a_port_in_use_is_a_one_line_error(git_repo, run_cli):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), repo=git_repo.path)
    finally:
        taken.close()

    assert result.code == 1
    assert result.stderr.startswith(f"leadforge: error: --host 127.0.0.1 --port {port}: cannot listen: ")


def test_a_force_pushed_branch_fails_the_refresh_and_the_last_snapshot_stays(fresh_remote):
    base, seed = fresh_remote
    server = start(base)
    try:
        server.wait_ready()
        before = server.get("/api/queue").json()["commit"]
        git(seed, "commit", "-q", "--amend", "-m", "tasks: the queue, rewritten")
        git(seed, "push", "-q", "--force", "origin", "main")
        body = json.dumps(load_event("push", ref="refs/heads/main", forced=True)).encode()

        assert server.post("/hooks/github", data=body, headers=signed(body)).status_code == 202
        server.wait_for(lambda: scrape(server)[("leadforge_refresh_errors_total", ())] == 1, "the failed refresh")

        ready = server.get("/readyz").json()
        assert ready["commit"] == before
        assert "cannot fast-forward main to origin/main (was it force-pushed?)" in ready["last_error"]
        assert server.get("/api/queue").json()["commit"] == before
        assert "refresh failed (serving " in server.log
    finally:
        server.stop()


def test_a_secret_file_is_reread_so_a_rotated_secret_takes_effect_without_a_restart(fresh_remote):
    base, _seed = fresh_remote
    secret_file = base / "webhook-secret"
    secret_file.write_text("first secret\n")
    env = {k: v for k, v in isolated_env(base / "home").items() if k != "LEADFORGE_WEBHOOK_SECRET"}
    server = start(base, "--webhook-secret-file", str(secret_file), env=env)
    try:
        server.wait_ready()
        body = json.dumps(load_event("push", ref="refs/heads/main")).encode()
        assert server.post("/hooks/github", data=body, headers=signed(body, "first secret")).status_code == 202

        secret_file.write_text("second secret\n")

        assert server.post("/hooks/github", data=body, headers=signed(body, "first secret")).status_code == 401
        assert server.post("/hooks/github", data=body, headers=signed(body, "second secret")).status_code == 202
        secret_file.unlink()  # an optional Secret that is gone: webhooks are off, and say so
        off = server.post("/hooks/github", data=body, headers=signed(body, "second secret"))
        assert off.status_code == 401 and off.json()["error"] == "webhooks are off: the server has no webhook secret"
    finally:
        server.stop()
