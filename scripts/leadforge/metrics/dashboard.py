"""`leadforge dashboard build --out DIR`: a static site of the queue, the agents' metrics and visual changes.

``board`` and ``page_context`` are pure (tasks and a report in, plain dicts out);
``render_site`` turns the context into files with Jinja2 (autoescaped, sandboxed,
templates overridable from ``.github/leadforge/dashboard/``); ``write_site``
writes them atomically and removes files a previous build wrote that this one
did not. The page needs no server and no network: it opens from ``file://``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import InputError, LeadforgeError
from leadforge.tasks.taskfile import STATES, Task, parse_timestamp
from leadforge.templating import BUILTIN_TEMPLATES, sandboxed_environment

if TYPE_CHECKING:
    from leadforge.app import App

BUILTIN_DIR = BUILTIN_TEMPLATES / "dashboard"
OVERRIDE_DIR = Path(".github/leadforge/dashboard")
MANIFEST = ".leadforge-site.json"
PRIORITY_ORDER = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}
STATE_TITLES = {"pending": "Pending", "in-progress": "In progress", "completed": "Completed"}


@dataclass(frozen=True, slots=True)
class Links:
    """Web addresses of issues and pull requests; empty base: plain text, no links."""

    base: str = ""

    def issue(self, number: int | None) -> str:
        return f"{self.base}/issues/{number}" if self.base and number else ""

    def pull(self, number: int | None) -> str:
        return f"{self.base}/pull/{number}" if self.base and number else ""

    def tree(self, ref: str, path: str) -> str:
        return f"{self.base}/tree/{ref}/{path}" if self.base else ""


def repo_base_url(configured: str, server_url: str, repository: str, remote_url: str | None) -> str:
    """The repository's web address: config, else the Actions context, else a GitHub ``origin`` remote."""
    if configured:
        return configured.rstrip("/")
    if repository and "/" in repository:
        return f"{server_url.rstrip('/')}/{repository}"
    if remote_url:
        match = re.match(r"^(?:https://|git@|ssh://git@)([^/:]+)[/:]([^/]+)/([^/]+?)(?:\.git)?/?$", remote_url.strip())
        if match and "github" in match.group(1):
            return f"https://{match.group(1)}/{match.group(2)}/{match.group(3)}"
    return ""


# ---- the board (pure) --------------------------------------------------------------------------------


def _cycles(tasks: Mapping[str, Task]) -> dict[str, str]:
    """Task id -> the dependency cycle it is part of, spelled out (``a -> b -> a``)."""
    found: dict[str, str] = {}
    colour: dict[str, int] = {}
    for root in sorted(tasks):
        if colour.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                colour[node] = 1
                path.append(node)
            deps = [d for d in tasks[node].depends_on if d in tasks and tasks[d].state != "completed"]
            if index < len(deps):
                stack.append((node, index + 1))
                nxt = deps[index]
                if colour.get(nxt) == 1:
                    cycle = [*path[path.index(nxt) :], nxt]
                    for member in cycle[:-1]:
                        found.setdefault(member, " → ".join(cycle))
                elif not colour.get(nxt):
                    stack.append((nxt, 0))
            else:
                colour[node] = 2
                path.pop()
    return found


def _sort_key(task: Task) -> tuple[Any, ...]:
    if task.state == "completed":
        done = parse_timestamp(task.completed_at)
        return (-(done.timestamp() if done else 0), task.id)
    if task.state == "in-progress":
        return (task.assigned_at or "", task.id)
    return (PRIORITY_ORDER.get(task.priority, 9), task.created or "", task.id)


def board(tasks: Sequence[Task], links: Links, *, completed_limit: int = 100) -> dict[str, Any]:
    """Columns of cards: every task appears once, as a card or (old completed ones) in a compact list."""
    by_id = {t.id: t for t in tasks}
    cycles = _cycles(by_id)
    columns = []
    for state in STATES:
        cards = []
        for task in sorted((t for t in tasks if t.state == state), key=_sort_key):
            deps = []
            waiting, missing = [], []
            for dep in task.depends_on:
                other = by_id.get(dep)
                deps.append({"id": dep, "state": other.state if other else "unknown", "known": other is not None})
                if other is None:
                    missing.append(dep)
                elif other.state != "completed":
                    waiting.append(dep)
            blocked = ""
            if task.state != "completed":
                if task.blocked_reason:
                    blocked = task.blocked_reason
                elif task.id in cycles:
                    blocked = f"dependency cycle: {cycles[task.id]}"
                elif missing:
                    blocked = "unknown dependency: " + ", ".join(missing)
            cards.append(
                {
                    "id": task.id,
                    "title": task.title,
                    "state": state,
                    "priority": task.priority,
                    "type": task.type,
                    "agent": task.assigned_to or (task.agent if task.agent != "auto" else ""),
                    "issue": task.issue,
                    "issue_url": links.issue(task.issue),
                    "pr": task.pr,
                    "pr_url": links.pull(task.pr),
                    "branch": task.branch or "",
                    "scope": list(task.scope),
                    "deps": deps,
                    "waiting_on": waiting if task.state == "pending" else [],
                    "blocked": blocked,
                    "estimate_hours": task.estimate_hours,
                    "completed_at": task.completed_at or "",
                }
            )
        limit = completed_limit if state == "completed" else len(cards)
        columns.append(
            {
                "state": state,
                "title": STATE_TITLES[state],
                "count": len(cards),
                "cards": cards[:limit],
                "more": cards[limit:],
                "blocked": sum(1 for c in cards if c["blocked"]),
            }
        )
    return {"columns": columns, "total": len(tasks)}


def charts(report: Mapping[str, Any]) -> list[dict[str, str]]:
    """The SVG charts of the per-agent metrics (drawn here, inline in the page)."""
    from leadforge.metrics.charts import Series, bar_chart

    rows = list(report["agents"])
    labels = [r["agent"] for r in rows]
    specs = [
        (
            "chart-tasks",
            "Tasks per agent",
            [
                Series("assigned", tuple(float(r["assigned"]) for r in rows)),
                Series("completed", tuple(float(r["completed"]) for r in rows)),
            ],
            "tasks",
        ),
        (
            "chart-lines",
            "Lines added and removed",
            [
                Series("added", tuple(float(r["lines_added"]) for r in rows)),
                Series("removed", tuple(float(r["lines_removed"]) for r in rows)),
            ],
            "lines",
        ),
        (
            "chart-times",
            "Lead and cycle time, median hours",
            [
                Series("lead time", tuple(r["lead_time_hours"]["median"] for r in rows)),
                Series("cycle time", tuple(r["cycle_time_hours"]["median"] for r in rows)),
            ],
            "h",
        ),
        ("chart-hours", "Estimated hours saved", [Series("hours", tuple(float(r["hours_saved"]) for r in rows))], "h"),
    ]
    return [
        {"id": cid, "title": title, "svg": bar_chart(cid, title, labels, series, unit=unit)} for cid, title, series, unit in specs
    ]


def cost_chart(report: Mapping[str, Any]) -> dict[str, str]:
    """US dollars per agent in the period, and per completed task (from the ``cost`` object of each row)."""
    from leadforge.metrics.charts import Series, bar_chart

    rows = [r for r in report["agents"] if r.get("cost", {}).get("reports")]
    labels = [r["agent"] for r in rows]
    series = [
        Series("USD", tuple(float(r["cost"]["usd"]) for r in rows)),
        Series("USD per completed task", tuple(r["cost"]["usd_per_completed_task"] for r in rows)),
    ]
    title = "AI cost per agent, USD"
    return {
        "id": "chart-cost",
        "title": title,
        "svg": bar_chart("chart-cost", title, labels, series, unit="USD", css_class="cost-chart"),
    }


def forecast_context(forecast: Any) -> dict[str, Any] | None:
    """The Gantt-like picture of the forecast and its figures (None: no forecast)."""
    if forecast is None:
        return None
    from leadforge.tasks.forecast import gantt_svg

    data = forecast.to_dict()
    return {
        "svg": gantt_svg(forecast, "forecast-gantt"),
        "total_hours": data["total_hours"],
        "finish_at": data["finish_at"],
        "critical_path": data["critical_path"],
        "lower_bound_hours": data["lower_bound_hours"],
        "unscheduled": data["unscheduled"],
    }


def page_context(
    *,
    title: str,
    tasks: Sequence[Task],
    report: Mapping[str, Any],
    links: Links,
    visual: Any,
    visual_path: str,
    completed_limit: int,
    generated_for: str,
    reports_url: str,
    forecast: Any = None,
) -> dict[str, Any]:
    return {
        "title": title,
        "board": board(tasks, links, completed_limit=completed_limit),
        "report": report,
        "charts": charts(report),
        "cost_chart": cost_chart(report),
        "forecast": forecast_context(forecast),
        "visual": visual,
        "visual_path": visual_path,
        "links": {"base": links.base, "reports": reports_url},
        "generated_for": generated_for,
    }


# ---- rendering and writing (effects) -----------------------------------------------------------------


def _environment(repo: Path) -> Any:
    from jinja2 import select_autoescape

    env = sandboxed_environment(
        BUILTIN_DIR,
        repo,
        OVERRIDE_DIR,
        autoescape=select_autoescape(["html", "html.j2", "j2"], default_for_string=True, default=True),
    )
    env.filters["num"] = _num
    return env


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_site(repo: Path, context: Mapping[str, Any]) -> dict[str, str | bytes]:
    """Relative path -> content of every file of the site."""
    from jinja2 import TemplateError
    from markupsafe import Markup

    env = _environment(repo)
    ctx = dict(context)
    ctx["charts"] = [{**c, "svg": Markup(c["svg"])} for c in context["charts"]]
    if context.get("cost_chart"):
        ctx["cost_chart"] = {**context["cost_chart"], "svg": Markup(context["cost_chart"]["svg"])}
    if context.get("forecast"):
        ctx["forecast"] = {**context["forecast"], "svg": Markup(context["forecast"]["svg"])}
    if context.get("visual") is not None:
        ctx["visual_html"] = Markup(context["visual"].html)
    else:
        ctx["visual_html"] = None
    try:
        index = env.get_template("index.html.j2").render(**ctx)
        style = env.get_template("style.css").render()
    except TemplateError as err:
        raise InputError(f"dashboard template: {err}") from None
    files: dict[str, str | bytes] = {
        "index.html": index,
        "style.css": style,
        "metrics.json": json.dumps(context["report"], indent=2) + "\n",
        ".nojekyll": "",
    }
    visual = context.get("visual")
    if visual is not None:
        for source, target in sorted(visual.images.items()):
            files[target] = (repo / source).read_bytes()
    return files


def write_site(out: Path, files: Mapping[str, str | bytes]) -> list[str]:
    """Write every file atomically; remove files the previous build wrote and this one does not."""
    from leadforge.fsutil import atomic_write

    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    old: list[str] = []
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            old = list(json.loads(manifest.read_text(encoding="utf-8")).get("files", []))
        except (ValueError, AttributeError):
            old = []
    for rel, content in files.items():
        atomic_write(out / rel, content)
    for rel in sorted(set(old) - set(files)):
        target = (out / rel).resolve()
        if target.is_file() and out.resolve() in target.parents:
            target.unlink()
    atomic_write(manifest, json.dumps({"files": sorted(files)}, indent=1) + "\n")
    return sorted(files)


def _forecast(app: App, tasks: Sequence[Task]) -> Any:
    """The queue's forecast from the repository's profiles; unreadable profiles leave the page without one."""
    from leadforge.tasks.forecast import simulate
    from leadforge.tasks.options import load_options
    from leadforge.tasks.profiles import load_profiles

    try:
        opts = load_options(app.repo, app.config_path)
        profiles = load_profiles(app.repo, opts.profiles_dir)
    except LeadforgeError as err:
        app.out.info(f"leadforge: warning: no forecast on the dashboard: {err}")
        return None
    return simulate(tasks, profiles, now=_forecast_origin(app), default_estimate=opts.default_estimate_hours)


def _forecast_origin(app: App) -> str:
    """The moment the forecast starts from: the checkout's HEAD commit, so a rebuild of one commit is byte-identical.

    ``LEADFORGE_NOW`` still pins it; outside a git repository (or before the first commit) it is the clock.
    """
    from leadforge.errors import GitError
    from leadforge.metrics.commands import _now

    if not app.env.get("LEADFORGE_NOW"):
        try:
            committed = app.git.out("log", "-1", "--format=%cI", "HEAD")
        except GitError:
            committed = ""
        if committed:
            moment = datetime.fromisoformat(committed).astimezone(UTC)
            return moment.isoformat().replace("+00:00", "Z")
    return _now(app).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _site(
    app: App, tasks: Sequence[Task], report_data: Mapping[str, Any], links: Links, visual: Any, repository: str, forecast: Any
) -> dict[str, str | bytes]:
    config = app.config
    settings = config.metrics.dashboard
    context = page_context(
        title=settings.title,
        tasks=tasks,
        report=report_data,
        links=links,
        visual=visual,
        visual_path=config.visual.changelog,
        completed_limit=settings.completed_limit,
        generated_for=repository,
        reports_url=links.tree(config.default_branch, config.metrics.reports_dir),
        forecast=forecast,
    )
    return render_site(app.repo, context)


def repository_site(app: App, report_data: Mapping[str, Any], tasks: Sequence[Task]) -> tuple[dict[str, str | bytes], Any]:
    """The site of ``app.repo`` from a report already computed (``dashboard build`` and ``serve`` both use it);
    returns the files and the visual changelog entry shown."""
    from leadforge.metrics import visualchangelog

    config = app.config
    settings = config.metrics.dashboard
    remote = None
    if not settings.base_url and not app.context.repository:
        try:
            remote = app.git.remote_url()
        except Exception:  # noqa: BLE001 - not a git repository: no links
            remote = None
    links = Links(repo_base_url(settings.base_url, app.context.server_url, app.context.repository, remote))
    visual = visualchangelog.load(app.repo, config.visual.changelog)
    repository = app.context.repository or app.repo.name
    return _site(app, tasks, report_data, links, visual, repository, _forecast(app, tasks)), visual


def run_build(app: App, out: str, since: str | None, until: str | None, week: str | None, sample: bool = False) -> int:
    from leadforge.metrics.commands import _now, collect_with_tasks
    from leadforge.metrics.period import make_period

    config = app.config
    period = make_period(since, until, week, _now(app))
    if sample:
        from leadforge.metrics.compute import People, Weights, compute
        from leadforge.metrics.sample import BASE, SAMPLE_URL, sample_git, sample_profiles, sample_tasks
        from leadforge.tasks.forecast import simulate

        tasks = sample_tasks()
        forecast = simulate(tasks, sample_profiles(), now=(BASE + timedelta(days=2)).isoformat().replace("+00:00", "Z"))
        report = compute(
            tasks,
            period=period,
            people=People(humans=frozenset({"mona"})),
            git=sample_git(),
            weights=Weights(config.metrics.keystrokes_per_line, config.metrics.keystrokes_per_removed_line),
        )
        report_data = report.to_dict()
        report_data["sources"].update(git="sample history", forge="", profiles="")
        visual = None
        files = _site(app, tasks, report_data, Links(SAMPLE_URL), visual, "example/shop (sample data)", forecast)
    else:
        report_data, tasks = collect_with_tasks(app, period)
        files, visual = repository_site(app, report_data, tasks)
    target = Path(out)
    if not target.is_absolute():
        target = Path.cwd() / target
    if app.dry_run:
        for rel in sorted(files):
            app.out.would(f"write {target / rel}")
        app.out.result({"out": str(target), "files": sorted(files)}, "")
        return 0
    written = write_site(target, files)
    summary = {
        "out": str(target),
        "index": str(target / "index.html"),
        "files": written,
        "tasks": len(tasks),
        "agents": len(report_data["agents"]),
        "visual_entry": visual.title if visual else None,
    }
    app.out.result(summary, f"dashboard: {target / 'index.html'} ({len(tasks)} tasks, {len(report_data['agents'])} agent rows)")
    return 0
