"""Validation adapters: offline schemas (kubernetes-validate) and checkov on rendered manifests.

Both return ``Finding`` lists; the policy rules live in ``policy.py``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadforge import proc
from leadforge.deploy.manifests import ObjectKey, key_of, pod_spec
from leadforge.deploy.policy import checkov_resource_key, container_subject, image_tag
from leadforge.deploy.tracing import Subject, Trace
from leadforge.errors import ConfigError, ToolError
from leadforge.findings import Finding
from leadforge.tools import INSTALL_HINT, tool_path

CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "LOG_LEVEL": "ERROR"}
# Mapping checkov severities is impossible offline (they come from the platform); every failed check is an error.


def schema_findings(
    objects: Sequence[Mapping[str, Any]],
    env: str,
    version: str,
    trace: Trace | None = None,
) -> list[Finding]:
    """Validate each object against the Kubernetes ``version`` OpenAPI schemas bundled with kubernetes-validate."""
    import kubernetes_validate
    from kubernetes_validate import utils

    try:
        supported = utils.latest_version()
        if utils.Version(utils.major_minor(version) + ".0") > utils.Version(utils.major_minor(supported) + ".0"):
            raise ConfigError(f"deploy.kubernetes_version: {version} is newer than kubernetes-validate supports ({supported})")
    except ValueError:
        raise ConfigError(f"deploy.kubernetes_version: {version!r} is not a version such as 1.31") from None
    trace = trace or Trace()
    findings: list[Finding] = []
    for obj in objects:
        key = key_of(obj)
        try:
            kubernetes_validate.validate(dict(obj), version, strict=True)
        except kubernetes_validate.ValidationError as err:
            steps = tuple(p if isinstance(p, int) else str(p) for p in err.path)
            where = ".".join(str(p) for p in steps) or "(object)"
            path, line = trace.blame(Subject(key, steps, max(len(steps) - 1, 0)), obj)
            findings.append(
                Finding(
                    tool="kubernetes-validate",
                    rule="schema",
                    severity="error",
                    path=path,
                    line=line,
                    message=f"{env}: {key}: {where}: {err.message} (Kubernetes {err.version})",
                    help="Fix the field to match the Kubernetes API schema.",
                    code_line=f"{env}:{key}:{where}",
                )
            )
        except utils.SchemaNotFoundError as err:
            path, line = trace.blame(Subject(key), obj)
            findings.append(
                Finding(
                    tool="kubernetes-validate",
                    rule="schema-unknown",
                    severity="warning",
                    path=path,
                    line=line,
                    message=f"{env}: {key}: {err.message}",
                    help="A custom resource: its CRD schema is not checked offline.",
                    code_line=f"{env}:{key}:unknown",
                )
            )
    return findings


def _tag_floats(box: Mapping[str, Any]) -> bool:
    _name, tag, digest = image_tag(str(box.get("image") or ""))
    return not digest and tag in {"", "latest"}


def _drops(box: Mapping[str, Any], names: set[str]) -> bool:
    dropped = ((box.get("securityContext") or {}).get("capabilities") or {}).get("drop") or []
    return bool(names & {str(d) for d in dropped})


def _user(box: Mapping[str, Any]) -> int:
    value = (box.get("securityContext") or {}).get("runAsUser")
    return value if isinstance(value, int) else -1


# checkov's container checks: the field each looks at, and when a container fails it. A finding goes to the
# first container that fails (checkov names only the object), traced like a policy finding.
ContainerCheck = tuple[tuple[str, ...], Callable[[Mapping[str, Any]], bool]]
_SC = "securityContext"
CHECKOV_CONTAINER_CHECKS: dict[str, ContainerCheck] = {
    "CKV_K8S_8": (("livenessProbe",), lambda c: not c.get("livenessProbe")),
    "CKV_K8S_9": (("readinessProbe",), lambda c: not c.get("readinessProbe")),
    "CKV_K8S_10": (("resources",), lambda c: not ((c.get("resources") or {}).get("requests") or {}).get("cpu")),
    "CKV_K8S_11": (("resources",), lambda c: not ((c.get("resources") or {}).get("limits") or {}).get("cpu")),
    "CKV_K8S_12": (("resources",), lambda c: not ((c.get("resources") or {}).get("requests") or {}).get("memory")),
    "CKV_K8S_13": (("resources",), lambda c: not ((c.get("resources") or {}).get("limits") or {}).get("memory")),
    "CKV_K8S_14": (("image",), _tag_floats),
    "CKV_K8S_15": (("imagePullPolicy",), lambda c: c.get("imagePullPolicy") != "Always"),
    "CKV_K8S_16": ((_SC, "privileged"), lambda c: (c.get(_SC) or {}).get("privileged") is True),
    "CKV_K8S_20": ((_SC, "allowPrivilegeEscalation"), lambda c: (c.get(_SC) or {}).get("allowPrivilegeEscalation") is not False),
    "CKV_K8S_22": ((_SC, "readOnlyRootFilesystem"), lambda c: (c.get(_SC) or {}).get("readOnlyRootFilesystem") is not True),
    "CKV_K8S_23": ((_SC, "runAsNonRoot"), lambda c: (c.get(_SC) or {}).get("runAsNonRoot") is not True),
    "CKV_K8S_28": ((_SC, "capabilities"), lambda c: not _drops(c, {"ALL", "NET_RAW"})),
    "CKV_K8S_37": ((_SC, "capabilities"), lambda c: not _drops(c, {"ALL"})),
    "CKV_K8S_40": ((_SC, "runAsUser"), lambda c: _user(c) < 10000),
}


def checkov_subject(check_id: str, obj: Mapping[str, Any]) -> Subject:
    """What a failed checkov check on ``obj`` is about: a container's field for container checks."""
    spec = pod_spec(obj) or {}
    check = CHECKOV_CONTAINER_CHECKS.get(check_id)
    boxes = [(listing, box) for listing in ("containers", "initContainers") for box in spec.get(listing) or []]
    if check is None or not boxes:
        return Subject(key_of(obj))
    fields, fails = check
    listing, box = next(((lst, b) for lst, b in boxes if fails(b)), boxes[0])
    image = str(box.get("image") or "") if fields == ("image",) else ""
    return container_subject(obj, listing, str(box.get("name", "")), *fields, image=image)


def checkov_argv(executable: str, folder: str) -> list[str]:
    return [executable, "-d", folder, "--framework", "kubernetes", "-o", "json", "--skip-download", "--quiet", "--compact"]


def _load_reports(stdout: str) -> list[Any]:
    text = stdout.strip()
    if not text:
        return []
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        raise ToolError(f"checkov: output is not JSON: {text.splitlines()[0][:200]}") from None
    return data if isinstance(data, list) else [data]


def _failed_checks(reports: Sequence[Any]) -> list[Mapping[str, Any]]:
    return [check for report in reports for check in ((report or {}).get("results") or {}).get("failed_checks") or []]


def findings_from_checks(
    checks: Sequence[Mapping[str, Any]],
    env: str,
    known: Sequence[ObjectKey],
    trace: Trace | None = None,
    objects: Mapping[ObjectKey, Mapping[str, Any]] | None = None,
) -> list[Finding]:
    """checkov's failed checks for one environment's render, blamed on the files that set the field."""
    trace, objects = trace or Trace(), objects or {}
    findings: list[Finding] = []
    for check in checks:
        key = checkov_resource_key(check.get("resource", ""), known)
        label = str(key) if key else check.get("resource", "?")
        check_id = str(check.get("check_id") or "?")
        obj = objects.get(key) if key else None
        if key is None or obj is None:
            path, line = trace.overlay.kustomization, 0
        else:
            path, line = trace.blame(checkov_subject(check_id, obj), obj)
        findings.append(
            Finding(
                tool="checkov",
                rule=check_id,
                severity="error",
                path=path,
                line=line,
                message=f"{env}: {label}: {check.get('check_name', '')}",
                help=check.get("guideline")
                or "Fix it, or skip it on the object with a justified `checkov.io/skip<N>: <ID>=<why>` annotation.",
                code_line=f"{env}:{label}",
            )
        )
    return findings


def parse_checkov(
    stdout: str,
    env: str,
    known: Sequence[ObjectKey],
    trace: Trace | None = None,
    objects: Mapping[ObjectKey, Mapping[str, Any]] | None = None,
) -> list[Finding]:
    """Failed checks of checkov's JSON report (one environment's render)."""
    return findings_from_checks(_failed_checks(_load_reports(stdout)), env, known, trace, objects)


@dataclass(frozen=True, slots=True)
class EnvManifests:
    """One environment's render and what tracing learned about it."""

    rendered: bytes
    objects: tuple[Mapping[str, Any], ...]
    trace: Trace

    @property
    def known(self) -> tuple[ObjectKey, ...]:
        return tuple(key_of(o) for o in self.objects)

    @property
    def by_key(self) -> dict[ObjectKey, Mapping[str, Any]]:
        return {key_of(o): o for o in self.objects}


def run_checkov(envs: Mapping[str, EnvManifests]) -> dict[str, list[Finding]]:
    """One checkov run over every environment's render (``<env>.yaml`` in a temp folder); findings per env."""
    executable = tool_path("checkov")
    if not executable:
        raise ToolError(f"checkov: command not found. {INSTALL_HINT['checkov']} (or pass --no-checkov)")
    if not envs:
        return {}
    with tempfile.TemporaryDirectory(prefix="leadforge-checkov-") as tmp:
        for env, manifests in envs.items():
            (Path(tmp) / f"{env}.yaml").write_bytes(manifests.rendered)
        try:
            result = proc.run(checkov_argv(executable, tmp), cwd=tmp, env=CHECKOV_ENV, check=False, timeout=600)
        except ToolError as err:  # e.g. LEADFORGE_CHECKOV naming a file that is not there
            raise ToolError(f"{err} (or pass --no-checkov)") from None
    if result.returncode not in (0, 1):
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise ToolError(f"checkov exited {result.returncode}: {detail[-1] if detail else 'no output'}")
    by_env: dict[str, list[Mapping[str, Any]]] = {env: [] for env in envs}
    for check in _failed_checks(_load_reports(result.stdout)):
        env = Path(str(check.get("file_path", ""))).stem
        if env in by_env:
            by_env[env].append(check)
    return {env: findings_from_checks(by_env[env], env, m.known, m.trace, m.by_key) for env, m in envs.items()}


__all__ = [
    "checkov_argv",
    "checkov_subject",
    "parse_checkov",
    "run_checkov",
    "schema_findings",
]
