"""The `leadforge release` verbs: wire config, git, forge and output around the pure core."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import InputError
from leadforge.release import render as rendering
from leadforge.release.cli import no_gc
from leadforge.release.collect import Release, collect, resolve_range, start_range
from leadforge.release.options import ReleaseOptions, load_options, options_from_settings
from leadforge.visual.folders import ScreenshotDirs

if TYPE_CHECKING:
    from leadforge.app import App


NO_RELEASE_EXIT = 4  # `next-version` without --json: the commits since the last release need none (stdout is empty)


def _settings(app: App, *, full: bool = False) -> ReleaseOptions:
    """The ``release:`` settings, read once per run. ``notes`` and ``next-version`` use the fast reader
    (no pydantic: see ``release.options``) and fall back to the full config when it declines; the verbs
    that also need other sections (``changelog``, ``publish``: the visual changelog, the default branch)
    load the full config anyway (``full``)."""
    cached = app.__dict__.get("release_options")
    if cached is None:
        fast = None if full else load_options(app.repo, app.config_path)
        if fast is None:
            visual = app.config.visual
            fast = options_from_settings(app.config.release), ScreenshotDirs(visual.baseline_dir, visual.releases_dir)
        cached = app.__dict__["release_options"] = fast
    return cached[0]


def _screenshot_dirs(app: App) -> ScreenshotDirs:
    _settings(app)
    return app.__dict__["release_options"][1]


def _links(app: App, tag: str, settings: Any) -> rendering.Links:
    context = app.context
    repo_url = f"{context.server_url.rstrip('/')}/{context.repository}" if context.repository else ""
    return rendering.Links(repo_url=repo_url, tag=tag, assets=settings.upload_screenshots)


def _notes_template(app: App, settings: Any, template: str | None) -> Path | None:
    """An explicit --template, else the configured path when that file exists (else built-in)."""
    if template:
        path = Path(template)
        path = path if path.is_absolute() else (Path.cwd() / path if (Path.cwd() / path).exists() else app.repo / path)
        if not path.is_file():
            raise InputError(f"--template {template}: file not found")
        return path
    configured = app.repo / settings.template
    return configured if configured.is_file() else None


def _release(app: App, *, to: str, from_: str | None, label: str | None = None, need_tag: bool = False) -> Release:
    """Resolve and read the range. git starts walking it *before* the settings are read (the fast
    reader's YAML import, or pydantic and every area's settings when it declines, overlap git's walk),
    assuming the default tag prefix; a config with another prefix re-resolves the range and starts again."""
    from leadforge.release import gitlog
    from leadforge.semver import DEFAULT_TAG_PREFIX

    def resolve(prefix: str) -> Any:
        try:
            rng = resolve_range(app.repo, prefix, to=to, from_=from_, version=label)
        except InputError:
            if need_tag:
                raise InputError(f"--tag {to}: no such tag in {app.repo} (push the tag first, or check the name)") from None
            raise
        if need_tag and not rng.is_tag:
            raise InputError(f"--tag {to}: no such tag in {app.repo} (push the tag first, or check the name)")
        return rng

    rng = resolve(DEFAULT_TAG_PREFIX)
    started: gitlog.LogStream | None = start_range(app.repo, rng)
    try:
        settings = _settings(app)
        if settings.tag_prefix != DEFAULT_TAG_PREFIX and started is not None:
            started.cancel()
            started = None
            rng = resolve(settings.tag_prefix)
        if app.dry_run:
            # The visual area stores the release's screenshots and writes diff images: not in a dry run.
            app.out.info("[dry-run] visual changes are not computed (storing release screenshots writes files)")
        with no_gc():
            release = collect(
                app.repo, settings, rng, started=started, with_visual=not app.dry_run, screenshots=_screenshot_dirs(app)
            )
    except BaseException:
        if started is not None:
            started.cancel()
        raise
    for warning in release.warnings:
        app.out.info(f"leadforge: warning: {warning}")
    return release


def render_notes(app: App, release: Release, template: str | None = None) -> str:
    settings = _settings(app)
    links = _links(app, release.range.version, settings)
    path = _notes_template(app, settings, template)
    with no_gc():
        return rendering.render(release.context, path=path, repo=app.repo, links=links)


def notes(
    app: App, *, to: str | None, from_: str | None, tag: str | None, template: str | None, label: str | None, output: str | None
) -> int:
    if tag and to and tag != to:
        raise InputError("--tag and --to name different refs; give one of them")
    if output and Path(output).is_dir():
        raise InputError(f"--output {output}: is a folder; give the notes' file name, e.g. {Path(output) / 'notes.md'}")
    release = _release(app, to=tag or to or "HEAD", from_=from_, label=label, need_tag=bool(tag))
    if app.json:
        # Compact, one line: json's C encoder only runs without indent (15 MB of context at 50k commits).
        import json

        app.out.stdout.write(json.dumps(release.context, check_circular=False) + "\n")
        app.out.stdout.flush()
        return 0
    text = render_notes(app, release, template)
    if output:
        from leadforge.fsutil import atomic_write

        if app.dry_run:
            app.out.would(f"write {len(text)} characters of notes to {output}")
        else:
            atomic_write(Path(output), text)
            app.out.info(f"wrote {output}")
        return 0
    app.out.stdout.write(text)
    app.out.stdout.flush()
    return 0


def _latest_prerelease(app: App, release: Release, prefix: str) -> tuple[str, Any] | None:
    """The highest pre-release tag reachable from the range's end, when the range has no previous release."""
    from leadforge.release import gitlog
    from leadforge.semver import Version

    if release.range.previous is not None:
        return None
    found = [
        (v, name)
        for name in gitlog.tags_merged(app.repo, release.range.to_sha)
        if (v := Version.parse(name, prefix)) is not None and v.prerelease
    ]
    if not found:
        return None
    version, name = max(found, key=lambda item: item[0]._key())
    return name, version


def next_version(app: App, *, to: str | None, from_: str | None) -> int:
    from leadforge.semver import Version

    settings = _settings(app)
    release = _release(app, to=to or "HEAD", from_=from_)
    previous = release.range.previous
    current = Version.parse(previous, settings.tag_prefix) if previous else None
    pre = _latest_prerelease(app, release, settings.tag_prefix) if current is None else None
    if pre is not None:
        # No final release yet, but a pre-release (v1.0.0-rc.1): the next release is at least the one it
        # heads to, never a lower v0.1.0.
        previous, current = pre
        bump = release.changes.bump
        if current.major == 0 and bump in ("major", "minor"):
            bump = settings.zero_breaking_bump if bump == "major" else settings.zero_minor_bump
        bump = "patch" if bump == "none" else bump
        nxt = current.bump(bump)
    elif current is None:
        nxt = Version(0, 1, 0) if release.changes.commits or release.changes.skipped else None
        bump = "initial" if nxt else "none"
    else:
        bump = release.changes.bump
        nxt = current.bump(bump) if bump != "none" else None
    tag = f"{settings.tag_prefix}{nxt}" if nxt else None
    data = {
        "current": previous,
        "next": tag,
        "bump": bump,
        "commits": len(release.changes.commits) + len(release.changes.skipped),
        "breaking": len(release.changes.breaking),
    }
    if app.context.output_path:
        app.actions.set_output("next-version", tag or "")
        app.actions.set_output("bump", bump)
    if app.json:
        app.out.result(data, "")
        return 0
    # The tag alone on stdout (TAG=$(leadforge release next-version) gets just that), the why on stderr.
    count = f"{data['commits']} commit{'s' if data['commits'] != 1 else ''}"
    since = f"since {previous}" if previous else "in the history"
    if tag is None:
        kinds = ", ".join(dict.fromkeys((*settings.minor_types, *settings.patch_types)))
        app.out.info(f"no release needed: {count} {since}, none breaking or of type {kinds or '(none configured)'}")
        return NO_RELEASE_EXIT
    why = "first release" if bump == "initial" else f"{bump} bump from {previous}"
    app.out.info(f"{tag}: {why} ({count} {since}, {data['breaking']} breaking)")
    app.out.stdout.write(tag + "\n")
    app.out.stdout.flush()
    return 0


def _changelog_plan(app: App, release: Release) -> Any:
    from leadforge.release.publish import plan_changelog

    settings = _settings(app)
    links = _links(app, release.range.version, settings)
    entry = rendering.render(release.context, name=rendering.CHANGELOG_ENTRY, repo=app.repo, links=links)
    visual_changelog = app.config.visual.changelog
    has_visual_file = (app.repo / visual_changelog).exists()
    visual_entry = None
    if release.context["visual"] or has_visual_file:
        visual_entry = rendering.render(release.context, name=rendering.VISUAL_ENTRY, repo=app.repo, links=links)
    return plan_changelog(app.repo, settings.changelog, visual_changelog, release.range.version, entry, visual_entry)


def _write_changelog(app: App, release: Release, commit: bool) -> list[str]:
    from leadforge.release.publish import apply_changelog

    plan = _changelog_plan(app, release)
    if app.dry_run:
        for update in plan.changed:
            app.out.would(f"write the {plan.tag} entry into {update.path}")
        return [u.path for u in plan.changed]
    if not commit:
        return apply_changelog(plan, app.repo)
    from leadforge.fsutil import atomic_write

    settings = _settings(app)
    git = app.git
    branch = settings.changelog_branch or app.config.default_branch
    has_remote = git.remote_url() is not None
    # VISUAL_CHANGELOG.md shows the release's screenshots by repository path: commit them with it.
    # They are held in memory across the branch switch: untracked copies (stored at the tag by the
    # visual area) would make `git checkout` refuse when the branch already has them (a re-run).
    screenshots = {
        p: (app.repo / p).read_bytes()
        for v in release.context["visual"]
        for p in (v["before"], v["after"], v["diff"])
        if p and (app.repo / p).is_file()
    }
    if has_remote:
        untracked = set(screenshots) - set(git.ls_files(*screenshots)) if screenshots else set()
        for path in untracked:
            (app.repo / path).unlink()
        try:
            git.fetch("origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
            git.create_branch(branch, f"origin/{branch}", checkout=True)
        except BaseException:
            # the only copies of the release's screenshots were those files: put them back
            for path in untracked:
                atomic_write(app.repo / path, screenshots[path])
            raise
    elif git.current_branch() == "":
        raise InputError(f"cannot commit the changelog: HEAD is detached and there is no remote to push {branch} to")
    written: list[str] = []

    def apply() -> str | None:
        written.clear()
        for path, data in screenshots.items():
            target = app.repo / path
            if not target.is_file() or target.read_bytes() != data:
                atomic_write(target, data)
        written.extend(apply_changelog(_changelog_plan(app, release), app.repo))
        git.add([*written, *screenshots])
        return f"docs(changelog): {release.range.version}"

    sha = git.transact(apply, branch=branch if has_remote else None, push=has_remote)
    if sha:
        app.out.info(f"committed {', '.join(written)} as {sha[:12]}" + (f" and pushed to {branch}" if has_remote else ""))
    return written


def changelog(app: App, *, tag: str, from_: str | None, commit: bool) -> int:
    _settings(app, full=True)
    release = _release(app, to=tag, from_=from_, need_tag=True)
    written = _write_changelog(app, release, commit)
    data = {"tag": tag, "written": written}
    verb = "would update" if app.dry_run else "updated"
    app.out.result(data, f"{tag}: " + (f"{verb} {', '.join(written)}" if written else "changelogs already up to date"))
    return 0


def publish(app: App, *, tag: str, from_: str | None, template: str | None, changelog: bool, assets: Sequence[str] = ()) -> int:
    from leadforge.release.publish import apply_publish, plan_publish
    from leadforge.semver import Version

    settings = _settings(app, full=True)
    if Version.parse(tag, settings.tag_prefix) is None:
        raise InputError(
            f"--tag {tag}: not a release tag (expected {settings.tag_prefix}MAJOR.MINOR.PATCH[-PRE]); nothing published"
        )
    release = _release(app, to=tag, from_=from_, need_tag=True)
    body = render_notes(app, release, template)
    plan = plan_publish(
        app.repo,
        release.context,
        body,
        prerelease=release.range.prerelease,
        upload=settings.upload_screenshots,
        extra=[Path(a) for a in assets],
    )
    if app.dry_run:
        for line in plan.describe():
            app.out.would(line)
        if changelog:
            _write_changelog(app, release, commit=True)
        app.out.result({"tag": tag, "plan": plan.describe(), "body": body}, body)
        return 0
    result = apply_publish(plan, app.forge, app.repo)
    kind = "Pre-release" if plan.prerelease else "Release"
    link = f"[{tag}]({result['url']})" if result["url"] else tag
    app.actions.summary(f"## {kind} {link} {result['status']}\n\n{body}")
    app.actions.set_output("release-url", result["url"] or "")
    app.actions.set_output("tag", tag)
    if changelog:
        result["changelog"] = _write_changelog(app, release, commit=True)
    app.out.result(result, f"{kind.lower()} {tag} {result['status']}" + (f": {result['url']}" if result["url"] else ""))
    return 0
