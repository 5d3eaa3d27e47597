"""Snapshot -> metric families and the queue document (pure: no git, no server)."""

from __future__ import annotations

from dataclasses import replace

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from leadforge.metrics.compute import People, Period, compute
from leadforge.serve.exposition import DURATION_BUCKETS, ServiceStatus, SnapshotCollector, metric_families
from leadforge.serve.snapshot import Checkout, Snapshot, blocked_reasons, queue_document, snapshot_from, with_refs
from leadforge.tasks.dispatch import decide
from leadforge.tasks.profiles import load_profiles
from tests.serve.queue import HOUR, NOW_EPOCH, PROFILES, tasks

STATUS = ServiceStatus("0.1.0", 60.0, NOW_EPOCH, 2, 1)
REFS = {"ai/p2-billing": "2026-11-16T00:00:00Z", "ai/p3-export": "2026-11-20T10:00:00Z", "main": "2026-11-20T00:00:00Z"}


def snapshot(tmp_path) -> Snapshot:
    for name, text in PROFILES.items():
        (tmp_path / "profiles").mkdir(exist_ok=True)
        (tmp_path / "profiles" / f"{name}.yml").write_text(text)
    profiles = load_profiles(tmp_path)
    queue = tasks()
    report = compute(queue, period=Period(), people=People(frozenset(PROFILES), frozenset({"human"})))
    return snapshot_from(
        checkout=Checkout("a" * 40, "main", NOW_EPOCH - HOUR),
        tasks=queue,
        problems=[("docs/TASKS/queue/pending/bad.md", "x")],
        profiles=profiles,
        dispatch_blocked=[(h.task, h.reason) for h in decide(queue, profiles).blocked],
        refs=REFS,
        report=report.to_dict(),
        samples=report.samples,
        stale_after_hours=48,
        requeue_after_hours=24,
        site={"index.html": "<h1>x</h1>"},
        built_at=NOW_EPOCH,
        build_seconds=0.5,
    )


def exposed(snap: Snapshot | None, now: float) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: (snap, STATUS), lambda: now))
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_stale_is_computed_at_scrape_time_from_the_last_activity(tmp_path):
    snap = snapshot(tmp_path)

    assert exposed(snap, NOW_EPOCH)[("leadforge_tasks_stale", ())] == 1  # p2
    # 36 hours later p1 (silent since 11-19 12:00) is past 48 h too; p3's branch commit (11-20 10:00) is not
    assert exposed(snap, NOW_EPOCH + 36 * HOUR)[("leadforge_tasks_stale", ())] == 2
    assert exposed(snap, NOW_EPOCH + 47 * HOUR)[("leadforge_tasks_stale", ())] == 3


def test_histogram_buckets_are_cumulative_and_end_with_every_sample(tmp_path):
    samples = exposed(snapshot(tmp_path), NOW_EPOCH)
    claude = (("agent", "claude"), ("kind", "agent"))

    counts = [samples[("leadforge_task_cycle_time_seconds_bucket", (*claude, ("le", str(float(b)))))] for b in DURATION_BUCKETS]
    assert counts == sorted(counts) and counts[-1] == 2
    assert samples[("leadforge_task_cycle_time_seconds_bucket", (*claude, ("le", "+Inf")))] == 2
    assert samples[("leadforge_task_cycle_time_seconds_bucket", (*claude, ("le", "14400.0")))] == 0  # 6 h is not <= 4 h...
    assert samples[("leadforge_task_cycle_time_seconds_bucket", (*claude, ("le", "28800.0")))] == 1  # ...but <= 8 h


def test_before_the_first_build_only_the_service_speaks(tmp_path):
    samples = exposed(None, NOW_EPOCH)

    assert samples[("leadforge_ready", ())] == 0
    assert samples[("leadforge_refresh_errors_total", ())] == 2
    assert not any(name.startswith("leadforge_tasks") for name, _ in samples)


def test_families_are_plain_data_of_the_snapshot(tmp_path):
    families = {f.name: f for f in metric_families(snapshot(tmp_path), STATUS, NOW_EPOCH)}

    assert families["leadforge_agent_tasks_completed"].type == "counter"
    assert families["leadforge_task_lead_time_seconds"].type == "histogram"
    assert families["leadforge_checkout"].samples[0].labels == {"commit": "a" * 40, "branch": "main"}


def test_blocked_reasons_prefer_the_dispatchers_verdict():
    queue = tasks()
    queue[6] = replace(queue[6], blocked_reason="waiting on legal")  # q1
    queue[0] = replace(queue[0], blocked_reason="stale note on a completed task")  # c1: completed, never blocked
    reasons = blocked_reasons(queue, [("q3", "unknown dependency q9")])

    assert reasons == {"q3": "unknown dependency q9", "q1": "waiting on legal"}


def test_a_push_to_a_task_branch_moves_only_its_activity(tmp_path):
    snap = snapshot(tmp_path)

    moved = with_refs(snap, {**REFS, "ai/p2-billing": "2026-11-20T11:00:00Z"})

    assert exposed(moved, NOW_EPOCH)[("leadforge_tasks_stale", ())] == 0
    assert {v.id: v.last_activity for v in moved.tasks}["p2"] == NOW_EPOCH - HOUR
    assert moved.report is snap.report and moved.commit == snap.commit
    # a branch that went away leaves the task-file activity (assigned 11-15 00:00)
    gone = with_refs(snap, {})
    assert {v.id: v.last_activity for v in gone.tasks}["p2"] == NOW_EPOCH - (5 * 24 + 12) * HOUR


def test_the_queue_document_counts_and_flags_every_task(tmp_path):
    doc = queue_document(snapshot(tmp_path), NOW_EPOCH, NOW_EPOCH)

    assert doc["counts"] == {"pending": 6, "in-progress": 3, "completed": 3}
    assert (doc["blocked"], doc["ready"], doc["stale"]) == (3, 2, 1)
    assert doc["refreshed_at"] == "2026-11-20T12:00:00Z"
    assert doc["errors"] == [{"file": "docs/TASKS/queue/pending/bad.md", "error": "x"}]
