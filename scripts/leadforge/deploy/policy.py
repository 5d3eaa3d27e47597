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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadforge.deploy.manifests import ObjectKey, key_of, pod_spec, pod_spec_path
from leadforge.deploy.tracing import FieldPath, Sel, Subject, Trace
from leadforge.findings import Finding

LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")
REPLICATED = ("Deployment", "StatefulSet")
CONTAINER_LISTS = ("containers", "initContainers")


@dataclass(frozen=True, slots=True)
class PolicyOptions:
    env: str
    latest_allowed: bool = False
    production: bool = False
    min_replicas: int = 2


def container_subject(obj: Mapping[str, Any], listing: str, name: str, *fields: str, image: str = "") -> Subject:
    """A field of one container (``containers[name=web].securityContext.privileged``) as a finding's subject."""
    base = pod_spec_path(str(obj.get("kind", ""))) or ("spec",)
    path: FieldPath = (*base, listing, Sel("name", name), *fields)
    return Subject(key_of(obj), path, len(base) + 2, image)


# ---- the rules ------------------------------------------------------------------------------


def image_tag(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference; tag is '' when untagged."""
    name, digest = [*image.split("@", 1), ""][:2]
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
    trace: Trace
    findings: list[Finding] = field(default_factory=list)

    def add(self, rule: str, severity: str, obj: Mapping[str, Any], subject: Subject, message: str, help: str) -> None:
        key = subject.key
        path, line = self.trace.blame(subject, obj)
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


def check_policy(objects: Sequence[Mapping[str, Any]], options: PolicyOptions, trace: Trace | None = None) -> list[Finding]:
    """Every policy finding for one environment's rendered objects (``trace`` says where to point them)."""
    ctx = _Ctx(options, trace or Trace())
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        pod_sc = spec.get("securityContext") or {}
        for listing in CONTAINER_LISTS:
            for box in spec.get(listing) or []:
                name = str(box.get("name", "?"))
                _check_image(ctx, obj, listing, box, name)
                _check_resources(ctx, obj, listing, box, name)
                _check_security(ctx, obj, listing, box, name, pod_sc)
        if key_of(obj).kind in LONG_RUNNING:
            for box in spec.get("containers") or []:
                name = str(box.get("name", "?"))
                missing = [p for p in ("readinessProbe", "livenessProbe") if not box.get(p)]
                if missing:
                    ctx.add(
                        "probes",
                        "error",
                        obj,
                        container_subject(obj, "containers", name, missing[0]),
                        f"container '{name}' has no {' or '.join(missing)}",
                        "Add readinessProbe and livenessProbe (httpGet/tcpSocket/exec).",
                    )
    if options.production:
        _check_production(ctx, objects)
    return ctx.findings


def _check_image(ctx: _Ctx, obj: Mapping[str, Any], listing: str, box: Mapping[str, Any], name: str) -> None:
    image = str(box.get("image") or "")
    _base, tag, digest = image_tag(image)
    if digest or (tag and tag != "latest"):
        return
    what = "uses ':latest'" if tag == "latest" else "is untagged"
    severity = "warning" if ctx.options.latest_allowed else "error"
    ctx.add(
        "image-tag",
        severity,
        obj,
        container_subject(obj, listing, name, "image", image=image),
        f"container '{name}' image '{image}' {what}",
        "Pin an immutable tag or digest (overlay images: newTag / digest).",
    )


def _check_resources(ctx: _Ctx, obj: Mapping[str, Any], listing: str, box: Mapping[str, Any], name: str) -> None:
    resources = box.get("resources") or {}
    missing = [
        f"{kind}.{res}"
        for kind in ("requests", "limits")
        for res in ("cpu", "memory")
        if not (resources.get(kind) or {}).get(res)
    ]
    if missing:
        ctx.add(
            "resources",
            "error",
            obj,
            container_subject(obj, listing, name, "resources"),
            f"container '{name}' has no resources {', '.join(missing)}",
            "Set cpu and memory requests and limits on every container.",
        )


def _check_security(
    ctx: _Ctx, obj: Mapping[str, Any], listing: str, box: Mapping[str, Any], name: str, pod_sc: Mapping[str, Any]
) -> None:
    sc = _security(box)
    non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
    user = sc.get("runAsUser", pod_sc.get("runAsUser"))
    if non_root is not True or user == 0:
        why = "runs as root (runAsUser: 0)" if user == 0 else "does not set runAsNonRoot: true"
        field_name = "runAsUser" if user == 0 else "runAsNonRoot"
        ctx.add(
            "non-root",
            "error",
            obj,
            container_subject(obj, listing, name, "securityContext", field_name),
            f"container '{name}' {why}",
            "Set securityContext.runAsNonRoot: true and a non-zero runAsUser.",
        )
    if sc.get("readOnlyRootFilesystem") is not True:
        ctx.add(
            "read-only-root",
            "error",
            obj,
            container_subject(obj, listing, name, "securityContext", "readOnlyRootFilesystem"),
            f"container '{name}' has a writable root filesystem",
            "Set securityContext.readOnlyRootFilesystem: true; mount an emptyDir where the app writes.",
        )
    if sc.get("privileged") is True or sc.get("allowPrivilegeEscalation") is not False:
        privileged = sc.get("privileged") is True
        why = "is privileged" if privileged else "allows privilege escalation"
        field_name = "privileged" if privileged else "allowPrivilegeEscalation"
        ctx.add(
            "privileged",
            "error",
            obj,
            container_subject(obj, listing, name, "securityContext", field_name),
            f"container '{name}' {why}",
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
                        "replicas",
                        "error",
                        hpa,
                        Subject(key_of(hpa), ("spec", "minReplicas"), 1),
                        f"minReplicas is {low}; production needs >= {minimum}",
                        f"Set minReplicas >= {minimum} in the overlay's HPA patch.",
                    )
            if replicas < minimum:
                ctx.add(
                    "replicas",
                    "error",
                    obj,
                    Subject(key, ("spec", "replicas"), 1),
                    f"replicas is {replicas}; production needs >= {minimum}",
                    f"Set spec.replicas >= {minimum} in the overlay's patch.",
                )
        if key.kind in LONG_RUNNING:
            labels = (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            covered = any(
                key_of(pdb).namespace == key.namespace and _matches((pdb.get("spec") or {}).get("selector") or {}, labels)
                for pdb in pdbs
            )
            if not covered:
                ctx.add(
                    "pdb",
                    "error",
                    obj,
                    Subject(key),
                    "no PodDisruptionBudget selects its pods",
                    "Add a PodDisruptionBudget (policy/v1) whose selector matches the pod labels.",
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
