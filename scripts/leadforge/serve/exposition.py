"""Snapshot -> Prometheus metric families (pure: plain records in, prometheus_client families out).

``SnapshotCollector`` hands these to the official client's registry on every scrape, so ``/metrics``
always says what the snapshot being served holds: the values are computed from it, never counted
up separately. Counters are totals over the task history (append-only), so they only grow, and a
restart of the service does not reset them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from leadforge.metrics.compute import Sample
from leadforge.serve.snapshot import Snapshot, stale_tasks

# Lead and cycle times of AI agents range from minutes to weeks: 15 min ... 30 days, in seconds.
DURATION_BUCKETS: tuple[float, ...] = (
    900,
    1800,
    3600,
    2 * 3600,
    4 * 3600,
    8 * 3600,
    12 * 3600,
    86400,
    2 * 86400,
    3 * 86400,
    7 * 86400,
    14 * 86400,
    30 * 86400,
)
# Report row key -> counter name (without _total) and help text.
AGENT_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("assigned", "leadforge_agent_tasks_assigned", "Tasks handed to the agent (assigned history entries), all time."),
    ("completed", "leadforge_agent_tasks_completed", "Tasks the agent completed (verified and merged), all time."),
    ("requeued", "leadforge_agent_tasks_requeued", "Tasks taken back from the agent and re-queued, all time."),
    (
        "failed_verification",
        "leadforge_agent_verification_failures",
        "Times a task's merged pull request failed verification while the agent held it, all time.",
    ),
)


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """What the running service knows about itself (not in the repository)."""

    version: str
    refresh_interval_seconds: float
    last_refresh: float | None  # epoch seconds of the last successful fetch (or local check)
    refresh_errors: int
    builds: int


def _histogram(name: str, doc: str, samples: Sequence[Sample], hours_of: Callable[[Sample], float | None]) -> Metric:
    family = HistogramMetricFamily(name, doc, labels=["agent", "kind"])
    by_row: dict[tuple[str, str], list[float]] = {}
    for sample in samples:
        hours = hours_of(sample)
        if hours is not None:
            by_row.setdefault((sample.agent, sample.kind), []).append(hours * 3600)
    for (agent, kind), values in sorted(by_row.items()):
        buckets = [(str(float(edge)), sum(1 for v in values if v <= edge)) for edge in DURATION_BUCKETS]
        buckets.append(("+Inf", len(values)))
        family.add_metric([agent, kind], buckets, sum_value=round(sum(values), 3))
    return family


def queue_families(snapshot: Snapshot, now: float) -> list[Metric]:
    tasks = GaugeMetricFamily(
        "leadforge_tasks", "Tasks in the queue by state (the folder), agent and priority.", labels=["state", "agent", "priority"]
    )
    for (state, agent, priority), count in sorted(Counter((v.state, v.agent, v.priority) for v in snapshot.tasks).items()):
        tasks.add_metric([state, agent, priority], count)
    blocked = GaugeMetricFamily(
        "leadforge_tasks_blocked",
        "Tasks that cannot move: a dependency cycle, an unknown dependency or agent, no profile takes them, or a blocked_reason.",
        value=sum(1 for v in snapshot.tasks if v.blocked),
    )
    stale = GaugeMetricFamily(
        "leadforge_tasks_stale",
        "In-progress tasks silent for the sweep's stale_after_hours.",
        value=len(stale_tasks(snapshot, now)),
    )
    ready = GaugeMetricFamily(
        "leadforge_tasks_ready",
        "Pending tasks with every dependency completed and nothing blocking them: they wait only for an agent.",
        labels=["priority"],
    )
    oldest = GaugeMetricFamily(
        "leadforge_queue_oldest_ready_timestamp_seconds",
        "When the longest-waiting ready task was queued (time() minus this is the queue wait).",
        labels=["priority"],
    )
    waiting: dict[str, list[float]] = {}
    for view in snapshot.tasks:
        if view.ready:
            waiting.setdefault(view.priority, []).append(view.queued_at if view.queued_at is not None else snapshot.built_at)
    for priority, stamps in sorted(waiting.items()):
        ready.add_metric([priority], len(stamps))
        oldest.add_metric([priority], min(stamps))
    activity = GaugeMetricFamily(
        "leadforge_task_last_activity_timestamp_seconds",
        "In-progress task's last sign of life: assigned_at, heartbeat_at or a commit on its branch.",
        labels=["task", "agent"],
    )
    for view in snapshot.tasks:
        if view.state == "in-progress" and view.last_activity is not None:
            activity.add_metric([view.id, view.agent], view.last_activity)
    unreadable = GaugeMetricFamily(
        "leadforge_task_files_unreadable", "Task files that could not be read (see /api/queue).", value=len(snapshot.unreadable)
    )
    stale_after = GaugeMetricFamily(
        "leadforge_sweep_stale_after_seconds",
        "tasks.stale_after_hours: silence after which the sweep warns.",
        value=snapshot.stale_after_seconds,
    )
    requeue_after = GaugeMetricFamily(
        "leadforge_sweep_requeue_after_seconds",
        "tasks.requeue_after_hours: further silence after which the sweep re-queues.",
        value=snapshot.requeue_after_seconds,
    )
    return [tasks, blocked, stale, ready, oldest, activity, unreadable, stale_after, requeue_after]


def agent_families(snapshot: Snapshot) -> list[Metric]:
    capacity = GaugeMetricFamily("leadforge_agent_capacity", "Tasks the agent's profile lets it hold at once.", labels=["agent"])
    for agent, value in sorted(snapshot.capacity.items()):
        capacity.add_metric([agent], value)
    held = Counter(v.agent for v in snapshot.tasks if v.state == "in-progress")
    load = GaugeMetricFamily("leadforge_agent_load", "In-progress tasks the agent holds.", labels=["agent"])
    for agent in sorted(set(snapshot.capacity) | set(held)):
        load.add_metric([agent], held.get(agent, 0))
    families: list[Metric] = [capacity, load]
    rows: Sequence[Mapping[str, Any]] = snapshot.report.get("agents", ())
    for key, name, doc in AGENT_COUNTERS:
        counter = CounterMetricFamily(name, doc, labels=["agent", "kind"])
        for row in rows:
            counter.add_metric([row["agent"], row["kind"]], row[key])
        families.append(counter)
    families.append(
        _histogram(
            "leadforge_task_lead_time_seconds",
            "Completed tasks' lead time: created -> completed.",
            snapshot.samples,
            lambda s: s.lead_hours,
        )
    )
    families.append(
        _histogram(
            "leadforge_task_cycle_time_seconds",
            "Completed tasks' cycle time: last assigned -> merged.",
            snapshot.samples,
            lambda s: s.cycle_hours,
        )
    )
    return families


def service_families(snapshot: Snapshot | None, status: ServiceStatus) -> list[Metric]:
    info = InfoMetricFamily("leadforge_build", "The running LeadForge version.", value={"version": status.version})
    interval = GaugeMetricFamily(
        "leadforge_refresh_interval_seconds",
        "Seconds between two refreshes of the checkout.",
        value=status.refresh_interval_seconds,
    )
    errors = CounterMetricFamily(
        "leadforge_refresh_errors", "Refreshes (fetch, fast-forward or build) that failed.", value=status.refresh_errors
    )
    builds = CounterMetricFamily("leadforge_snapshot_builds", "Snapshots built (the checkout moved).", value=status.builds)
    ready = GaugeMetricFamily(
        "leadforge_ready", "1 once the first snapshot is built (what /readyz says).", value=1 if snapshot is not None else 0
    )
    families: list[Metric] = [info, interval, errors, builds, ready]
    if status.last_refresh is not None:
        families.append(
            GaugeMetricFamily(
                "leadforge_refresh_last_success_timestamp_seconds",
                "When the checkout was last refreshed successfully.",
                value=status.last_refresh,
            )
        )
    if snapshot is not None:
        families.append(
            InfoMetricFamily(
                "leadforge_checkout",
                "The commit being served.",
                value={"commit": snapshot.checkout.commit, "branch": snapshot.checkout.branch},
            )
        )
        if snapshot.checkout.committed_at is not None:
            families.append(
                GaugeMetricFamily(
                    "leadforge_checkout_commit_timestamp_seconds",
                    "Committer date of the commit being served.",
                    value=snapshot.checkout.committed_at,
                )
            )
        families.append(
            GaugeMetricFamily(
                "leadforge_snapshot_build_duration_seconds",
                "How long the last snapshot took to build.",
                value=snapshot.build_seconds,
            )
        )
    return families


def metric_families(snapshot: Snapshot | None, status: ServiceStatus, now: float) -> list[Metric]:
    """Every LeadForge family for one scrape; before the first build only the service's own."""
    families = service_families(snapshot, status)
    if snapshot is not None:
        families += queue_families(snapshot, now) + agent_families(snapshot)
    return families


class SnapshotCollector(Collector):
    """A prometheus_client collector that reads the current snapshot at scrape time."""

    def __init__(self, current: Callable[[], tuple[Snapshot | None, ServiceStatus]], clock: Callable[[], float]) -> None:
        self._current = current
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        snapshot, status = self._current()
        yield from metric_families(snapshot, status, self._clock())
