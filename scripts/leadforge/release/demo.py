"""Demo stage: a tagged release from conventional commits, published to the local forge.

The maintainer tags v1.0.0, the team (and its AI agents) land work as squash-merged PRs, a
completed task from the queue belongs to one of them, ``leadforge release next-version`` picks
the next tag (a breaking change: major), and ``leadforge release publish --changelog`` creates the
release with notes (breaking changes first, groups, tasks, visual changes when the visual area
reports any, contributors) and commits CHANGELOG.md. A second publish edits nothing.
"""

from __future__ import annotations

from typing import Any

from leadforge.demo import Demo

SEED_TASK = "demo-one-page-checkout"


def _completed_task(demo: Demo) -> tuple[str, int, str]:
    """A completed task with a PR: one from the tasks stage when there is one, else one we complete here."""
    from leadforge.tasks.taskfile import QUEUE_DIR, Task, load_task, render_task

    folder = demo.root / QUEUE_DIR / "completed"
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        try:
            task = load_task(path, state="completed")
        except Exception:  # noqa: BLE001 - another stage's file; not ours to judge here
            continue
        if task.pr is not None:
            return task.id, task.pr, task.title
    task = Task(
        id=SEED_TASK,
        title="One-page checkout",
        state="completed",
        type="feature",
        agent="claude-code",
        assigned_to="claude-code",
        pr=101,
        completed_at="2026-01-05T10:00:00Z",
        branch="ai/one-page-checkout",
        acceptance=("checkout fits on one page",),
        body="Make checkout a single page.\n",
    ).with_event("completed", at="2026-01-05T10:00:00Z", by="claude-code", note="PR #101 merged")
    target = demo.root / task.relpath()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_task(task), encoding="utf-8")
    demo.commit("chore(queue): complete demo-one-page-checkout", [str(target.relative_to(demo.root))])
    return task.id, 101, task.title


def _store_release_screenshots(demo: Demo, tag: str) -> bool:
    """When the visual stage left a baseline, store the release's screenshots
    (``leadforge visual release``) so the notes get their "Visual changes" section."""
    baseline = demo.root / "screenshots" / "baseline"
    if not baseline.is_dir() or not any(baseline.rglob("*.png")):
        return False
    demo.cli("visual", "release", "--tag", tag, "--commit")
    return True


def first_assets(visual: list[dict[str, Any]]) -> int:
    return len({p for v in visual for p in (v["before"], v["after"], v["diff"]) if p})


def run_stage(demo: Demo) -> dict[str, Any]:
    git = demo.git
    git.tag("v1.0.0", message="Release v1.0.0")
    task_id, pr, title = _completed_task(demo)
    subject = title[:1].lower() + title[1:]
    demo.commit(f"feat: {subject} (#{pr})\n\nCo-authored-by: Claude <noreply@anthropic.com>")
    demo.commit("fix(cart): round totals half-up (#102)\n\nCloses #17")
    demo.commit("perf: cache product thumbnails (#103)")
    demo.commit("docs: pricing guide (#104)")
    demo.commit("chore(deps): bump jinja2 to 3.1.6")
    demo.commit("feat(api)!: version the public API (#105)\n\nBREAKING CHANGE: endpoints moved under /api/v2")
    reverted = demo.commit("feat: confetti on checkout (#106)")
    demo.commit(f'Revert "feat: confetti on checkout (#106)"\n\nThis reverts commit {reverted}.')
    demo.commit("Update README")

    nxt = demo.cli("release", "next-version", "--json").json()
    demo.check(
        nxt["current"] == "v1.0.0" and nxt["bump"] == "major" and nxt["next"] == "v2.0.0",
        "next-version: a breaking change after v1.0.0 means v2.0.0",
    )
    tag = nxt["next"]
    git.tag(tag, message=f"Release {tag}")
    stored = _store_release_screenshots(demo, tag)

    context = demo.cli("release", "notes", "--tag", tag, "--json").json()
    groups = {g["type"]: [c["subject"] for c in g["commits"]] for g in context["groups"]}
    demo.check(context["previous"] == "v1.0.0", f"the notes of {tag} start after v1.0.0")
    demo.check(
        list(groups)[:2] == ["feat", "fix"] and "version the public API" in groups["feat"],
        "commits are grouped in the configured order (Features, Bug Fixes, ...)",
    )
    demo.check(
        [b["description"] for b in context["breaking"]] == ["endpoints moved under /api/v2"],
        "the breaking change is listed with its BREAKING CHANGE text",
    )
    demo.check(
        all("confetti" not in s for subjects in groups.values() for s in subjects), "a reverted commit and its revert cancel out"
    )
    demo.check(all("jinja2" not in s for subjects in groups.values() for s in subjects), "chore(deps) commits are skipped")
    demo.check([t["id"] for t in context["tasks"]] == [task_id], "the completed task whose PR is in the range is listed")
    agents = sorted(c["name"] for c in context["contributors"] if c["agent"])
    demo.check("Claude" in agents, "AI agents are credited among the contributors")

    notes_path = demo.out / "work" / f"release-notes-{tag}.md"
    demo.cli("release", "notes", "--tag", tag, "--output", str(notes_path))
    first = demo.cli("release", "publish", "--tag", tag, "--changelog", "--json").json()
    again = demo.cli("release", "publish", "--tag", tag, "--json").json()
    demo.check((first["status"], again["status"]) == ("created", "unchanged"), "publishing twice edits nothing")
    release = demo.forge.get_release_by_tag(tag)
    demo.check(
        release is not None and release.body.startswith("### ⚠ Breaking changes"),
        "the release on the forge starts with the breaking changes",
    )
    changelog = (demo.root / "CHANGELOG.md").read_text(encoding="utf-8")
    demo.check(changelog.count(f"<!-- leadforge:release:{tag} -->") == 1, "CHANGELOG.md has one entry for the tag")
    demo.check(git.out("log", "-1", "--format=%s") == f"docs(changelog): {tag}", "the changelog update is a commit")

    artifacts = [demo.artifact(notes_path, "release-notes.md"), demo.artifact(demo.root / "CHANGELOG.md")]
    visual = context["visual"]
    if visual:
        demo.check(
            release is not None and "<details>" in release.body and len(release.assets) == first_assets(visual),
            "visual changes are in the notes and their screenshots are release assets",
        )

    if (demo.root / "VISUAL_CHANGELOG.md").exists():
        artifacts.append(demo.artifact(demo.root / "VISUAL_CHANGELOG.md"))
    return {
        "title": "Release notes and publishing",
        "summary": f"{tag} was tagged after next-version read a breaking change; its notes list "
        f"{sum(len(g['commits']) for g in context['groups'])} commits in {len(context['groups'])} groups, "
        f"the breaking change first, {len(context['tasks'])} completed task(s) and {len(visual)} visual change(s). "
        "Publishing twice left one release; CHANGELOG.md got one entry in a follow-up commit.",
        "facts": {
            "tag": tag,
            "previous": context["previous"],
            "groups": ", ".join(g["title"] for g in context["groups"]),
            "breaking changes": len(context["breaking"]),
            "tasks completed": len(context["tasks"]),
            "visual changes": len(visual) if visual or stored else "none (the visual area stored no release screenshots)",
            "AI agents credited": ", ".join(agents),
            "assets uploaded": len(first["assets"]),
        },
        "artifacts": artifacts,
        "links": {"release notes": artifacts[0]},
    }
