"""One build: read the checkout the way the CLI does and freeze it into a ``Snapshot``.

The report is ``leadforge metrics --json``'s (all time, ``metrics.commands.collect_all``), the site is
``leadforge dashboard build``'s (``metrics.dashboard.repository_site``), blocked tasks are the
dispatcher's verdict (``tasks.dispatch.decide``) and the stale limit is the sweep's: one place each.
A fresh ``App`` per build re-reads ``.github/leadforge.yml``, so a config change lands with its commit.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from leadforge.app import App, Output
from leadforge.errors import LeadforgeError
from leadforge.metrics.compute import Period
from leadforge.serve.snapshot import Checkout, Snapshot, snapshot_from


def build_snapshot(
    repo: Path, env: Mapping[str, str], *, refs: Mapping[str, str], clock: Callable[[], float], config_path: str | None = None
) -> Snapshot:
    from leadforge.metrics.commands import collect_all
    from leadforge.metrics.dashboard import repository_site
    from leadforge.tasks.dispatch import decide
    from leadforge.tasks.profiles import load_profiles
    from leadforge.tasks.service import options

    started = time.monotonic()
    quiet = Output(stdout=io.StringIO(), stderr=io.StringIO())
    app = App(repo=repo, config_path=config_path, env=dict(env), out=quiet)
    collected = collect_all(app, Period())
    site, _visual = repository_site(app, collected.report, collected.tasks)
    tasks = options(app)  # the tasks: section, typed (validated with the whole config by collect_all above)
    try:
        profiles = load_profiles(repo, tasks.profiles_dir)
    except LeadforgeError:
        profiles = ()  # the report's sources already say why ("profiles not read: ...")
    plan = decide(
        collected.tasks,
        profiles,
        branch_prefix=tasks.branch_prefix,
        slug_length=tasks.slug_length,
        unreadable=[Path(path).stem for path, _ in collected.problems],
    )
    git = app.git
    head = git.head()
    committed = git.run("log", "-1", "--format=%ct", head, check=False).stdout.strip()
    checkout = Checkout(head, git.current_branch(), float(committed) if committed.isdigit() else None)
    return snapshot_from(
        checkout=checkout,
        tasks=collected.tasks,
        problems=collected.problems,
        profiles=profiles,
        dispatch_blocked=[(held.task, held.reason) for held in plan.blocked],
        refs=refs,
        report=collected.report,
        samples=collected.samples,
        stale_after_hours=tasks.stale_after_hours,
        requeue_after_hours=tasks.requeue_after_hours,
        site=site,
        built_at=clock(),
        build_seconds=round(time.monotonic() - started, 3),
    )
