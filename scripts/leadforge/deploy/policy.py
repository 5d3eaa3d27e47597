"""LeadForge's policy rules for rendered manifests: pure functions, objects in, findings out.

Rules (ids are ``deploy/<name>``):
  image-tag          no ``:latest`` or untagged image outside ``deploy.latest_allowed_in`` (a warning there)
  resources          cpu and memory requests and limits on every container
  probes             readiness and liveness probes on long-running workloads' containers
  non-root           runAsNonRoot (container or pod) and no runAsUser 0
  read-only-root     readOnlyRootFilesystem on every container
  privileged         no privileged container and no privilege escalation
  replicas           production: replicas (and HPA minReplicas) >= deploy.min_replicas
  pdb                production: a PodDisruptionBudget selecting each long-running workload
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from leadforge.deploy.manifests import (
    ORIGIN_ANNOTATION,
    TRANSFORMATIONS_ANNOTATION,
    ObjectKey,
    containers,
    key_of,
    pod_spec,
)
from leadforge.findings import Finding

LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")
REPLICATED = ("Deployment", "StatefulSet")


@dataclass(frozen=True, slots=True)
class PolicyOptions:
    env: str
    latest_allowed: bool = False
    production: bool = False
    min_replicas: int = 2


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an object came from: its resource file and the kustomization files that transformed it."""

    resource: str = ""  # repository-relative
    transformed_by: tuple[str, ...] = ()  # repository-relative kustomization files


@dataclass(frozen=True, slots=True)
class Sources:
    """What ``locate`` may read: the overlay's kustomization, its patch files, resource files (path -> text)."""

    overlay: str = ""  # repository-relative kustomization.yaml of the overlay
    patches: tuple[str, ...] = ()  # repository-relative patch files of the overlay
    texts: Mapping[str, str] = field(default_factory=dict)
    targets: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # patch file -> (kind, name) of its target


# ---- tracing an object back to the files that made it -----------------------------------------


def origins_from_traced(objects: Sequence[Mapping[str, Any]], overlay_rel: str) -> dict[ObjectKey, Origin]:
    """Read kustomize's ``buildMetadata`` annotations (paths relative to the overlay) into repo paths."""
    found: dict[ObjectKey, Origin] = {}
    for obj in objects:
        notes = (obj.get("metadata") or {}).get("annotations") or {}
        resource = ""
        raw = notes.get(ORIGIN_ANNOTATION)
        if raw:
            data = yaml.safe_load(raw) or {}
            rel = data.get("path") or data.get("configuredIn") or ""
            if rel:
                resource = posixpath.normpath(posixpath.join(overlay_rel, rel))
        touched: list[str] = []
        raw = notes.get(TRANSFORMATIONS_ANNOTATION)
        if raw:
            for item in yaml.safe_load(raw) or []:
                where = (item or {}).get("configuredIn")
                if where:
                    path = posixpath.normpath(posixpath.join(overlay_rel, where))
                    if path not in touched:
                        touched.append(path)
        found[key_of(obj)] = Origin(resource, tuple(touched))
    return found


def _line_of(text: str, *needles: str) -> int:
    lines = text.splitlines()
    for needle in needles:
        if not needle:
            continue
        for number, line in enumerate(lines, 1):
            if needle in line:
                return number
    return 0


def _patch_targets(text: str, key: ObjectKey) -> bool:
    """Does a strategic-merge patch file name this object?"""
    try:
        docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return False
    return any(d.get("kind") == key.kind and (d.get("metadata") or {}).get("name") == key.name for d in docs)


def locate(key: ObjectKey, needles: Sequence[str], origin: Origin | None, sources: Sources) -> tuple[str, int]:
    """The file (and line) to blame for a field of ``key``.

    Needles are tried in order of preference; each is looked for first in the overlay's patches that
    target the object, then in the overlay's kustomization (only needles that are not YAML keys, such as
    an image name); the object's resource file is the fallback."""
    aimed = []
    for path in sources.patches:
        text = sources.texts.get(path, "")
        target = sources.targets.get(path)
        by_target = target is not None and target[0] in {"", key.kind} and target[1] in {"", key.name}
        if text and (by_target or _patch_targets(text, key)):
            aimed.append((path, text))
    overlay_text = ""
    if sources.overlay and origin and sources.overlay in origin.transformed_by:
        overlay_text = sources.texts.get(sources.overlay, "")
    for needle in needles:
        if not needle:
            continue
        for path, text in aimed:
            line = _line_of(text, needle)
            if line:
                return path, line
        if overlay_text and not needle.endswith(":"):
            line = _line_of(overlay_text, needle)
            if line:
                return sources.overlay, line
    if origin and origin.resource:
        text = sources.texts.get(origin.resource, "")
        return origin.resource, _line_of(text, *needles) if text else 0
    return sources.overlay, 0


# ---- the rules ------------------------------------------------------------------------------


def image_tag(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference; tag is '' when untagged."""
    name, digest = (image.split("@", 1) + [""])[:2]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    else:
        tag = ""
    return name, tag, digest


def _security(container: Mapping[str, Any]) -> Mapping[str, Any]:
    return container.get("securityContext") or {}


def _matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    wanted = (selector or {}).get("matchLabels") or {}
    expressions = (selector or {}).get("matchExpressions") or []
    if not wanted and not expressions:
        return True
    if any(labels.get(k) != v for k, v in wanted.items()):
        return False
    for expr in expressions:
        value, values = labels.get(expr.get("key")), expr.get("values") or []
        op = expr.get("operator")
        if (op == "In" and value not in values) or (op == "NotIn" and value in values):
            return False
        if (op == "Exists" and value is None) or (op == "DoesNotExist" and value is not None):
            return False
    return True


@dataclass
class _Ctx:
    options: PolicyOptions
    origins: Mapping[ObjectKey, Origin]
    sources: Sources
    findings: list[Finding] = field(default_factory=list)

    def add(self, rule: str, severity: str, key: ObjectKey, message: str, needles: Sequence[str], help: str) -> None:
        path, line = locate(key, needles, self.origins.get(key), self.sources)
        self.findings.append(
            Finding(
                tool="policy",
                rule=f"deploy/{rule}",
                severity=severity,
                path=path,
                line=line,
                message=f"{self.options.env}: {key}: {message}",
                help=help,
                code_line=f"{self.options.env}:{key}:{message}",
            )
        )


def check_policy(
    objects: Sequence[Mapping[str, Any]],
    options: PolicyOptions,
    origins: Mapping[ObjectKey, Origin] | None = None,
    sources: Sources | None = None,
) -> list[Finding]:
    """Every policy finding for one environment's rendered objects."""
    ctx = _Ctx(options, origins or {}, sources or Sources())
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        key = key_of(obj)
        pod_sc = spec.get("securityContext") or {}
        for box in containers(obj):
            name = box.get("name", "?")
            _check_image(ctx, key, box, name)
            _check_resources(ctx, key, box, name)
            _check_security(ctx, key, box, name, pod_sc)
        if key.kind in LONG_RUNNING:
            for box in containers(obj, init=False):
                missing = [p for p in ("readinessProbe", "livenessProbe") if not box.get(p)]
                if missing:
                    ctx.add(
                        "probes", "error", key, f"container '{box.get('name', '?')}' has no {' or '.join(missing)}",
                        [f"name: {box.get('name')}"], "Add readinessProbe and livenessProbe (httpGet/tcpSocket/exec).",
                    )
    if options.production:
        _check_production(ctx, objects)
    return ctx.findings


def _check_image(ctx: _Ctx, key: ObjectKey, box: Mapping[str, Any], name: str) -> None:
    image = str(box.get("image") or "")
    base, tag, digest = image_tag(image)
    if digest or (tag and tag != "latest"):
        return
    what = "uses ':latest'" if tag == "latest" else "is untagged"
    severity = "warning" if ctx.options.latest_allowed else "error"
    ctx.add(
        "image-tag", severity, key, f"container '{name}' image '{image}' {what}",
        [f"name: {base}", f"image: {image}", base], "Pin an immutable tag or digest (overlay images: newTag / digest).",
    )


def _check_resources(ctx: _Ctx, key: ObjectKey, box: Mapping[str, Any], name: str) -> None:
    resources = box.get("resources") or {}
    missing = [
        f"{kind}.{res}"
        for kind in ("requests", "limits")
        for res in ("cpu", "memory")
        if not (resources.get(kind) or {}).get(res)
    ]
    if missing:
        ctx.add(
            "resources", "error", key, f"container '{name}' has no resources {', '.join(missing)}",
            [f"name: {name}", "resources:", "/resources", "limits:"], "Set cpu and memory requests and limits on every container.",
        )


def _check_security(ctx: _Ctx, key: ObjectKey, box: Mapping[str, Any], name: str, pod_sc: Mapping[str, Any]) -> None:
    sc = _security(box)
    non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
    user = sc.get("runAsUser", pod_sc.get("runAsUser"))
    if non_root is not True or user == 0:
        why = "runs as root (runAsUser: 0)" if user == 0 else "does not set runAsNonRoot: true"
        ctx.add(
            "non-root", "error", key, f"container '{name}' {why}", ["runAsUser: 0", "/runAsUser", "runAsNonRoot", f"name: {name}"],
            "Set securityContext.runAsNonRoot: true and a non-zero runAsUser.",
        )
    if sc.get("readOnlyRootFilesystem") is not True:
        ctx.add(
            "read-only-root", "error", key, f"container '{name}' has a writable root filesystem",
            ["readOnlyRootFilesystem", f"name: {name}"],
            "Set securityContext.readOnlyRootFilesystem: true; mount an emptyDir where the app writes.",
        )
    if sc.get("privileged") is True or sc.get("allowPrivilegeEscalation") is not False:
        why = "is privileged" if sc.get("privileged") is True else "allows privilege escalation"
        ctx.add(
            "privileged", "error", key, f"container '{name}' {why}",
            ["privileged: true", "/privileged", "allowPrivilegeEscalation", f"name: {name}"],
            "Set privileged: false and allowPrivilegeEscalation: false.",
        )


def _check_production(ctx: _Ctx, objects: Sequence[Mapping[str, Any]]) -> None:
    minimum = ctx.options.min_replicas
    hpas = {}
    for obj in objects:
        if obj.get("kind") == "HorizontalPodAutoscaler":
            target = (obj.get("spec") or {}).get("scaleTargetRef") or {}
            hpas[(target.get("kind"), key_of(obj).namespace, target.get("name"))] = obj
    pdbs = [obj for obj in objects if obj.get("kind") == "PodDisruptionBudget"]
    for obj in objects:
        key = key_of(obj)
        if key.kind in REPLICATED:
            hpa = hpas.get((key.kind, key.namespace, key.name))
            replicas = (obj.get("spec") or {}).get("replicas", 1)
            if hpa is not None:
                low = (hpa.get("spec") or {}).get("minReplicas", 1)
                if low < minimum:
                    ctx.add(
                        "replicas", "error", key_of(hpa), f"minReplicas is {low}; production needs >= {minimum}",
                        ["minReplicas"], f"Set minReplicas >= {minimum} in the overlay's HPA patch.",
                    )
            if replicas < minimum:
                ctx.add(
                    "replicas", "error", key, f"replicas is {replicas}; production needs >= {minimum}",
                    ["replicas:", "/replicas"], f"Set spec.replicas >= {minimum} in the overlay's patch.",
                )
        if key.kind in LONG_RUNNING:
            labels = (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            covered = any(
                key_of(pdb).namespace == key.namespace and _matches((pdb.get("spec") or {}).get("selector") or {}, labels)
                for pdb in pdbs
            )
            if not covered:
                ctx.add(
                    "pdb", "error", key, "no PodDisruptionBudget selects its pods",
                    ["kind: " + key.kind], "Add a PodDisruptionBudget (policy/v1) whose selector matches the pod labels.",
                )


_KIND_RE = re.compile(r"^([A-Za-z]+)\.([^.]+)\.(.+)$")


def checkov_resource_key(resource: str, known: Sequence[ObjectKey] = ()) -> ObjectKey | None:
    """checkov names Kubernetes resources ``Kind.namespace.name`` ("default" when unset; a workload's pod
    template as ``Pod.<ns>.<workload>.<labels...>``): map that back to a rendered object's key."""
    match = _KIND_RE.match(resource or "")
    if not match:
        return None
    kind, namespace, name = match.groups()
    exact = ObjectKey(kind, namespace, name)
    if not known or exact in known:
        return exact
    unset = ObjectKey(kind, "", name)
    if namespace == "default" and unset in known:
        return unset
    for key in known:
        if key.namespace in {namespace, ""} and key.kind in LONG_RUNNING and name.startswith(key.name + "."):
            return key
    return exact
