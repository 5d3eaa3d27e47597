"""The `leadforge deploy` verbs: read config and files, call the pure core, apply its plan."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from leadforge.deploy import kustomize
from leadforge.errors import InputError, LeadforgeError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from leadforge.app import App
    from leadforge.deploy.settings import DeploySettings
    from leadforge.deploy.tracing import Trace
    from leadforge.findings import Finding

    class RenderConfig(Protocol):
        """The part of ``deploy:`` rendering needs (``DeploySettings`` or the lighter ``RenderSettings``)."""

        @property
        def environments(self) -> tuple[str, ...]: ...
        @property
        def overlays_dir(self) -> str: ...
        @property
        def kustomize(self) -> str: ...
        @property
        def min_kustomize_version(self) -> str: ...
        @property
        def render_timeout(self) -> float: ...


@dataclass(frozen=True, slots=True)
class RenderSettings:
    """``deploy:`` as ``render`` needs it, read from the validated config without pydantic (see config_cache)."""

    environments: tuple[str, ...]
    overlays_dir: str
    kustomize: str
    min_kustomize_version: str
    render_timeout: float

    @classmethod
    def from_section(cls, data: Mapping[str, Any]) -> RenderSettings:
        return cls(
            environments=tuple(str(e) for e in data["environments"]),
            overlays_dir=str(data["overlays_dir"]),
            kustomize=str(data["kustomize"]),
            min_kustomize_version=str(data["min_kustomize_version"]),
            render_timeout=float(data["render_timeout"]),
        )


def settings_of(app: App) -> DeploySettings:
    return app.config.deploy


def render_settings_of(app: App) -> RenderSettings:
    """The render settings without importing pydantic when this config validated before."""
    from leadforge import config_cache

    return RenderSettings.from_section(config_cache.section(app, "deploy"))


def pick_envs(settings: RenderConfig, env: str | None, all_envs: bool) -> list[str]:
    if all_envs or env is None:
        return list(settings.environments)
    if env not in settings.environments:
        raise InputError(f"unknown environment '{env}': expected one of {', '.join(settings.environments)} (deploy.environments)")
    return [env]


def overlay_label(settings: RenderConfig, env: str) -> str:
    """``k8s/overlays/dev`` (``dev`` with ``overlays_dir: "."``): how messages name an overlay."""
    return Path(settings.overlays_dir, env).as_posix()


def renderer_of(settings: RenderConfig, envs: list[str] | None = None) -> kustomize.Renderer:
    """The renderer; when it is missing or too old the error names the overlays it was needed for."""
    try:
        return kustomize.find_renderer(settings.kustomize, settings.min_kustomize_version)
    except LeadforgeError as err:
        if not envs:
            raise
        raise type(err)(f"{', '.join(overlay_label(settings, e) for e in envs)}: {err}") from None


def render_envs(
    root: Path,
    settings: RenderConfig,
    envs: list[str],
    renderer: kustomize.Renderer | None = None,
    *,
    on_warning: Callable[[str, str, str], None] | None = None,
    traces: dict[str, Trace] | None = None,
) -> dict[str, bytes]:
    """Render ``envs`` of the tree at ``root`` (in parallel); errors name the overlay. kustomize's
    warnings go to ``on_warning``; a traced render made for the patch-target check lands in ``traces``."""
    jobs = []
    for env in envs:
        path = kustomize.overlay_dir(root, settings.overlays_dir, env, settings.environments)
        jobs.append((env, path, overlay_label(settings, env)))
    if renderer is None:
        renderer = renderer_of(settings, envs)
    pending = kustomize.PendingRenders(renderer, jobs, timeout=settings.render_timeout, roots={str(root): ""})
    checks = {env: TargetCheck.prepare(root, path, label) for env, path, label in jobs}  # while kustomize runs
    results = pending.results()
    for env, path, label in jobs:
        if on_warning is not None:
            kustomization = kustomize.kustomization_file(path)
            where = _repo_path(root, kustomization) if kustomization else label
            for warning in results[env].warnings:
                on_warning(env, where, warning)
        check = checks[env]
        if check is not None:
            check.run(results[env].manifests, renderer, settings.render_timeout, traces, env)
    return {env: rendered.manifests for env, rendered in results.items()}


def overlay_kustomization(root: Path, settings: RenderConfig, env: str) -> str:
    """The repository path of an overlay's kustomization file (whichever of the names kustomize reads)."""
    overlay = kustomize.overlay_dir(root, settings.overlays_dir, env, settings.environments)
    found = kustomize.kustomization_file(overlay)
    return _repo_path(root, found or overlay / kustomize.KUSTOMIZATION_FILES[0])


def _repo_path(root: Path, path: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _load_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _transformer_docs(overlay: Path, kustomization: Mapping[str, Any]) -> list[Any]:
    """The overlay's ``transformers:`` configs as documents (None for one we cannot read: a folder, a plugin)."""
    import yaml

    docs: list[Any] = []
    for entry in kustomization.get("transformers") or []:
        text = None
        if isinstance(entry, str) and "\n" in entry:
            text = entry  # an inline config
        elif isinstance(entry, str) and (overlay / entry).is_file():
            try:
                text = (overlay / entry).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = None
        if text is None:
            docs.append(None)
            continue
        try:
            docs += [d for d in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if d is not None]
        except yaml.YAMLError:
            docs.append(None)
    return docs


def _namespace_layers(root: Path, overlay: Path) -> tuple[dict[str, list[list[Any]]], list[Any]]:
    """For every file the overlay's tree names (resources, and kustomizations for what they generate): each
    path of kustomizations from the overlay's children down to it, as ``targets.Layer``s (closest first); and
    the layers of the overlay's own components, which run on everything before its patches."""
    from leadforge.deploy.targets import Layer, layer_of

    chains: dict[str, list[list[Any]]] = {}

    def layer(folder: Path) -> tuple[Any, dict[str, Any]] | None:
        found = kustomize.kustomization_file(folder)
        data = _load_yaml(found) if found else None
        if not isinstance(data, dict):
            return None
        return layer_of(data, _transformer_docs(folder, data)), data

    def walk(folder: Path, above: list[Any], seen: frozenset[str]) -> None:
        read = layer(folder)
        if read is None or str(folder) in seen or len(seen) > 20:
            return
        here, data = read
        chain = [*above, here]
        found = kustomize.kustomization_file(folder)
        if found is not None:
            chains.setdefault(_repo_path(root, found), []).append(chain)
        for entry in [*(data.get("resources") or []), *(data.get("components") or [])]:
            if not isinstance(entry, str) or "://" in entry or entry.startswith(("github.com/", "git@")):
                continue  # a remote base: its objects have no origin in this repository
            target = Path(os.path.normpath(folder / entry))
            if target.is_dir():
                walk(target, chain, seen | {str(folder)})
            else:
                chains.setdefault(_repo_path(root, target), []).append(chain)

    own = kustomize.kustomization_file(overlay)
    loaded = _load_yaml(own) if own is not None else None
    top: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
    for entry in top.get("resources") or []:
        if isinstance(entry, str) and "://" not in entry:
            target = Path(os.path.normpath(overlay / entry))
            if target.is_dir():
                walk(target, [], frozenset({str(overlay)}))
            else:
                chains.setdefault(_repo_path(root, target), []).append([])
    if own is not None:
        chains.setdefault(_repo_path(root, own), []).append([])  # what the overlay itself generates
    components = []
    for entry in top.get("components") or []:
        read = layer(Path(os.path.normpath(overlay / entry))) if isinstance(entry, str) else None
        components.append(read[0] if read else Layer(unknown=True))
        if read is not None:
            walk(Path(os.path.normpath(overlay / entry)), [], frozenset({str(overlay)}))
    return chains, components


def _target_facts(overlay: Path, kustomization: Path) -> tuple[list[Any], Any] | None:
    """The overlay's patch targets and own renames (``targets.patch_targets``/``overlay_effects``), or None
    when the kustomization cannot be read. Remembered (``leadforge.cache``) under the kustomization's text,
    with its transformer configs' texts checked on the way out, so an unchanged overlay needs no YAML parser."""
    from leadforge import __version__, cache
    from leadforge.deploy.targets import OverlayEffects, PatchTarget, overlay_effects, patch_targets

    try:
        text = kustomization.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    stamp = ";".join(f"{n}:{os.stat(os.path.join(here, n)).st_mtime_ns}" for n in ("targets.py", "commands.py"))
    key = f"{__version__};{stamp}\n{kustomization}\n{text}"

    def current(rel: str) -> str | None:
        try:
            return (overlay / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    known = cache.get("overlay-targets", key)
    if isinstance(known, dict) and all(current(rel) == seen for rel, seen in (known.get("files") or {}).items()):
        wanted = [PatchTarget(int(t["index"]), str(t["path"]), dict(t["target"])) for t in known["targets"]]
        e = known["effects"]
        return wanted, OverlayEffects(
            tuple(e["name_prefixes"]), tuple(e["name_suffixes"]), bool(e["changes_namespace"]), bool(e["may_rename"])
        )
    data = _load_yaml(kustomization)
    if not isinstance(data, dict):
        return None
    wanted, effects = patch_targets(data), overlay_effects(data, _transformer_docs(overlay, data))
    files = {entry: current(entry) for entry in data.get("transformers") or [] if isinstance(entry, str) and "\n" not in entry}
    cache.put(
        "overlay-targets",
        key,
        {
            "targets": [{"index": t.index, "path": t.path, "target": dict(t.target)} for t in wanted],
            "effects": {
                "name_prefixes": list(effects.name_prefixes),
                "name_suffixes": list(effects.name_suffixes),
                "changes_namespace": effects.changes_namespace,
                "may_rename": effects.may_rename,
            },
            "files": files,
        },
    )
    return wanted, effects


def _overlay_of(root: Path, overlay: Path) -> Any:
    """The overlay as ``tracing.Overlay`` (its kustomization, patches and own renames), or None."""
    from leadforge.deploy.targets import overlay_effects
    from leadforge.deploy.tracing import patch_files, read_overlay

    kustomization = kustomize.kustomization_file(overlay)
    if kustomization is None:
        return None
    try:
        text = kustomization.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    data = _load_yaml(kustomization)
    if not isinstance(data, dict):
        return None
    files = {}
    for rel in patch_files(data):
        try:
            files[_repo_path(root, overlay / rel)] = (overlay / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return read_overlay(_repo_path(root, kustomization), text, files, overlay_effects(data, _transformer_docs(overlay, data)))


def trace_overlay(root: Path, overlay: Path, renderer: kustomize.Renderer, timeout: float) -> Trace:
    """Render the overlay once more with kustomize's origin annotations and trace every object to its file.

    The traced render runs in a temporary folder holding only a kustomization that names the overlay
    and asks for ``buildMetadata: [originAnnotations]``: the repository is neither copied nor touched,
    and the output ``deploy render`` prints stays the plain render. Best effort: when it fails,
    findings name the overlay's kustomization."""
    import json
    import tempfile

    from leadforge.deploy.manifests import parse_objects
    from leadforge.deploy.tracing import Overlay, Trace, origin_paths, origins_from_traced, relative_to_repo

    overlay_info = _overlay_of(root, overlay) or Overlay()
    real_root = os.path.realpath(root)
    try:
        with tempfile.TemporaryDirectory(prefix="leadforge-trace-") as tmp:
            here = os.path.realpath(tmp)
            target = os.path.relpath(os.path.realpath(overlay), here)
            Path(here, "kustomization.yaml").write_text(
                f"resources:\n  - {json.dumps(target)}\nbuildMetadata: [originAnnotations]\n", encoding="utf-8"
            )
            data = kustomize.render(renderer, Path(here), label=_repo_path(root, overlay), timeout=timeout)
        objects = parse_objects(data)
    except (LeadforgeError, OSError):
        return Trace(overlay_info)
    to_repo = relative_to_repo(here, real_root)
    texts: dict[str, str] = {}
    for rel in origin_paths(objects, to_repo):
        try:
            texts[rel] = (Path(real_root) / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return Trace(overlay_info, origins_from_traced(objects, to_repo, texts), texts)


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """A patch whose ``target:`` selects nothing is a broken overlay, though kustomize renders it silently.

    Judged as kustomize selects (``targets``): first on the render itself; only a target that looks
    dead there gets a traced render, which knows every object's original name, namespace and labels.
    ``prepare`` reads the overlay (it runs while kustomize renders); ``run`` judges the render."""

    root: Path
    overlay: Path
    label: str
    wanted: tuple[Any, ...]
    effects: Any

    @classmethod
    def prepare(cls, root: Path, overlay: Path, label: str) -> TargetCheck | None:
        kustomization = kustomize.kustomization_file(overlay)
        facts = _target_facts(overlay, kustomization) if kustomization else None
        if facts is None or not facts[0]:
            return None  # no targets; or a file we cannot read, which kustomize reports (or reads) itself
        return cls(root, overlay, label, tuple(facts[0]), facts[1])

    def run(
        self, rendered: bytes, renderer: kustomize.Renderer, timeout: float, traces: dict[str, Trace] | None = None, env: str = ""
    ) -> None:
        from leadforge.deploy.manifests import key_of, parse_objects, scan_ids
        from leadforge.deploy.targets import dead_targets, identity

        if not any(t.target.get("labelSelector") or t.target.get("annotationSelector") for t in self.wanted):
            ids = scan_ids(rendered)  # kinds and names without a YAML parser: the common case ends here
            if ids is not None and not dead_targets(self.wanted, [identity(obj, self.effects) for obj in ids]):
                return
        objects = parse_objects(rendered, f"{self.label} (rendered)")
        dead = dead_targets(self.wanted, [identity(obj, self.effects) for obj in objects])
        if not dead:
            return
        from leadforge.deploy.targets import namespaces_at_patch_time
        from leadforge.deploy.tracing import object_identity  # only now: most overlays never get here

        trace = traces.get(env) if traces is not None and env in traces else None
        if trace is None:
            trace = trace_overlay(self.root, self.overlay, renderer, timeout)
            if traces is not None:
                traces[env] = trace
        if not trace.origins:
            return  # without the objects' original names we cannot be sure: kustomize gets the benefit of the doubt
        chains, components = _namespace_layers(self.root, self.overlay) if self.effects.changes_namespace else ({}, [])
        identities = []
        for obj in objects:
            origin = trace.origins.get(key_of(obj))
            at_patch = None
            if self.effects.changes_namespace and origin is not None and origin.original is not None:
                at_patch = namespaces_at_patch_time(
                    str(obj.get("kind", "")), origin.original.namespace, chains.get(origin.path, []), components
                )
            identities.append(object_identity(obj, origin, trace.overlay, trace.texts, traced=True, patch_namespaces=at_patch))
        dead = dead_targets(dead, identities)
        if dead:
            more = f" (and {len(dead) - 1} more)" if len(dead) > 1 else ""
            raise InputError(f"{self.label}: {dead[0].describe()}{more}")


def _write_stdout(app: App, data: bytes) -> None:
    stream = app.out.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode("utf-8"))
        stream.flush()


def warn_on(app: App) -> Callable[[str, str, str], None]:
    """Pass kustomize's warnings (deprecated fields...) on: a line on stderr and an Actions warning."""

    def warn(env: str, kustomization: str, message: str) -> None:
        if app.context.in_actions:  # the annotation is the log line there, and it lands on the file
            app.actions.annotate("warning", message, file=kustomization, title=f"kustomize ({env})")
        else:
            app.out.info(f"leadforge: warning: {kustomization}: kustomize: {message}")

    return warn


# ---- render ------------------------------------------------------------------------------------


def render_command(app: App, *, env: str | None, all_envs: bool, out: str | None) -> int:
    settings = render_settings_of(app)
    envs = pick_envs(settings, env, all_envs)
    if out:
        # Checked before rendering, so a bad --out is one line and nothing is written.
        where = Path(out) if Path(out).is_absolute() else Path.cwd() / out
        if all_envs and where.exists() and not where.is_dir():
            raise InputError(f"--out {out}: is a file; with --all it must be a folder (one ENV.yaml per environment)")
        if not all_envs and where.is_dir():
            raise InputError(f"--out {out}: is a folder; give a file name (e.g. {Path(out) / (envs[0] + '.yaml')})")
    rendered = render_envs(app.repo, settings, envs, on_warning=warn_on(app))
    report: dict[str, Any] = {}
    for name in envs if out or app.json else ():
        import hashlib

        data = rendered[name]
        target: Path | None = None
        if out:
            from leadforge.fsutil import atomic_write

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
                _write_stdout(app, f"# ---- {overlay_label(settings, name)} ----\n".encode())
            _write_stdout(app, rendered[name])
    return 0


# ---- validate ----------------------------------------------------------------------------------


def prepare_env(
    app: App,
    settings: DeploySettings,
    env: str,
    rendered: bytes,
    renderer: kustomize.Renderer,
    traces: Mapping[str, Trace] | None = None,
) -> Any:
    """Parse one render and trace its objects (``EnvManifests``)."""
    from leadforge.deploy.manifests import parse_objects
    from leadforge.deploy.validate import EnvManifests

    label = overlay_label(settings, env)
    objects = parse_objects(rendered, f"{label} (rendered)")
    overlay = kustomize.overlay_dir(app.repo, settings.overlays_dir, env, settings.environments)
    trace = (traces or {}).get(env) or trace_overlay(app.repo, overlay, renderer, settings.render_timeout)
    return EnvManifests(rendered, tuple(objects), trace)


def local_findings(settings: DeploySettings, env: str, manifests: Any) -> list[Finding]:
    """Schema and policy findings for one environment."""
    from leadforge.deploy.policy import PolicyOptions, check_policy
    from leadforge.deploy.validate import schema_findings

    options = PolicyOptions(
        env=env,
        latest_allowed=env in settings.latest_allowed_in,
        production=env in settings.production,
        min_replicas=settings.min_replicas,
    )
    objects = list(manifests.objects)
    findings = schema_findings(objects, env, settings.kubernetes_version, manifests.trace)
    return findings + check_policy(objects, options, manifests.trace)


def validate_envs(
    app: App,
    settings: DeploySettings,
    rendered: dict[str, bytes],
    renderer: kustomize.Renderer,
    *,
    checkov: bool,
    traces: Mapping[str, Trace] | None = None,
) -> dict[str, list[Finding]]:
    """Schema, policy and (one run of) checkov over every rendered environment."""
    from leadforge.deploy.validate import run_checkov

    prepared = {env: prepare_env(app, settings, env, data, renderer, traces) for env, data in rendered.items()}
    found = {env: local_findings(settings, env, manifests) for env, manifests in prepared.items()}
    if checkov:
        for env, extra in run_checkov(prepared).items():
            found[env] += extra
    return found


def _finding_line(finding: Finding) -> str:
    where = f"{finding.path}:{finding.line}" if finding.line else finding.path
    return f"{where}: {finding.severity}: [{finding.tool} {finding.rule}] {finding.message}"


def validate_command(app: App, *, env: str | None, all_envs: bool, checkov: bool) -> int:
    from leadforge.findings import sort_findings

    settings = settings_of(app)
    envs = pick_envs(settings, env, all_envs)
    for name in envs:
        kustomize.overlay_dir(app.repo, settings.overlays_dir, name, settings.environments)
    renderer = renderer_of(settings, envs)
    traces: dict[str, Trace] = {}
    rendered = render_envs(app.repo, settings, envs, renderer, on_warning=warn_on(app), traces=traces)
    use_checkov = checkov and settings.checkov
    report: dict[str, Any] = {}
    human: list[str] = []
    errors = 0
    found = validate_envs(app, settings, rendered, renderer, checkov=use_checkov, traces=traces)
    for name in envs:
        findings = sort_findings(found[name])
        count = sum(1 for f in findings if f.severity == "error")
        errors += count
        report[name] = {"errors": count, "findings": [dataclasses.asdict(f) for f in findings]}
        human.append(f"{name}: {'ok' if not count else f'{count} error(s)'}, {len(findings)} finding(s)")
        human += [f"  {_finding_line(f)}" for f in findings]
        for f in findings:
            app.actions.annotate(
                f.severity if f.severity != "note" else "notice",
                f.message,
                file=f.path or None,
                line=f.line or None,
                title=f"{f.tool} {f.rule}",
            )
    checks = ["schema", "policy"] + (["checkov"] if use_checkov else [])
    app.out.result({"ok": errors == 0, "checks": checks, "environments": report}, "\n".join(human))
    return 1 if errors else 0


# ---- stations ----------------------------------------------------------------------------------


def stations_command(app: App, *, check: bool) -> int:
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
    for env in settings.environments:
        component_ref = Path(os.path.relpath(conf.out_dir, overlay_label(settings, env))).as_posix()
        found = kustomize.kustomization_file(app.repo / settings.overlays_dir / env)
        if found is None:
            continue
        path = found
        text = path.read_text(encoding="utf-8")
        wanted = conf.enabled and env in conf.environments
        new = ensure_component(text, _repo_path(app.repo, path), component_ref, wanted)
        if new != text:
            writes[path] = new

    def repo_rel(path: Path) -> str:
        return path.relative_to(app.repo).as_posix()

    changed = sorted(repo_rel(p) for p in writes) + sorted(repo_rel(p) for p in stale)
    data = {
        "stations": [
            {
                "agent": s.agent,
                "namespace": s.namespace,
                "profile": s.source,
                "image": s.image,
                "runs_on": s.scale_set,
                "max_runners": s.max_runners,
            }
            for s in plan.stations
        ],
        "changed": changed,
        "up_to_date": not changed,
    }
    if check:
        human = (
            "stations are up to date"
            if not changed
            else "out of date: " + ", ".join(changed) + " (run `leadforge deploy stations`)"
        )
        app.out.result(data, human)
        return 1 if changed else 0
    if app.dry_run:
        for rel_path in changed:
            app.out.would(f"write {rel_path}")
    else:
        for path, text in writes.items():
            atomic_write(path, text)
        for path in stale:
            path.unlink()
            if path.parent != out_dir and not any(path.parent.iterdir()):
                path.parent.rmdir()
    lines = [
        f"{s.agent}: namespace {s.namespace}, runs-on {s.scale_set}, 0-{s.max_runners} runners of {s.image} (from {s.source})"
        for s in plan.stations
    ] or ["no agent profiles"]
    lines.append(f"{len(changed)} file(s) {'would change' if app.dry_run else 'changed'}")
    app.out.result(data, "\n".join(lines))
    return 0


# ---- promote -----------------------------------------------------------------------------------


def _approved(app: App, settings: DeploySettings) -> bool:
    """A production change runs only in a job of the protected GitHub environment (required reviewers)."""
    return (
        app.env.get("LEADFORGE_APPROVED_ENVIRONMENT", "") == settings.approval_environment
        and app.env.get("GITHUB_ACTIONS") == "true"
    )


def promote_command(app: App, *, source: str, target: str, images: list[str], open_pr: bool) -> int:
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
    source_file, target_file = (overlay_kustomization(app.repo, settings, e) for e in (source, target))
    # The branch starts at HEAD, so the edit is made to HEAD's files (not to uncommitted changes).
    source_text = app.git.show_file("HEAD", source_file)
    target_text = app.git.show_file("HEAD", target_file)
    if source_text is None or target_text is None:
        missing = source_file if source_text is None else target_file
        raise InputError(f"{missing}: not committed at HEAD; commit the overlay before promoting")
    new_text, changes = plan_edit(
        source_text,
        target_text,
        source_path=source_file,
        target_path=target_file,
        overrides=parse_overrides(images),
        fields=settings.promote_fields,
    )
    data: dict[str, Any] = {
        "from": source,
        "to": target,
        "file": target_file,
        "changes": [dataclasses.asdict(c) for c in changes],
        "branch": None,
        "commit": None,
        "pull_request": None,
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
    existing = list(app.forge.list_pulls(state="open", head=branch)) if open_pr else []
    if existing:
        data.update(result="exists", pull_request={"number": existing[0].number, "url": existing[0].url})
        app.out.result(data, "\n".join([*human, f"pull request #{existing[0].number} already open for {branch}"]))
        return 0
    from leadforge.deploy.applying import remote_branch_start
    from leadforge.gitrepo import branch_worktree

    remote = settings.remote if app.git.remote_url(settings.remote) else None
    # The branch name is derived from the content: a branch that already holds this edit is this promotion
    # made before (a re-run after a failed pull request, or with --no-pr); reuse it rather than push over it.
    earlier = remote_branch_start(app.git, remote, branch)
    reused = (
        earlier is not None
        and app.git.show_file(earlier, target_file) == plan.new_text
        and [c.path for c in app.git.changed_files("HEAD", earlier)] == [target_file]
    )
    if earlier is not None and reused:
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
    app.out.result(data, "\n".join([*human, done]))
    return 0


# ---- apply -------------------------------------------------------------------------------------


def apply_command(app: App, *, env: str, mode: str | None, push: bool, validate: bool = False) -> int:
    settings = settings_of(app)
    mode = mode or settings.apply_mode
    if env in settings.production and not _approved(app, settings) and not app.dry_run:
        raise InputError(
            f"apply to '{env}' needs the GitHub environment '{settings.approval_environment}': run it from the deploy "
            f"workflow's production job (required reviewers), which sets LEADFORGE_APPROVED_ENVIRONMENT"
        )
    renderer = renderer_of(settings, [env]) if validate else None
    traces: dict[str, Trace] = {}
    rendered = render_envs(app.repo, settings, pick_envs(settings, env, False), renderer, on_warning=warn_on(app), traces=traces)[
        env
    ]
    if validate and renderer is not None:
        findings = validate_envs(app, settings, {env: rendered}, renderer, checkov=False, traces=traces)[env]
        errors = [f for f in findings if f.severity == "error"]
        for f in findings:
            app.out.info(_finding_line(f))
            app.actions.annotate(
                f.severity if f.severity != "note" else "notice", f.message, file=f.path or None, line=f.line or None
            )
        if errors:
            raise InputError(
                f"{overlay_label(settings, env)}: {len(errors)} validation error(s) (listed above); nothing deployed"
            )
    if mode == "push":
        return _apply_push(app, settings, env, rendered)
    return _apply_pull(app, settings, env, rendered, push=push)


def _apply_pull(app: App, settings: DeploySettings, env: str, rendered: bytes, *, push: bool) -> int:
    from leadforge.deploy.applying import ensure_clean_index, pull_files, pull_message, remote_branch_start, write_files
    from leadforge.gitrepo import branch_worktree

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
    human = (
        f"{env}: {target} already has these manifests"
        if not sha
        else (f"{env}: committed {sha[:12]} to {target}" + (f" and pushed to {remote}" if pushed else ""))
    )
    app.out.result(data, human)
    return 0


def _apply_push(app: App, settings: DeploySettings, env: str, rendered: bytes) -> int:
    import tempfile

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
            env,
            objects,
            str(manifest),
            kubectl=kubectl,
            applyset=settings.applyset,
            field_manager=settings.field_manager,
            timeout=settings.rollout_timeout,
        )
        steps = [plan.apply, *plan.rollouts]
        data: dict[str, Any] = {
            "env": env,
            "mode": "push",
            "namespace": plan.namespace,
            "steps": [list(s.argv) for s in steps],
            "on_failure": [list(s.argv) for s in plan.undos],
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
    app.out.result(
        {**data, **outcome, "result": "applied"}, f"{env}: applied {len(outcome['applied'])} object(s); rollouts ready"
    )
    return 0


# ---- diff --------------------------------------------------------------------------------------


def render_at_ref(
    app: App, settings: DeploySettings, ref: str, envs: list[str], renderer: kustomize.Renderer
) -> dict[str, tuple[bytes | None, str]]:
    """Render ``envs`` as they are at git ``ref``: (output or None when the overlay is absent there, error)."""
    import io
    import tarfile
    import tempfile

    from leadforge.errors import ToolError

    sha = app.git.rev_parse(ref)
    # the overlays' top folder (k8s/), or the whole tree when the overlays sit at the root (overlays_dir ".")
    parts = Path(settings.overlays_dir).parts
    top = parts[0] if parts and parts[0] not in {".", ".."} else "."
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
            if kustomize.kustomization_file(path) is None:
                results[env] = (None, "")
            else:
                jobs.append((env, path))
        if jobs:
            from concurrent.futures import ThreadPoolExecutor

            def one(job: tuple[str, Path]) -> tuple[str, tuple[bytes | None, str]]:
                env, path = job
                try:
                    # The tool names files by their temporary path: ``roots`` makes them repository paths,
                    # so the message (and the PR comment holding it) is the same on every run.
                    label = f"{overlay_label(settings, env)}@{ref}"
                    return env, (
                        kustomize.render(renderer, path, label=label, timeout=settings.render_timeout, roots={tmp: ""}),
                        "",
                    )
                except ToolError as err:
                    return env, (None, str(err))

            with ThreadPoolExecutor(max_workers=min(4, len(jobs))) as pool:
                results.update(dict(pool.map(one, jobs)))
    return results


def diff_command(app: App, *, base: str, head: str, envs: list[str] | None, pr: int | None, comment: bool) -> int:
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
