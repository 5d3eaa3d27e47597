"""The `leadforge deploy` verbs: read config and files, call the pure core, apply its plan."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.deploy import kustomize
from leadforge.errors import InputError, LeadforgeError

if TYPE_CHECKING:
    from leadforge.deploy.settings import DeploySettings
    from leadforge.findings import Finding


def settings_of(app: Any) -> DeploySettings:
    return app.config.deploy


def pick_envs(settings: DeploySettings, env: str | None, all_envs: bool) -> list[str]:
    if all_envs or env is None:
        return list(settings.environments)
    if env not in settings.environments:
        raise InputError(f"unknown environment '{env}': expected one of {', '.join(settings.environments)} (deploy.environments)")
    return [env]


def renderer_of(settings: DeploySettings, envs: list[str] | None = None) -> kustomize.Renderer:
    """The renderer; when it is missing or too old the error names the overlays it was needed for."""
    try:
        return kustomize.find_renderer(settings.kustomize, settings.min_kustomize_version)
    except LeadforgeError as err:
        if not envs:
            raise
        raise type(err)(f"{', '.join(f'{settings.overlays_dir}/{e}' for e in envs)}: {err}") from None


def render_envs(root: Path, settings: DeploySettings, envs: list[str], renderer: kustomize.Renderer | None = None) -> dict[str, bytes]:
    """Render ``envs`` of the tree at ``root`` (in parallel); errors name the overlay."""
    jobs = []
    for env in envs:
        path = kustomize.overlay_dir(root, settings.overlays_dir, env, settings.environments)
        jobs.append((env, path, f"{settings.overlays_dir}/{env}"))
    if renderer is None:
        renderer = renderer_of(settings, envs)
    rendered = kustomize.render_many(renderer, jobs, timeout=settings.render_timeout)
    for env, path, label in jobs:
        _check_patch_targets(path, label, rendered[env])
    return rendered


def _check_patch_targets(overlay: Path, label: str, rendered: bytes) -> None:
    """A patch whose target matches nothing is a broken overlay, though kustomize renders it silently."""
    import yaml

    from leadforge.deploy.manifests import dead_patch_targets, parse_objects

    try:
        data = yaml.safe_load((overlay / "kustomization.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return  # kustomize read it; a file we cannot read here is not ours to judge
    if not isinstance(data, dict):
        return
    dead = dead_patch_targets(data, parse_objects(rendered, f"{label} (rendered)"))
    if dead:
        raise InputError(f"{label}: {dead[0]}" + (f" (and {len(dead) - 1} more)" if len(dead) > 1 else ""))


def _write_stdout(app: Any, data: bytes) -> None:
    stream = app.out.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode("utf-8"))
        stream.flush()


# ---- render ------------------------------------------------------------------------------------


def render_command(app: Any, *, env: str | None, all_envs: bool, out: str | None) -> int:
    import hashlib

    from leadforge.fsutil import atomic_write

    settings = settings_of(app)
    envs = pick_envs(settings, env, all_envs)
    if out:
        # Checked before rendering, so a bad --out is one line and nothing is written.
        where = Path(out) if Path(out).is_absolute() else Path.cwd() / out
        if all_envs and where.exists() and not where.is_dir():
            raise InputError(f"--out {out}: is a file; with --all it must be a folder (one ENV.yaml per environment)")
        if not all_envs and where.is_dir():
            raise InputError(f"--out {out}: is a folder; give a file name (e.g. {Path(out) / (envs[0] + '.yaml')})")
    rendered = render_envs(app.repo, settings, envs)
    report: dict[str, Any] = {}
    for name in envs:
        data = rendered[name]
        target: Path | None = None
        if out:
            base = Path(out) if Path(out).is_absolute() else Path.cwd() / out
            target = base / f"{name}.yaml" if all_envs else base
            if app.dry_run:
                app.out.would(f"write {len(data)} bytes of {name} manifests to {target}")
            else:
                atomic_write(target, data)
        report[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "out": str(target) if target else None}
    if out or app.json:
        lines = [f"{n}: {r['bytes']} bytes" + (f" -> {r['out']}" if r["out"] else "") for n, r in report.items()]
        app.out.result({"environments": report}, "\n".join(lines) if out else "")
    if not out:
        for name in envs:
            if app.json:
                continue
            if len(envs) > 1:
                _write_stdout(app, f"# ---- {settings.overlays_dir}/{name} ----\n".encode())
            _write_stdout(app, rendered[name])
    return 0


# ---- validate ----------------------------------------------------------------------------------


def _sources_for(repo: Path, overlay_rel: str, origins: dict[Any, Any]) -> Any:
    import yaml

    from leadforge.deploy.policy import Sources

    texts: dict[str, str] = {}

    def read(rel: str) -> None:
        if rel in texts:
            return
        path = repo / rel
        try:
            texts[rel] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            texts[rel] = ""

    overlay_file = f"{overlay_rel}/kustomization.yaml"
    read(overlay_file)
    try:
        data = yaml.safe_load(texts[overlay_file]) or {}
    except yaml.YAMLError:
        data = {}
    patches, targets = [], {}
    for item in data.get("patches") or []:
        if isinstance(item, dict) and item.get("path"):
            rel = str(Path(overlay_rel, item["path"]).as_posix())
            patches.append(rel)
            read(rel)
            target = item.get("target")
            if isinstance(target, dict):
                targets[rel] = (str(target.get("kind") or ""), str(target.get("name") or ""))
    for origin in origins.values():
        if origin.resource:
            read(origin.resource)
    return Sources(overlay=overlay_file, patches=tuple(patches), texts=texts, targets=targets)


def trace_origins(app: Any, settings: DeploySettings, env: str, renderer: kustomize.Renderer) -> dict[Any, Any]:
    """Render a copy of the tree with kustomize's buildMetadata to learn each object's source files."""
    from leadforge.deploy.manifests import parse_objects
    from leadforge.deploy.policy import origins_from_traced
    from leadforge.deploy.validate import add_build_metadata, traced_render_root

    overlay_rel = f"{settings.overlays_dir}/{env}"
    with tempfile.TemporaryDirectory(prefix="leadforge-trace-") as tmp:
        root = traced_render_root(app.repo, settings.overlays_dir, Path(tmp))
        try:
            add_build_metadata(root / overlay_rel / "kustomization.yaml")
            data = kustomize.render(renderer, root / overlay_rel, label=overlay_rel, timeout=settings.render_timeout)
        except (LeadforgeError, OSError, ValueError):
            return {}  # tracing is best effort: findings then name the overlay
    return origins_from_traced(parse_objects(data), overlay_rel)


def prepare_env(app: Any, settings: DeploySettings, env: str, rendered: bytes, renderer: kustomize.Renderer) -> tuple[list[Any], Any]:
    """Parse one render and trace its objects: (objects, EnvManifests)."""
    from leadforge.deploy.manifests import key_of, parse_objects
    from leadforge.deploy.validate import EnvManifests

    overlay_rel = f"{settings.overlays_dir}/{env}"
    objects = parse_objects(rendered, f"{overlay_rel} (rendered)")
    origins = trace_origins(app, settings, env, renderer)
    sources = _sources_for(app.repo, overlay_rel, origins)
    return objects, EnvManifests(rendered, tuple(key_of(o) for o in objects), origins, sources)


def local_findings(settings: DeploySettings, env: str, objects: list[Any], manifests: Any) -> list[Finding]:
    """Schema and policy findings for one environment."""
    from leadforge.deploy.policy import PolicyOptions, check_policy
    from leadforge.deploy.validate import schema_findings

    options = PolicyOptions(
        env=env,
        latest_allowed=env in settings.latest_allowed_in,
        production=env in settings.production,
        min_replicas=settings.min_replicas,
    )
    findings = schema_findings(objects, env, settings.kubernetes_version, manifests.origins, manifests.sources)
    return findings + check_policy(objects, options, manifests.origins, manifests.sources)


def validate_envs(app: Any, settings: DeploySettings, rendered: dict[str, bytes], renderer: kustomize.Renderer, *, checkov: bool) -> dict[str, list[Finding]]:
    """Schema, policy and (one run of) checkov over every rendered environment."""
    from leadforge.deploy.validate import run_checkov

    prepared = {env: prepare_env(app, settings, env, data, renderer) for env, data in rendered.items()}
    found = {env: local_findings(settings, env, objects, manifests) for env, (objects, manifests) in prepared.items()}
    if checkov:
        for env, extra in run_checkov({env: manifests for env, (_o, manifests) in prepared.items()}).items():
            found[env] += extra
    return found


def _finding_line(finding: Finding) -> str:
    where = f"{finding.path}:{finding.line}" if finding.line else finding.path
    return f"{where}: {finding.severity}: [{finding.tool} {finding.rule}] {finding.message}"


def validate_command(app: Any, *, env: str | None, all_envs: bool, checkov: bool) -> int:
    from leadforge.findings import sort_findings

    settings = settings_of(app)
    envs = pick_envs(settings, env, all_envs)
    for name in envs:
        kustomize.overlay_dir(app.repo, settings.overlays_dir, name, settings.environments)
    renderer = renderer_of(settings, envs)
    rendered = render_envs(app.repo, settings, envs, renderer)
    use_checkov = checkov and settings.checkov
    report: dict[str, Any] = {}
    human: list[str] = []
    errors = 0
    found = validate_envs(app, settings, rendered, renderer, checkov=use_checkov)
    for name in envs:
        findings = sort_findings(found[name])
        count = sum(1 for f in findings if f.severity == "error")
        errors += count
        report[name] = {"errors": count, "findings": [dataclasses.asdict(f) for f in findings]}
        human.append(f"{name}: {'ok' if not count else f'{count} error(s)'}, {len(findings)} finding(s)")
        human += [f"  {_finding_line(f)}" for f in findings]
        for f in findings:
            app.actions.annotate(f.severity if f.severity != "note" else "notice", f.message, file=f.path or None, line=f.line or None, title=f"{f.tool} {f.rule}")
    checks = ["schema", "policy"] + (["checkov"] if use_checkov else [])
    app.out.result({"ok": errors == 0, "checks": checks, "environments": report}, "\n".join(human))
    return 1 if errors else 0



# ---- stations ----------------------------------------------------------------------------------


def stations_command(app: Any, *, check: bool) -> int:
    from leadforge.deploy.promote import ensure_component
    from leadforge.deploy.stations import GENERATED_MARK, plan_for_repository
    from leadforge.fsutil import atomic_write

    settings = settings_of(app)
    conf = settings.stations
    out_dir = app.repo / conf.out_dir
    plan = plan_for_repository(app, conf)
    writes: dict[Path, str] = {}
    for rel, text in plan.files.items():
        path = out_dir / rel
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            writes[path] = text
    stale: list[Path] = []
    if out_dir.is_dir():
        for path in sorted(out_dir.rglob("*.yaml")):
            rel = path.relative_to(out_dir).as_posix()
            if rel not in plan.files and path.read_text(encoding="utf-8", errors="replace").startswith(GENERATED_MARK):
                stale.append(path)
    # The overlays in stations.environments include the component; the others do not.
    import os

    for env in settings.environments:
        component_ref = Path(os.path.relpath(conf.out_dir, f"{settings.overlays_dir}/{env}")).as_posix()
        path = app.repo / settings.overlays_dir / env / "kustomization.yaml"
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        wanted = conf.enabled and env in conf.environments
        new = ensure_component(text, f"{settings.overlays_dir}/{env}/kustomization.yaml", component_ref, wanted)
        if new != text:
            writes[path] = new
    rel = lambda p: p.relative_to(app.repo).as_posix()  # noqa: E731
    changed = sorted(rel(p) for p in writes) + sorted(rel(p) for p in stale)
    data = {
        "stations": [{"agent": s.agent, "namespace": s.namespace, "profile": s.source, "image": s.image,
                      "runs_on": s.scale_set, "max_runners": s.max_runners} for s in plan.stations],
        "changed": changed,
        "up_to_date": not changed,
    }
    if check:
        human = "stations are up to date" if not changed else "out of date: " + ", ".join(changed) + " (run `leadforge deploy stations`)"
        app.out.result(data, human)
        return 1 if changed else 0
    if app.dry_run:
        for path in changed:
            app.out.would(f"write {path}")
    else:
        for path, text in writes.items():
            atomic_write(path, text)
        for path in stale:
            path.unlink()
            if path.parent != out_dir and not any(path.parent.iterdir()):
                path.parent.rmdir()
    lines = [f"{s.agent}: namespace {s.namespace}, runs-on {s.scale_set}, 0-{s.max_runners} runners of {s.image} (from {s.source})"
             for s in plan.stations] or ["no agent profiles"]
    lines.append(f"{len(changed)} file(s) {'would change' if app.dry_run else 'changed'}")
    app.out.result(data, "\n".join(lines))
    return 0


# ---- promote -----------------------------------------------------------------------------------


def _approved(app: Any, settings: DeploySettings) -> bool:
    """A production change runs only in a job of the protected GitHub environment (required reviewers)."""
    return app.env.get("LEADFORGE_APPROVED_ENVIRONMENT", "") == settings.approval_environment and app.env.get("GITHUB_ACTIONS") == "true"


def promote_command(app: Any, *, source: str, target: str, images: list[str], open_pr: bool) -> int:
    from leadforge.deploy.promote import PromotionPlan, branch_name, describe, parse_overrides, plan_edit
    from leadforge.errors import ForgeError, GitError, PushRejected
    from leadforge.fsutil import atomic_write

    settings = settings_of(app)
    for env in (source, target):
        kustomize.overlay_dir(app.repo, settings.overlays_dir, env, settings.environments)
    if source == target:
        raise InputError(f"--from and --to are both '{source}': promote between two environments")
    if target in settings.production and not _approved(app, settings) and not app.dry_run:
        raise InputError(
            f"promotion to '{target}' needs the GitHub environment '{settings.approval_environment}': run it from the deploy "
            f"workflow's production job (required reviewers), which sets LEADFORGE_APPROVED_ENVIRONMENT"
        )
    source_file = f"{settings.overlays_dir}/{source}/kustomization.yaml"
    target_file = f"{settings.overlays_dir}/{target}/kustomization.yaml"
    # The branch starts at HEAD, so the edit is made to HEAD's files (not to uncommitted changes).
    source_text = app.git.show_file("HEAD", source_file)
    target_text = app.git.show_file("HEAD", target_file)
    if source_text is None or target_text is None:
        missing = source_file if source_text is None else target_file
        raise InputError(f"{missing}: not committed at HEAD; commit the overlay before promoting")
    new_text, changes = plan_edit(
        source_text, target_text, source_path=source_file, target_path=target_file,
        overrides=parse_overrides(images), fields=settings.promote_fields,
    )
    data: dict[str, Any] = {
        "from": source, "to": target, "file": target_file,
        "changes": [dataclasses.asdict(c) for c in changes], "branch": None, "commit": None, "pull_request": None,
    }
    if not changes:
        app.out.result({**data, "result": "unchanged"}, f"{target} already has {source}'s images: nothing to promote")
        return 0
    branch = branch_name(settings.promote_branch_prefix, source, target, changes)
    title, body = describe(source, target, target_file, changes)
    plan = PromotionPlan(source, target, target_file, changes, new_text, branch, title, body)
    data["branch"] = branch
    human = [f"{c.field}: {c.old or '-'} -> {c.new or '(removed)'}" for c in plan.changes]
    if app.dry_run:
        app.out.would(f"commit {target_file} on branch {branch} and open a pull request: {title}")
        app.out.result({**data, "result": "dry-run"}, "\n".join(human))
        return 0
    # Re-running the same promotion finds its open pull request instead of opening a second one.
    base = app.git.current_branch() or app.config.default_branch
    existing = [p for p in app.forge.list_pulls(state="open", head=branch)] if open_pr else []
    if existing:
        data.update(result="exists", pull_request={"number": existing[0].number, "url": existing[0].url})
        app.out.result(data, "\n".join(human + [f"pull request #{existing[0].number} already open for {branch}"]))
        return 0
    from leadforge.deploy.applying import branch_worktree, remote_branch_start

    remote = settings.remote if app.git.remote_url(settings.remote) else None
    # The branch name is derived from the content: a branch that already holds this edit is this promotion
    # made before (a re-run after a failed pull request, or with --no-pr); reuse it rather than push over it.
    earlier = remote_branch_start(app.git, remote, branch)
    reused = (
        earlier is not None
        and app.git.show_file(earlier, target_file) == plan.new_text
        and [c.path for c in app.git.changed_files("HEAD", earlier)] == [target_file]
    )
    if reused:
        sha = app.git.rev_parse(earlier)
    else:
        with branch_worktree(app.git, branch, "HEAD") as tree:
            atomic_write(tree.path / target_file, plan.new_text)
            tree.add([target_file])
            sha = tree.commit(f"{title}\n\n" + "\n".join(human) + "\n")
            if remote:
                try:
                    tree.push(remote, f"HEAD:refs/heads/{branch}")
                except PushRejected:
                    raise GitError(
                        f"{remote}/{branch} already exists with other commits (a closed promotion?): delete that branch "
                        f"and run the promotion again"
                    ) from None
    data["commit"] = sha
    if open_pr:
        try:
            pull = app.forge.create_pull(title=title, body=body, head=branch, base=base)
        except ForgeError as err:
            raise ForgeError(f"committed {sha[:12]} on {branch}, but opening the pull request failed: {err}") from None
        data["pull_request"] = {"number": pull.number, "url": pull.url}
        human.append(f"opened pull request #{pull.number}: {title}")
    data["result"] = "promoted"
    app.actions.set_output("branch", branch)
    done = f"{branch} already holds this promotion ({sha[:12]})" if reused else f"committed {sha[:12]} on {branch}"
    app.out.result(data, "\n".join(human + [done]))
    return 0


# ---- apply -------------------------------------------------------------------------------------


def apply_command(app: Any, *, env: str, mode: str | None, push: bool, validate: bool = False) -> int:
    settings = settings_of(app)
    mode = mode or settings.apply_mode
    if env in settings.production and not _approved(app, settings) and not app.dry_run:
        raise InputError(
            f"apply to '{env}' needs the GitHub environment '{settings.approval_environment}': run it from the deploy "
            f"workflow's production job (required reviewers), which sets LEADFORGE_APPROVED_ENVIRONMENT"
        )
    renderer = renderer_of(settings, [env]) if validate else None
    rendered = render_envs(app.repo, settings, pick_envs(settings, env, False), renderer)[env]
    if validate and renderer is not None:
        findings = validate_envs(app, settings, {env: rendered}, renderer, checkov=False)[env]
        errors = [f for f in findings if f.severity == "error"]
        for f in findings:
            app.out.info(_finding_line(f))
            app.actions.annotate(f.severity if f.severity != "note" else "notice", f.message, file=f.path or None, line=f.line or None)
        if errors:
            raise InputError(f"{settings.overlays_dir}/{env}: {len(errors)} validation error(s) (listed above); nothing deployed")
    if mode == "push":
        return _apply_push(app, settings, env, rendered)
    return _apply_pull(app, settings, env, rendered, push=push)


def _apply_pull(app: Any, settings: DeploySettings, env: str, rendered: bytes, *, push: bool) -> int:
    from leadforge.deploy.applying import (
        branch_worktree,
        ensure_clean_index,
        pull_files,
        pull_message,
        remote_branch_start,
        write_files,
    )

    files = pull_files(rendered)
    source_sha = app.git.head()
    source_ref = app.git.current_branch()
    message = pull_message(env, source_sha, source_ref)
    remote = settings.remote if app.git.remote_url(settings.remote) else None
    if settings.pull_target == "branch":
        branch, folder = f"{settings.branch_prefix}{env}", ""
        target = f"branch {branch}"
    else:
        branch, folder = source_ref, f"{settings.rendered_dir}/{env}"
        target = f"{folder}/ on {branch}"
    if app.dry_run:
        app.out.would(f"commit {', '.join(files)} ({len(rendered)} bytes of manifests) to {target}")
        app.out.result({"env": env, "mode": "pull", "target": target, "commit": None, "result": "dry-run"}, "")
        return 0

    def apply_in(tree: Any) -> Any:
        def apply() -> str | None:
            written = write_files(tree.path, folder, files)
            tree.add(written)
            return message if tree.has_staged_changes() else None

        return apply

    if settings.pull_target == "branch":
        start = remote_branch_start(app.git, remote, branch)
        with branch_worktree(app.git, branch, start) as tree:
            sha = tree.transact(apply_in(tree), branch=branch, remote=remote or settings.remote, push=push and bool(remote))
    else:
        if not branch:
            raise InputError(f"{app.repo}: detached HEAD; pull mode with a folder commits on the current branch")
        ensure_clean_index(app.git)
        sha = app.git.transact(apply_in(app.git), branch=branch, remote=remote or settings.remote, push=push and bool(remote))
    result = "committed" if sha else "unchanged"
    pushed = bool(sha and push and remote)
    data = {"env": env, "mode": "pull", "target": target, "commit": sha, "result": result, "pushed": pushed}
    app.actions.set_output("commit", sha or "")
    human = f"{env}: {target} already has these manifests" if not sha else (
        f"{env}: committed {sha[:12]} to {target}" + (f" and pushed to {remote}" if pushed else "")
    )
    app.out.result(data, human)
    return 0


def _apply_push(app: Any, settings: DeploySettings, env: str, rendered: bytes) -> int:
    from leadforge.deploy.applying import find_kubeconfig, kubectl_path, push_plan, run_push
    from leadforge.deploy.manifests import parse_objects
    from leadforge.errors import ToolError
    from leadforge.fsutil import atomic_write

    overlay = f"{settings.overlays_dir}/{env}"
    objects = parse_objects(rendered, f"{overlay} (rendered)")
    kubectl = kubectl_path()
    with tempfile.TemporaryDirectory(prefix="leadforge-apply-") as tmp:
        manifest = Path(tmp) / f"{env}.yaml"
        atomic_write(manifest, rendered)
        plan = push_plan(
            env, objects, str(manifest), kubectl=kubectl, applyset=settings.applyset,
            field_manager=settings.field_manager, timeout=settings.rollout_timeout,
        )
        steps = [plan.apply, *plan.rollouts]
        data: dict[str, Any] = {
            "env": env, "mode": "push", "namespace": plan.namespace,
            "steps": [list(s.argv) for s in steps], "on_failure": [list(s.argv) for s in plan.undos],
        }
        if app.dry_run:
            for step in steps:
                app.out.would("run " + " ".join(step.argv))
            app.out.result({**data, "result": "dry-run"}, "")
            return 0
        kubeconfig = find_kubeconfig(app.env)
        if not kubeconfig and app.env.get("KUBECONFIG"):
            raise ToolError(
                f"{overlay}: push mode needs a kubeconfig: KUBECONFIG={app.env['KUBECONFIG']} names no existing file; "
                f"point it at a kubeconfig (e.g. `aws eks update-kubeconfig --name <cluster>`), or use --mode pull"
            )
        if not kubeconfig:
            raise ToolError(
                f"{overlay}: push mode needs a kubeconfig: set KUBECONFIG or create ~/.kube/config "
                f"(e.g. `aws eks update-kubeconfig --name <cluster>`), or use --mode pull"
            )
        outcome = run_push(plan, overlay, kubeconfig, say=app.out.info)
    app.out.result({**data, **outcome, "result": "applied"}, f"{env}: applied {len(outcome['applied'])} object(s); rollouts ready")
    return 0


# ---- diff --------------------------------------------------------------------------------------


def render_at_ref(app: Any, settings: DeploySettings, ref: str, envs: list[str], renderer: kustomize.Renderer) -> dict[str, tuple[bytes | None, str]]:
    """Render ``envs`` as they are at git ``ref``: (output or None when the overlay is absent there, error)."""
    import io
    import tarfile

    from leadforge.errors import ToolError

    sha = app.git.rev_parse(ref)
    top = Path(settings.overlays_dir).parts[0]
    results: dict[str, tuple[bytes | None, str]] = {}
    with tempfile.TemporaryDirectory(prefix="leadforge-diff-") as tmp:
        listing = app.git.run("ls-tree", "--name-only", sha, "--", top).stdout.strip()
        if listing:
            archive = app.git.run("archive", "--format=tar", sha, "--", top, text=False)
            with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
                tar.extractall(tmp, filter="data")
        jobs = []
        for env in envs:
            path = Path(tmp) / settings.overlays_dir / env
            if not (path / "kustomization.yaml").is_file():
                results[env] = (None, "")
            else:
                jobs.append((env, path))
        if jobs:
            from concurrent.futures import ThreadPoolExecutor

            def one(job: tuple[str, Path]) -> tuple[str, tuple[bytes | None, str]]:
                env, path = job
                try:
                    return env, (kustomize.render(renderer, path, label=f"{settings.overlays_dir}/{env}@{ref}", timeout=settings.render_timeout), "")
                except ToolError as err:
                    # The tool names files by their temporary path: make them repository paths, so the
                    # message (and the PR comment holding it) is the same on every run.
                    message = str(err)
                    for prefix in {os.path.realpath(tmp), tmp}:
                        message = message.replace(prefix + os.sep, "")
                    return env, (None, message)

            with ThreadPoolExecutor(max_workers=min(4, len(jobs))) as pool:
                results.update(dict(pool.map(one, jobs)))
    return results


def diff_command(app: Any, *, base: str, head: str, envs: list[str] | None, pr: int | None, comment: bool) -> int:
    from leadforge.deploy.diffing import COMMENT_KEY, EnvDiff, as_json, diff_objects, render_comment, render_text, touches
    from leadforge.forge.base import upsert_issue_comment

    settings = settings_of(app)
    chosen = list(settings.environments) if not envs else [e for e in envs if pick_envs(settings, e, False)]
    renderer = renderer_of(settings, chosen)
    old = render_at_ref(app, settings, base, chosen, renderer)
    new = render_at_ref(app, settings, head, chosen, renderer)
    diffs = []
    for env in chosen:
        (a, a_err), (b, b_err) = old[env], new[env]
        error = b_err or (f"base: {a_err}" if a_err else "")
        diffs.append(EnvDiff(env, () if error else diff_objects(a, b, env=env), error))
    number = pr
    if number is None and app.context.event_name in {"pull_request", "pull_request_target"}:
        from leadforge.context import require

        number = int(require(app.context.event(), "pull_request.number"))
    posted = None
    if number is not None or comment:
        if number is None:
            raise InputError("--comment needs --pr N (or a pull_request event)")
        changed = [c.path for c in app.git.changed_files(base, head)] + [
            c.old_path for c in app.git.changed_files(base, head) if c.old_path
        ]
        if not touches(changed, settings.diff_paths):
            app.out.info(f"pull request #{number} touches none of {', '.join(settings.diff_paths)}: no comment")
        else:
            body = render_comment(diffs, base, head, app.context.run_url)
            if app.dry_run:
                app.out.would(f"upsert the rendered-diff comment on #{number}")
            else:
                item, what = upsert_issue_comment(app.forge, number, COMMENT_KEY, body)
                posted = {"number": number, "comment_id": item.id, "result": what}
                app.out.info(f"#{number}: rendered-diff comment {what}")
    app.out.result({"base": base, "head": head, "environments": as_json(diffs), "comment": posted}, render_text(diffs))
    return 1 if any(d.error and not d.error.startswith("base:") for d in diffs) else 0
