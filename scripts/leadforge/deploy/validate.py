"""Validation adapters: offline schemas (kubernetes-validate) and checkov on rendered manifests.

Both return ``Finding`` lists; the policy rules live in ``policy.py``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadforge import proc
from leadforge.deploy.manifests import ObjectKey, key_of, strip_build_metadata
from leadforge.deploy.policy import Origin, Sources, checkov_resource_key, locate
from leadforge.errors import ConfigError, ToolError
from leadforge.findings import Finding
from leadforge.tools import INSTALL_HINT, tool_path

CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "LOG_LEVEL": "ERROR"}
# Mapping checkov severities is impossible offline (they come from the platform); every failed check is an error.


def _blame(key: ObjectKey, origins: Mapping[ObjectKey, Origin], sources: Sources, needles: Sequence[str]) -> tuple[str, int]:
    return locate(key, needles, origins.get(key), sources)


def schema_findings(
    objects: Sequence[Mapping[str, Any]],
    env: str,
    version: str,
    origins: Mapping[ObjectKey, Origin] | None = None,
    sources: Sources | None = None,
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
    origins, sources = origins or {}, sources or Sources()
    findings: list[Finding] = []
    for obj in objects:
        key = key_of(obj)
        try:
            kubernetes_validate.validate(dict(obj), version, strict=True)
        except kubernetes_validate.ValidationError as err:
            where = ".".join(str(p) for p in err.path) or "(object)"
            field = str(list(err.path)[-1]) if list(err.path) else ""
            path, line = _blame(key, origins, sources, [f"{field}:" if field else "", f"name: {key.name}"])
            findings.append(
                Finding(
                    tool="kubernetes-validate", rule="schema", severity="error", path=path, line=line,
                    message=f"{env}: {key}: {where}: {err.message} (Kubernetes {err.version})",
                    help="Fix the field to match the Kubernetes API schema.", code_line=f"{env}:{key}:{where}",
                )
            )
        except utils.SchemaNotFoundError as err:
            path, line = _blame(key, origins, sources, [f"name: {key.name}"])
            findings.append(
                Finding(
                    tool="kubernetes-validate", rule="schema-unknown", severity="warning", path=path, line=line,
                    message=f"{env}: {key}: {err.message}", help="A custom resource: its CRD schema is not checked offline.",
                    code_line=f"{env}:{key}:unknown",
                )
            )
    return findings


# The fields some checkov Kubernetes checks look at: a finding is blamed on the overlay patch that sets the
# field when there is one. Other checks point at the object's resource file.
CHECKOV_FIELDS: dict[str, tuple[str, ...]] = {
    "CKV_K8S_8": ("livenessProbe", "/livenessProbe"),
    "CKV_K8S_9": ("readinessProbe", "/readinessProbe"),
    "CKV_K8S_10": ("/resources", "requests:", "resources:"),
    "CKV_K8S_11": ("/resources", "limits:", "resources:"),
    "CKV_K8S_12": ("/resources", "requests:", "resources:"),
    "CKV_K8S_13": ("/resources", "limits:", "resources:"),
    "CKV_K8S_14": ("newTag", "image:"),
    "CKV_K8S_16": ("/privileged", "privileged:"),
    "CKV_K8S_20": ("/allowPrivilegeEscalation", "allowPrivilegeEscalation:"),
    "CKV_K8S_22": ("/readOnlyRootFilesystem", "readOnlyRootFilesystem:"),
    "CKV_K8S_23": ("/runAsNonRoot", "runAsNonRoot:"),
    "CKV_K8S_28": ("/capabilities", "capabilities:"),
    "CKV_K8S_37": ("/capabilities", "capabilities:"),
    "CKV_K8S_40": ("/runAsUser", "runAsUser:"),
}


def _checkov_blame(check_id: str, key: ObjectKey | None, origins: Mapping[ObjectKey, Origin], sources: Sources) -> tuple[str, int]:
    if key is None:
        return sources.overlay, 0
    origin = origins.get(key)
    needles = CHECKOV_FIELDS.get(check_id)
    if needles:
        return locate(key, needles, origin, sources)
    if origin and origin.resource:
        text = sources.texts.get(origin.resource, "")
        lines = text.splitlines()
        line = next((n for n, t in enumerate(lines, 1) if t.strip() == f"name: {key.name}"), 0)
        return origin.resource, line
    return sources.overlay, 0


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
    origins: Mapping[ObjectKey, Origin] | None = None,
    sources: Sources | None = None,
) -> list[Finding]:
    """checkov's failed checks for one environment's render, blamed on the overlay files where traceable."""
    origins, sources = origins or {}, sources or Sources()
    findings: list[Finding] = []
    for check in checks:
        key = checkov_resource_key(check.get("resource", ""), known)
        label = str(key) if key else check.get("resource", "?")
        path, line = _checkov_blame(check.get("check_id", ""), key, origins, sources)
        findings.append(
            Finding(
                tool="checkov", rule=check.get("check_id", "?"), severity="error", path=path, line=line,
                message=f"{env}: {label}: {check.get('check_name', '')}",
                help=check.get("guideline") or "Fix it, or skip it on the object with a justified "
                "`checkov.io/skip<N>: <ID>=<why>` annotation.",
                code_line=f"{env}:{label}",
            )
        )
    return findings


def parse_checkov(
    stdout: str,
    env: str,
    known: Sequence[ObjectKey],
    origins: Mapping[ObjectKey, Origin] | None = None,
    sources: Sources | None = None,
) -> list[Finding]:
    """Failed checks of checkov's JSON report (one environment's render)."""
    return findings_from_checks(_failed_checks(_load_reports(stdout)), env, known, origins, sources)


@dataclass(frozen=True, slots=True)
class EnvManifests:
    """One environment's render and what tracing learned about it."""

    rendered: bytes
    known: tuple[ObjectKey, ...]
    origins: Mapping[ObjectKey, Origin]
    sources: Sources


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
    return {
        env: findings_from_checks(by_env[env], env, m.known, m.origins, m.sources) for env, m in envs.items()
    }


def traced_render_root(repo: Path, overlays_dir: str, tmp: Path) -> Path:
    """Copy the top folder of ``overlays_dir`` (``k8s/``) into ``tmp`` so a traced render can add buildMetadata."""
    import shutil

    top = Path(overlays_dir).parts[0]
    shutil.copytree(repo / top, tmp / top, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    return tmp


def add_build_metadata(kustomization: Path) -> None:
    """Ask kustomize to annotate each object with its origin file and the kustomizations that transformed it."""
    import yaml

    data = yaml.safe_load(kustomization.read_text(encoding="utf-8")) or {}
    data["buildMetadata"] = ["originAnnotations", "transformerAnnotations"]
    kustomization.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def strip_all(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [strip_build_metadata(obj) for obj in objects]


__all__ = [
    "schema_findings",
    "checkov_argv",
    "parse_checkov",
    "run_checkov",
    "traced_render_root",
    "add_build_metadata",
]
