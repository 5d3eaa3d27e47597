"""The template context of a release: plain JSON-able data, built by pure functions.

``leadforge release notes --json`` prints exactly this dict; the Markdown
templates (built-in or the repo's override) render from it. Shape::

    {"version", "previous", "date",
     "groups": [{"type", "title", "commits": [{"sha", "type", "scope", "subject", "breaking", "pr", "issues", "authors"}]}],
     "breaking": [{"sha", "type", "scope", "subject", "description", "pr", "issues"}],
     "contributors": [{"name", "email", "agent", "commits", "tasks"}],
     "tasks": [{"id", "title", "type", "agent", "pr", "issue", "completed_at"}],
     "visual": [{"page", "viewport", "before", "after", "diff", "mismatch_ratio"}]}

Sections whose source is absent (no task queue, no visual release screenshots) are empty lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from leadforge.release.changes import Changes, Commit, Person


def commit_dict(commit: Commit) -> dict[str, Any]:
    return {
        "sha": commit.sha,
        "type": commit.type,
        "scope": commit.scope,
        "subject": commit.subject,
        "breaking": commit.breaking,
        "pr": commit.pr,
        "issues": list(commit.issues),
        "authors": [p.name for p in commit.authors],
    }


def task_dict(task: Any) -> dict[str, Any]:
    """A completed ``leadforge.tasks.taskfile.Task`` as the notes show it."""
    agent = task.assigned_to or (task.agent if task.agent and task.agent != "auto" else None)
    return {
        "id": task.id,
        "title": task.title,
        "type": task.type,
        "agent": agent,
        "pr": task.pr,
        "issue": task.issue,
        "completed_at": task.completed_at,
    }


def is_agent(person: Person, patterns: Sequence[re.Pattern[str]]) -> bool:
    text = str(person)
    return any(p.search(text) for p in patterns)


def contributors(
    commits: Iterable[Commit], tasks: Sequence[Mapping[str, Any]], patterns: Sequence[re.Pattern[str]]
) -> list[dict[str, Any]]:
    """Everyone who made the release: commit authors and co-authors (first appearance first),
    then AI agents that completed the release's tasks. Agents are marked ``agent: true``."""
    people: dict[str, dict[str, Any]] = {}
    task_agents = {str(t["agent"]).lower() for t in tasks if t.get("agent")}
    for commit in commits:
        authors = commit.authors if commit.coauthors else (commit.author,)
        seen_here: set[str] = set()
        for person in authors:
            key = person.name.lower()
            if key in seen_here:
                continue
            seen_here.add(key)
            entry = people.get(key)
            if entry is None:
                entry = people[key] = {
                    "name": person.name,
                    "email": person.email,
                    "agent": is_agent(person, patterns) or key in task_agents,
                    "commits": 0,
                    "tasks": [],
                }
            entry["commits"] += 1
    for task in tasks:
        agent = task.get("agent")
        if not agent:
            continue
        key = str(agent).lower()
        entry = people.get(key)
        if entry is None:
            entry = people[key] = {"name": str(agent), "email": "", "agent": True, "commits": 0, "tasks": []}
        entry["agent"] = True
        entry["tasks"].append(task["id"])
    return list(people.values())


def build_context(
    *,
    version: str,
    previous: str | None,
    date: str,
    changes: Changes,
    groups: Sequence[Any],
    tasks: Sequence[Any] = (),
    visual: Sequence[Mapping[str, Any]] = (),  # the visual area's section (visual.release.notes_section)
    agent_patterns: Sequence[str] = (),
) -> dict[str, Any]:
    """The template context (see the module docstring). ``groups`` are ``settings.Group`` items:
    their order and titles; hidden groups and empty groups are left out."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for commit in changes.commits:
        by_group.setdefault(str(commit.group), []).append(commit_dict(commit))
    group_list = [{"type": g.id, "title": g.title, "commits": by_group[g.id]} for g in groups if g.visible and by_group.get(g.id)]
    breaking = [
        {
            "sha": c.sha,
            "type": c.type,
            "scope": c.scope,
            "subject": c.subject,
            "description": c.breaking_description or c.subject,
            "pr": c.pr,
            "issues": list(c.issues),
        }
        for c in changes.commits
        if c.breaking
    ]
    task_list = [t if isinstance(t, dict) else task_dict(t) for t in tasks]
    patterns = [re.compile(p) for p in agent_patterns]
    return {
        "version": version,
        "previous": previous,
        "date": date,
        "groups": group_list,
        "breaking": breaking,
        "contributors": contributors(changes.commits, task_list, patterns),
        "tasks": task_list,
        "visual": [dict(v) for v in visual],
    }


def tasks_in_range(tasks: Iterable[Any], prs: Iterable[int]) -> list[Any]:
    """Completed tasks whose PR is one of the range's PRs, ordered by PR then id."""
    wanted = set(prs)
    chosen = [t for t in tasks if t.pr is not None and t.pr in wanted]
    return sorted(chosen, key=lambda t: (t.pr, t.id))


def asset_name(path: str) -> str:
    """The release asset name of a screenshot: its path under ``screenshots/releases/``, '/' -> '-'
    (``screenshots/releases/v1.1.0/diffs/home-desktop.png`` -> ``v1.1.0-diffs-home-desktop.png``), so the
    before (previous release), after and diff images of a page never collide."""
    prefix = "screenshots/releases/"
    rel = path.removeprefix(prefix)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", rel.replace("/", "-")).strip("-") or "screenshot.png"
