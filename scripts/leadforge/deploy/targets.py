"""Which objects a kustomize patch ``target:`` selects, the way kustomize selects them.

kustomize (``resWrangler.Select``) matches a selector against each resource's *original* id (as
written in its file, before any name prefix or suffix and namespace change) and its *current* id
(at the moment the patch runs), with anchored regular expressions for group, version, kind, name
and namespace, and Kubernetes label selectors for ``labelSelector`` and ``annotationSelector``.
A patch of an overlay runs after its bases and components are built and before the overlay's own
``namePrefix``/``nameSuffix``/``namespace`` and ``transformers:``; generated names get their hash
suffix only at the very end.

We see the final render (and, from a traced render, each object's original id), so an object's
current id at patch time is reconstructed; where it cannot be (a ``transformers:`` plugin that may
rename, an overlay that changes namespaces), that part of the selector is not judged. The check
only ever errs on the side of "matches": it must never refuse an overlay kustomize accepts.

Pure: plain data in, plain data out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Kinds kustomize treats as cluster-scoped (its built-in OpenAPI data); everything else is namespaced.
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "SelfSubjectAccessReview",
        "SelfSubjectRulesReview",
        "StorageClass",
        "SubjectAccessReview",
        "TokenReview",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
NOT_NAMESPACED = "_non_namespaceable_"  # kustomize's effective namespace of a cluster-scoped object
DEFAULT_NAMESPACE = "default"
_HASH_RE = re.compile(r"-[a-z0-9]{10}$")
GENERATED_KINDS = ("ConfigMap", "Secret")
# transformers: kinds that cannot rename objects or move them between namespaces
_NAME_SAFE_TRANSFORMERS = frozenset(
    {
        "AnnotationsTransformer",
        "ImageTagTransformer",
        "LabelTransformer",
        "NamespaceTransformer",
        "ReplicaCountTransformer",
        "SortOrderTransformer",
        "HashTransformer",
    }
)
_PREFIX_SUFFIX_TRANSFORMERS = frozenset({"PrefixSuffixTransformer", "PrefixTransformer", "SuffixTransformer"})


def effective_namespace(kind: str, namespace: str) -> str:
    if kind in CLUSTER_SCOPED:
        return NOT_NAMESPACED
    return namespace or DEFAULT_NAMESPACE


@dataclass(frozen=True, slots=True)
class Identity:
    """What a selector can match of one rendered object: its group/version/kind and every name,
    namespace, label set and annotation set it may have had when the overlay's patches ran."""

    group: str
    version: str
    kind: str
    names: frozenset[str]
    namespaces: frozenset[str]  # effective namespaces (``default`` for none, NOT_NAMESPACED when cluster-scoped)
    labels: tuple[Mapping[str, str], ...] = ()
    annotations: tuple[Mapping[str, str], ...] = ()
    kinds: frozenset[str] = frozenset()  # the original kind too, when a patch changed it
    any_name: bool = False  # the name at patch time cannot be known: do not judge names
    any_namespace: bool = False


@dataclass(frozen=True, slots=True)
class OverlayEffects:
    """What the overlay itself does after its patches run, to be undone to see an object at patch time."""

    name_prefixes: tuple[str, ...] = ()
    name_suffixes: tuple[str, ...] = ()
    changes_namespace: bool = False
    may_rename: bool = False  # a transformers: plugin we cannot read


def overlay_effects(kustomization: Mapping[str, Any], transformers: Sequence[Any] = ()) -> OverlayEffects:
    """The overlay's own renames: ``namePrefix``/``nameSuffix``/``namespace`` and its ``transformers:``
    configs (``transformers`` are the parsed documents; None for one that could not be read)."""
    prefixes = [str(kustomization["namePrefix"])] if kustomization.get("namePrefix") else []
    suffixes = [str(kustomization["nameSuffix"])] if kustomization.get("nameSuffix") else []
    moves = bool(kustomization.get("namespace"))
    unknown = False
    for doc in transformers:
        kind = str(doc.get("kind", "")) if isinstance(doc, Mapping) else ""
        if kind in _PREFIX_SUFFIX_TRANSFORMERS:
            if doc.get("prefix"):
                prefixes.append(str(doc["prefix"]))
            if doc.get("suffix"):
                suffixes.append(str(doc["suffix"]))
        elif kind == "NamespaceTransformer":
            moves = True
        elif kind not in _NAME_SAFE_TRANSFORMERS:
            unknown = True  # a plugin, a patch or replacement, or something we could not read
    return OverlayEffects(tuple(prefixes), tuple(suffixes), moves, unknown)


@dataclass(frozen=True, slots=True)
class Layer:
    """One kustomization between the overlay and an object's file, for what it does to namespaces."""

    namespace: str = ""  # its namespace: field
    transformers: tuple[tuple[str, bool], ...] = ()  # its NamespaceTransformer configs: (namespace, unsetOnly)
    unknown: bool = False  # a transformers: entry that may move objects in a way we cannot read


def layer_of(kustomization: Mapping[str, Any], transformers: Sequence[Any] = ()) -> Layer:
    moves: list[tuple[str, bool]] = []
    unknown = False
    for doc in transformers:
        kind = str(doc.get("kind", "")) if isinstance(doc, Mapping) else ""
        if kind == "NamespaceTransformer":
            meta = doc.get("metadata") or {}
            moves.append((str(meta.get("namespace") or ""), bool(doc.get("unsetOnly"))))
        elif kind not in _NAME_SAFE_TRANSFORMERS:
            unknown = True
    return Layer(str(kustomization.get("namespace") or ""), tuple(moves), unknown)


def namespaces_at_patch_time(
    kind: str, written: str, chains: Sequence[Sequence[Layer]], components: Sequence[Layer] = ()
) -> frozenset[str] | None:
    """The effective namespaces an object may have when the overlay's patches run: along each path from the
    overlay down to its file (``chains``, closest to the overlay first) the layers set namespaces deepest
    first, then the overlay's components do; None when a layer may move it in a way we cannot read."""
    found = set()
    for chain in chains or [()]:
        state = written
        for layer in [*reversed(chain), *components]:
            if layer.unknown:
                return None
            if layer.namespace:
                state = layer.namespace
            for namespace, unset_only in layer.transformers:
                if namespace and not (unset_only and state):
                    state = namespace
        found.add(effective_namespace(kind, state))
    return frozenset(found)


def _unrenamed(name: str, effects: OverlayEffects, generated: bool) -> set[str]:
    """``name`` and what it may have been before the overlay's own prefix/suffix (and the hash) went on."""
    names = {name}
    if generated or _HASH_RE.search(name):
        names |= {_HASH_RE.sub("", n) for n in names}
    for prefix in effects.name_prefixes:
        names |= {n[len(prefix) :] for n in names if prefix and n.startswith(prefix)}
    for suffix in effects.name_suffixes:
        names |= {n[: -len(suffix)] for n in names if suffix and n.endswith(suffix)}
    return {n for n in names if n}


def _labels(obj: Mapping[str, Any], key: str) -> dict[str, str]:
    meta = obj.get("metadata") or {}
    value = meta.get(key) or {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def identity(
    obj: Mapping[str, Any],
    effects: OverlayEffects = OverlayEffects(),
    *,
    original: Mapping[str, Any] | None = None,
    original_kind: str = "",
    original_name: str = "",
    original_namespace: str = "",
    generated: bool = False,
    patch_namespaces: frozenset[str] | None = None,
) -> Identity:
    """The identity of a rendered object; ``original`` is the document it came from (traced render), and
    ``patch_namespaces`` where it was when the overlay's patches ran, when that is known."""
    api = str(obj.get("apiVersion", ""))
    group, _, version = api.rpartition("/")
    kind = str(obj.get("kind", ""))
    meta = obj.get("metadata") or {}
    name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
    names = _unrenamed(name, effects, generated or kind in GENERATED_KINDS)
    kinds = {kind}
    namespaces = {effective_namespace(kind, namespace)}
    labels, notes = [_labels(obj, "labels")], [_labels(obj, "annotations")]
    if original_name:
        names.add(original_name)
    if original_kind:
        kinds.add(original_kind)
    if original_name or original is not None:
        namespaces.add(effective_namespace(original_kind or kind, original_namespace))
    if original is not None:
        labels.append(_labels(original, "labels"))
        notes.append(_labels(original, "annotations"))
    if patch_namespaces is not None:
        if effects.changes_namespace:  # the overlay moved it after its patches: the final namespace is not the one they saw
            namespaces.discard(effective_namespace(kind, namespace))
        if original_name or original is not None:
            namespaces.add(effective_namespace(original_kind or kind, original_namespace))
        namespaces |= patch_namespaces
        any_namespace = effects.may_rename
    else:
        any_namespace = effects.may_rename or effects.changes_namespace
    return Identity(
        group=group,
        version=version,
        kind=kind,
        names=frozenset(names),
        namespaces=frozenset(namespaces),
        labels=tuple(labels),
        annotations=tuple(notes),
        kinds=frozenset(kinds),
        any_name=effects.may_rename,
        any_namespace=any_namespace,
    )


# ---- selectors ---------------------------------------------------------------------------------


class SelectorError(ValueError):
    """A selector we cannot read (kustomize reports its own error for it)."""


@lru_cache(maxsize=256)
def _anchored(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(f"^(?:{pattern})$")
    except re.error as err:
        raise SelectorError(f"not a regular expression: {pattern!r} ({err})") from None


def _matches(pattern: str, value: str) -> bool:
    return not pattern or bool(_anchored(pattern).match(value))


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str  # = != in notin exists !exists gt lt
    values: tuple[str, ...] = ()

    def holds(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key, "")
        if self.operator == "exists":
            return present
        if self.operator == "!exists":
            return not present
        if self.operator in {"=", "in"}:
            return present and value in self.values
        if self.operator in {"!=", "notin"}:
            return not present or value not in self.values
        try:  # gt / lt compare integers; a label that is not a number does not match
            number, bound = int(value), int(self.values[0])
        except (ValueError, IndexError):
            return False
        return present and (number > bound if self.operator == "gt" else number < bound)


_SET_RE = re.compile(r"^\s*(?P<key>[^\s!=<>(),]+)\s+(?P<op>in|notin)\s*\((?P<values>[^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*(?P<key>[^\s!=<>(),]+)\s*(?P<op>==|=|!=|>|<)\s*(?P<value>[^\s!=<>(),]*)\s*$")
_KEY_RE = re.compile(r"^\s*(?P<not>!?)\s*(?P<key>[^\s!=<>(),]+)\s*$")


def _split(selector: str) -> list[str]:
    """Comma-separated requirements; commas inside ``in (a, b)`` do not split."""
    parts, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


@lru_cache(maxsize=256)
def parse_selector(selector: str) -> tuple[Requirement, ...]:
    """A Kubernetes label selector string (``app=web,tier in (a,b),!legacy``)."""
    found = []
    for part in _split(selector or ""):
        if match := _SET_RE.match(part):
            values = tuple(v.strip() for v in match["values"].split(",") if v.strip())
            found.append(Requirement(match["key"], match["op"], values))
        elif match := _EQ_RE.match(part):
            op = {"==": "=", ">": "gt", "<": "lt"}.get(match["op"], match["op"])
            found.append(Requirement(match["key"], op, (match["value"],)))
        elif match := _KEY_RE.match(part):
            found.append(Requirement(match["key"], "!exists" if match["not"] else "exists"))
        else:
            raise SelectorError(f"not a label selector: {part.strip()!r}")
    return tuple(found)


def _selector_holds(selector: str, label_sets: Sequence[Mapping[str, str]]) -> bool:
    requirements = parse_selector(selector)
    return any(all(r.holds(labels) for r in requirements) for labels in label_sets)


def selects(target: Mapping[str, Any], ident: Identity) -> bool:
    """Does kustomize's selector ``target`` pick this object? (``SelectorError`` when unreadable.)"""
    group, version, kind = (str(target.get(k) or "") for k in ("group", "version", "kind"))
    name, namespace = str(target.get("name") or ""), str(target.get("namespace") or "")
    if not _matches(group, ident.group) or not _matches(version, ident.version):
        return False
    if kind and not any(_matches(kind, k) for k in ident.kinds or {ident.kind}):
        return False
    if name and not ident.any_name and not any(_matches(name, n) for n in ident.names):
        return False
    if namespace and not ident.any_namespace and not any(_matches(namespace, ns) for ns in ident.namespaces):
        return False
    if target.get("labelSelector") and not _selector_holds(str(target["labelSelector"]), ident.labels):
        return False
    annotations = target.get("annotationSelector")
    return not annotations or _selector_holds(str(annotations), ident.annotations)


# ---- dead patch targets --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PatchTarget:
    index: int  # position in the kustomization's patches:
    path: str  # the patch file ("" for an inline patch)
    target: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        kind, name = self.target.get("kind"), self.target.get("name")
        what = "/".join(str(p) for p in (kind, name) if p)
        extra = [f"{key}={self.target[key]}" for key in ("group", "version", "namespace") if self.target.get(key)]
        extra += [f"{key} {self.target[key]!r}" for key in ("labelSelector", "annotationSelector") if self.target.get(key)]
        text = " ".join([what or "(any)", *extra]) if extra else what or "(any)"
        source = f" ({self.path})" if self.path else ""
        return f"patches[{self.index}]{source}: target {text} matches no object"


def patch_targets(kustomization: Mapping[str, Any]) -> list[PatchTarget]:
    """The ``patches:`` entries that carry a ``target:`` (the others name their object themselves,
    and kustomize fails on those that match nothing)."""
    found = []
    for index, patch in enumerate(kustomization.get("patches") or []):
        if isinstance(patch, Mapping) and isinstance(patch.get("target"), Mapping):
            found.append(PatchTarget(index, str(patch.get("path") or ""), dict(patch["target"])))
    return found


def dead_targets(targets: Iterable[PatchTarget], identities: Sequence[Identity]) -> list[PatchTarget]:
    """The targets that select none of ``identities``; an unreadable selector is not judged."""
    dead = []
    for target in targets:
        try:
            if not any(selects(target.target, ident) for ident in identities):
                dead.append(target)
        except SelectorError:
            continue
    return dead
