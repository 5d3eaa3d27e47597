"""Rendered manifests as plain data: parse, key by kind/namespace/name, dump canonically.

Pure functions only (PyYAML on strings); no files, no tools.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from leadforge.errors import InputError


def _yaml() -> tuple[Any, Any, Any]:
    """PyYAML and its C loader and dumper (~10x faster on big renders), imported on first use: the
    patch-target check of a render usually needs none of it (``scan_ids``)."""
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader), getattr(yaml, "CSafeDumper", yaml.SafeDumper)


ORIGIN_ANNOTATION = "config.kubernetes.io/origin"

# Kinds whose spec.template.spec is a pod spec (AutoscalingRunnerSet: actions-runner-controller, the agent stations).
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "AutoscalingRunnerSet")


@dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


def parse_objects(text: str | bytes, source: str = "rendered manifests") -> list[dict[str, Any]]:
    """Every non-empty YAML document of ``text`` (a kustomize render), as dicts."""
    yaml, loader, _dumper = _yaml()
    try:
        docs = list(yaml.load_all(text, Loader=loader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{source}{where}: invalid YAML: {getattr(err, 'problem', None) or err}") from None
    objects = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict) or "kind" not in doc:
            raise InputError(f"{source}: a document is not a Kubernetes object (no 'kind')")
        objects.append(doc)
    return objects


def key_of(obj: Mapping[str, Any]) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return ObjectKey(str(obj.get("kind", "")), str(meta.get("namespace", "") or ""), str(meta.get("name", "") or ""))


def by_key(objects: Iterable[Mapping[str, Any]]) -> dict[ObjectKey, Mapping[str, Any]]:
    return {key_of(obj): obj for obj in objects}


def canonical_yaml(obj: Any) -> str:
    """Sorted keys, block style: two equal objects dump to equal text."""
    yaml, _loader, dumper = _yaml()
    text: str = yaml.dump(obj, Dumper=dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1 << 20)
    return text


def pod_spec_path(kind: str) -> tuple[str, ...] | None:
    """Where a workload of ``kind`` keeps its pod spec (``spec.template.spec``...), or None."""
    if kind == "Pod":
        return ("spec",)
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    if kind in WORKLOAD_KINDS:
        return ("spec", "template", "spec")
    return None


def pod_spec(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec of a workload (Deployment, CronJob, Pod...), or None."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
    if kind in WORKLOAD_KINDS:
        return (spec.get("template") or {}).get("spec")
    return None


def containers(obj: Mapping[str, Any], *, init: bool = True) -> list[Mapping[str, Any]]:
    spec = pod_spec(obj) or {}
    found = list(spec.get("containers") or [])
    if init:
        found += list(spec.get("initContainers") or [])
    return found


_PLAIN_START = set("[]{}&*!|>'\"%@`#,?:-")


def _scalar(raw: str) -> str | None:
    """A one-line YAML scalar as kustomize writes it (plain, or simply quoted); None for anything else."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"' and "\\" not in value:
        return value[1:-1]
    if not value or value[0] in _PLAIN_START or " #" in value or ": " in value:
        return None
    return value


def scan_ids(rendered: bytes | str) -> list[dict[str, Any]] | None:
    """``apiVersion``, ``kind`` and ``metadata.name``/``namespace`` of each object of a kustomize render, read
    from its lines (kustomize writes one block layout) without a YAML parser: enough for the cheap pass of the
    patch-target check. None when a document does not look like that layout (then parse it for real)."""
    text = rendered.decode("utf-8", "replace") if isinstance(rendered, bytes) else rendered
    found: list[dict[str, Any]] = []
    for doc in ("\n" + text).split("\n---\n"):
        top: dict[str, str] = {}
        meta: dict[str, str] = {}
        in_meta = False
        for line in doc.splitlines():
            if not line or line.startswith("#"):
                continue
            if not line.startswith(" "):
                key, sep, value = line.partition(":")
                in_meta = key == "metadata"
                if in_meta and value.strip():
                    return None  # metadata: {...} is not the block layout
                if key in ("apiVersion", "kind"):
                    parsed = _scalar(value) if sep else None
                    if parsed is None:
                        return None
                    top[key] = parsed
            elif in_meta and line.startswith("  ") and not line.startswith("   "):
                key, sep, value = line[2:].partition(":")
                if key in ("name", "namespace"):
                    parsed = _scalar(value) if sep else None
                    if parsed is None:
                        return None
                    meta[key] = parsed
        if not top and not meta:
            continue  # an empty document
        if not top.get("kind") or not meta.get("name"):
            return None
        found.append({"apiVersion": top.get("apiVersion", ""), "kind": top["kind"], "metadata": meta})
    return found
