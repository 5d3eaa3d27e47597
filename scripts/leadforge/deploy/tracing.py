"""Tracing a rendered object back to the file (and line) that produced it, by what kustomize did.

A traced render (kustomize's ``buildMetadata: [originAnnotations]``) says for every object which
resource file it came from (``path``), or which kustomization's generator made it (``configuredIn``
and ``configuredBy``). Inside that file the object's document is found by kind and name (the name as
written, before any prefix or suffix), and a field inside the document by walking the YAML node tree,
so a line number is that object's line, never another object's that happens to share a name.

A finding about a field is blamed, in order, on: the overlay's last patch that writes that field
(JSON 6902 op or strategic-merge patch, selected the way kustomize selects: ``targets.selects``),
the overlay's ``images:``/``replicas:`` entry that sets it, the field in the object's own document,
a patch that added the containing entity (a sidecar container), and finally the object's document.
An object whose origin is unknown (no traced render, a remote base, a plugin) is blamed on the
overlay's kustomization file without a line: better no line than a wrong one.

Pure: texts in, paths and lines out.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from leadforge.deploy.manifests import ORIGIN_ANNOTATION, ObjectKey, key_of
from leadforge.deploy.targets import (
    Identity,
    OverlayEffects,
    SelectorError,
    effective_namespace,
    identity,
    selects,
)

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_GENERATOR_FIELDS = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}  # pragma: allowlist secret


@dataclass(frozen=True, slots=True)
class Sel:
    """A list item picked by a key's value (``containers[name=web]``), as strategic merge does."""

    key: str
    value: str


Step = str | int | Sel
FieldPath = tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an object came from, as kustomize recorded it."""

    path: str = ""  # repository-relative file: the resource file, or the kustomization whose generator made it
    line: int = 0  # the object's line in ``path`` (its metadata.name, or the generator entry's name); 0 unknown
    generated_by: str = ""  # ConfigMapGenerator, SecretGenerator, ... when generated
    original: ObjectKey | None = None  # kind/namespace/name as written in ``path``
    document: int = -1  # index of the object's document in ``path``; -1 unknown


# ---- YAML node helpers ------------------------------------------------------------------------


@lru_cache(maxsize=64)
def documents(text: str) -> tuple[Any, ...]:
    """The composed YAML documents of ``text`` (nodes keep their line numbers); () when it does not parse."""
    try:
        return tuple(node for node in yaml.compose_all(text, Loader=_Loader) if node is not None)
    except yaml.YAMLError:
        return ()


def _value(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    return None


def _key_line(node: Any, key: str) -> int:
    if isinstance(node, yaml.MappingNode):
        for key_node, _value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return int(key_node.start_mark.line) + 1
    return 0


def _scalar(node: Any) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def walk(node: Any, path: FieldPath) -> tuple[int, int]:
    """How far ``path`` exists under ``node``: (steps found, 1-based line of the last one found)."""
    depth, line = 0, int(node.start_mark.line) + 1 if node is not None else 0
    for step in path:
        if isinstance(step, str):
            child = _value(node, step)
            if child is None:
                break
            line = _key_line(node, step)
        elif isinstance(step, int):
            if not isinstance(node, yaml.SequenceNode) or not 0 <= step < len(node.value):
                break
            child = node.value[step]
            line = int(child.start_mark.line) + 1
        else:
            if not isinstance(node, yaml.SequenceNode):
                break
            child = next((item for item in node.value if _scalar(_value(item, step.key)) == step.value), None)
            if child is None:
                break
            line = int(child.start_mark.line) + 1
        node, depth = child, depth + 1
    return depth, line


def _name_of(doc: Any) -> tuple[str, str, str]:
    meta = _value(doc, "metadata")
    return _scalar(_value(doc, "kind")), _scalar(_value(meta, "namespace")), _scalar(_value(meta, "name"))


def _fits(written: str, rendered: str) -> bool:
    """Could ``rendered`` be ``written`` with a prefix, a suffix and a hash added?"""
    return bool(written) and written in rendered


def find_document(text: str, key: ObjectKey) -> int:
    """The index of the document in ``text`` that produced the rendered object ``key``; -1 when unsure.

    Same kind, and the written name is the rendered one or inside it (prefixes, suffixes); the
    longest such name wins, then a matching namespace. One document of that kind is taken as it
    (a patch may have renamed it)."""
    docs = documents(text)
    same_kind = [(i, _name_of(d)) for i, d in enumerate(docs) if _name_of(d)[0] == key.kind]
    fitting = [(i, ident) for i, ident in same_kind if _fits(ident[2], key.name)]
    if fitting:
        fitting.sort(key=lambda item: (item[1][2] != key.name, -len(item[1][2]), item[1][1] != key.namespace))
        return fitting[0][0]
    return same_kind[0][0] if len(same_kind) == 1 else -1


def plain(node: Any) -> Any:
    """A node as plain data (for the few places that want values, not lines)."""
    if isinstance(node, yaml.MappingNode):
        return {_scalar(k): plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [plain(v) for v in node.value]
    return _scalar(node) if isinstance(node, yaml.ScalarNode) else None


# ---- origins -------------------------------------------------------------------------------------


def _origin_of(obj: Mapping[str, Any], to_repo: Callable[[str], str | None], texts: Mapping[str, str]) -> Origin:
    notes = (obj.get("metadata") or {}).get("annotations") or {}
    raw = notes.get(ORIGIN_ANNOTATION)
    if not raw:
        return Origin()
    try:
        data = yaml.load(raw, Loader=_Loader) or {}
    except yaml.YAMLError:
        return Origin()
    if not isinstance(data, Mapping) or data.get("repo"):
        return Origin()  # a remote base: nothing in this repository to point at
    key = key_of(obj)
    if data.get("path"):
        path = to_repo(str(data["path"]))
        if not path:
            return Origin()
        index = find_document(texts.get(path, ""), key)
        if index < 0:
            return Origin(path)
        doc = documents(texts[path])[index]
        kind, namespace, name = _name_of(doc)
        return Origin(path, walk(doc, ("metadata", "name"))[1], "", ObjectKey(kind, namespace, name), index)
    configured_in, configured_by = data.get("configuredIn"), data.get("configuredBy") or {}
    generator = str((configured_by or {}).get("kind") or "") if isinstance(configured_by, Mapping) else ""
    path = to_repo(str(configured_in)) if configured_in else None
    if not path or not generator.endswith("Generator"):
        # A transformer's name here means a patch replaced the object's annotations (and kustomize's
        # record with them): where the object came from is unknown.
        return Origin()
    entries_key = _GENERATOR_FIELDS.get(generator)
    docs = documents(texts.get(path, ""))
    if entries_key and docs:
        entries = _value(docs[0], entries_key)
        if isinstance(entries, yaml.SequenceNode):
            named = [(item, _scalar(_value(item, "name"))) for item in entries.value]
            fitting = sorted((item for item in named if _fits(item[1], key.name)), key=lambda item: -len(item[1]))
            if fitting:
                item, name = fitting[0]
                namespace = _scalar(_value(item, "namespace"))
                return Origin(path, _key_line(item, "name"), generator, ObjectKey(key.kind, namespace, name))
    return Origin(path, 0, generator or "generator")


def origins_from_traced(
    objects: Sequence[Mapping[str, Any]],
    to_repo: Callable[[str], str | None],
    texts: Mapping[str, str] | None = None,
) -> dict[ObjectKey, Origin]:
    """Each traced object's origin. ``to_repo`` turns kustomize's origin path (relative to the folder
    the traced render ran in) into a repository path, or None outside the repository; ``texts`` holds
    those files (see ``origin_paths``)."""
    return {key_of(obj): _origin_of(obj, to_repo, texts or {}) for obj in objects}


def origin_paths(objects: Sequence[Mapping[str, Any]], to_repo: Callable[[str], str | None]) -> list[str]:
    """The repository files a traced render names (to read before ``origins_from_traced``)."""
    found: dict[str, None] = {}
    for obj in objects:
        raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(ORIGIN_ANNOTATION)
        try:
            data = yaml.load(raw, Loader=_Loader) if raw else None
        except yaml.YAMLError:
            continue
        if isinstance(data, Mapping) and not data.get("repo"):
            where = data.get("path") or data.get("configuredIn")
            path = to_repo(str(where)) if where else None
            if path:
                found.setdefault(path, None)
    return list(found)


def relative_to_repo(traced_root: str, repo_root: str) -> Callable[[str], str | None]:
    """``to_repo`` for a render traced in ``traced_root`` (both absolute, resolved)."""

    def to_repo(path: str) -> str | None:
        absolute = posixpath.normpath(posixpath.join(traced_root, path))
        relative = posixpath.relpath(absolute, repo_root)
        return None if relative == ".." or relative.startswith("../") else relative

    return to_repo


# ---- the overlay: its patches and field-setting entries --------------------------------------------


@dataclass(frozen=True, slots=True)
class Patch:
    """One ``patches:`` entry of the overlay, with where its text sits."""

    file: str  # repository-relative file holding the text: the patch file, or the kustomization (inline)
    text: str
    first_line: int = 1  # line of the text's first line in ``file``
    target: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Overlay:
    """What of the overlay's kustomization can set a field of an object."""

    kustomization: str = ""  # repository-relative kustomization file of the overlay
    text: str = ""
    patches: tuple[Patch, ...] = ()
    effects: OverlayEffects = field(default_factory=OverlayEffects)


def patch_files(kustomization: Mapping[str, Any]) -> list[str]:
    """The patch files (relative to the overlay) a kustomization names."""
    return [str(p["path"]) for p in kustomization.get("patches") or [] if isinstance(p, Mapping) and p.get("path")]


def read_overlay(kustomization_path: str, text: str, files: Mapping[str, str], effects: OverlayEffects | None = None) -> Overlay:
    """The overlay's patches in order (``files``: repository path -> text of each patch file)."""
    effects = effects or OverlayEffects()
    docs = documents(text)
    if not docs:
        return Overlay(kustomization_path, text, effects=effects)
    folder = posixpath.dirname(kustomization_path)
    entries = _value(docs[0], "patches")
    patches = []
    for item in entries.value if isinstance(entries, yaml.SequenceNode) else []:
        target_node = _value(item, "target")
        target = plain(target_node) if isinstance(target_node, yaml.MappingNode) else None
        if _value(item, "path") is not None:
            rel = posixpath.normpath(posixpath.join(folder, _scalar(_value(item, "path"))))
            patches.append(Patch(rel, files.get(rel, ""), 1, target))
        elif isinstance(_value(item, "patch"), yaml.ScalarNode):
            node = _value(item, "patch")
            block = node.style in ("|", ">")
            first = int(node.start_mark.line) + (2 if block else 1)
            patches.append(Patch(kustomization_path, str(node.value), first, target))
    return Overlay(kustomization_path, text, tuple(patches), effects)


# ---- blame ---------------------------------------------------------------------------------------


def pointer(obj: Mapping[str, Any], path: FieldPath) -> tuple[str, ...]:
    """``path`` as JSON-pointer segments of the rendered object (list items by their index)."""
    node: Any = obj
    out: list[str] = []
    for step in path:
        if isinstance(step, Sel):
            items = node if isinstance(node, list) else []
            index = next(
                (i for i, item in enumerate(items) if isinstance(item, Mapping) and str(item.get(step.key)) == step.value), -1
            )
            if index < 0:
                out.append(f"[{step.key}={step.value}]")
                node = None
                continue
            out.append(str(index))
            node = items[index]
        elif isinstance(step, int):
            out.append(str(step))
            node = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
        else:
            out.append(step)
            node = node.get(step) if isinstance(node, Mapping) else None
    return tuple(out)


def _op_segments(op_path: str) -> tuple[str, ...]:
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in op_path.split("/")[1:]) if op_path.startswith("/") else ()


def _op_writes(op: Any, op_path: tuple[str, ...], field_ptr: tuple[str, ...], path: FieldPath) -> bool:
    """Does a JSON 6902 op write the field, one of its parents or something inside it? An op at
    ``.../containers/-`` appends: it writes a container when its value is that container."""
    if not op_path:
        return False
    for i in range(min(len(op_path), len(field_ptr))):
        if op_path[i] == field_ptr[i]:
            continue
        step = path[i] if i < len(path) else None
        if op_path[i] == "-" and i == len(op_path) - 1 and isinstance(step, Sel):
            value = plain(_value(op, "value"))
            if isinstance(value, dict) and str(value.get(step.key)) == step.value:
                continue
        return False
    return True


def _patch_blame(patch: Patch, obj: Mapping[str, Any], path: FieldPath, ident: Identity) -> tuple[int, int]:
    """(how deep into ``path`` this patch writes, its line), (0, 0) when it does not touch the field.

    A JSON 6902 op that writes the field, a parent of it or inside it writes all of it. A strategic
    merge patch writes as deep as its document has the path (merging keeps the rest)."""
    docs = documents(patch.text)
    if not docs:
        return 0, 0
    if isinstance(docs[0], yaml.SequenceNode):  # JSON 6902 ops (YAML or JSON)
        if patch.target is None or not _targets(patch.target, ident):
            return 0, 0
        field_ptr = pointer(obj, path)
        found = (0, 0)
        for op in docs[0].value:  # the last op that writes it has the last word
            if _scalar(_value(op, "op")) == "test":
                continue
            if _op_writes(op, _op_segments(_scalar(_value(op, "path"))), field_ptr, path):
                found = (len(path), patch.first_line + _key_line(op, "path") - 1)
        return found
    found = (0, 0)
    for doc in docs:  # strategic merge: the target, or the document's own kind and name
        kind, namespace, name = _name_of(doc)
        wanted = patch.target if patch.target is not None else {"kind": kind, "name": name, "namespace": namespace}
        if not _targets({k: v for k, v in wanted.items() if v}, ident, literal=patch.target is None):
            continue
        depth, line = walk(doc, path)
        if depth and depth >= found[0]:
            found = (depth, patch.first_line + line - 1)
    return found


def _targets(target: Mapping[str, Any], ident: Identity, *, literal: bool = False) -> bool:
    if literal:  # a strategic-merge patch names its object exactly, not as a pattern
        target = {k: re.escape(str(v)) for k, v in target.items()}
    try:
        return selects(target, ident)
    except SelectorError:
        return False


def _images_blame(overlay: Overlay, image: str) -> int:
    """The line of the overlay's ``images:`` entry that made ``image``, 0 when none did."""
    from leadforge.deploy.policy import image_tag

    docs = documents(overlay.text)
    entries = _value(docs[0], "images") if docs else None
    name, _tag, digest = image_tag(image)
    for item in entries.value if isinstance(entries, yaml.SequenceNode) else []:
        made = _scalar(_value(item, "newName")) or _scalar(_value(item, "name"))
        if made != name:
            continue
        for key in ("digest", "newTag", "name") if digest else ("newTag", "digest", "name"):
            line = _key_line(item, key)
            if line:
                return line
    return 0


def _replicas_blame(overlay: Overlay, ident: Identity) -> int:
    docs = documents(overlay.text)
    entries = _value(docs[0], "replicas") if docs else None
    for item in entries.value if isinstance(entries, yaml.SequenceNode) else []:
        if _scalar(_value(item, "name")) in ident.names:
            return _key_line(item, "count") or int(item.start_mark.line) + 1
    return 0


@dataclass(frozen=True, slots=True)
class Subject:
    """What a finding is about: an object, and a field path inside it (``entity`` steps long for the
    thing that must exist, e.g. the container, before the field can be blamed on a patch that added it)."""

    key: ObjectKey
    path: FieldPath = ()
    entity: int = 0
    image: str = ""  # the container's image, for findings the overlay's images: may cause


def object_identity(
    obj: Mapping[str, Any],
    origin: Origin | None,
    overlay: Overlay,
    texts: Mapping[str, str],
    *,
    traced: bool = False,
    patch_namespaces: frozenset[str] | None = None,
) -> Identity:
    """The object's identity for matching the overlay's patch targets. With ``traced``, an object whose
    original id stayed unknown matches any name and namespace: better let a patch pass than refuse it."""
    if origin is None or origin.original is None:
        found = identity(obj, overlay.effects, generated=bool(origin and origin.generated_by))
        return dataclasses.replace(found, any_name=True, any_namespace=True) if traced else found
    document = None
    if origin.document >= 0:
        docs = documents(texts.get(origin.path, ""))
        document = plain(docs[origin.document]) if origin.document < len(docs) else None
    original = origin.original
    return identity(
        obj,
        overlay.effects,
        original=document if isinstance(document, dict) else None,
        original_kind=original.kind,
        original_name=original.name,
        original_namespace=original.namespace,
        generated=bool(origin.generated_by),
        patch_namespaces=patch_namespaces,
    )


def locate(
    subject: Subject, obj: Mapping[str, Any], origin: Origin | None, overlay: Overlay, texts: Mapping[str, str]
) -> tuple[str, int]:
    """The file and line to blame for ``subject`` (see the module docstring for the order)."""
    ident = object_identity(obj, origin, overlay, texts)
    path = subject.path
    # the overlay's images: and replicas: run after its patches: when they set the field, theirs is the last word
    if subject.image:
        line = _images_blame(overlay, subject.image)
        if line:
            return overlay.kustomization, line
    if path[-1:] == ("replicas",):
        line = _replicas_blame(overlay, ident)
        if line:
            return overlay.kustomization, line
    added: tuple[str, int] | None = None
    for patch in reversed(overlay.patches) if path else ():
        depth, line = _patch_blame(patch, obj, path, ident)
        if depth == len(path):
            return patch.file, line
        if depth and depth >= subject.entity and added is None:
            added = (patch.file, line)  # the patch brought in the container (or whatever holds the field)
    if origin is None or not origin.path:
        return added or (overlay.kustomization, 0)
    docs = documents(texts.get(origin.path, ""))
    if origin.generated_by or not 0 <= origin.document < len(docs):
        return origin.path, origin.line
    doc = docs[origin.document]
    depth, line = walk(doc, path) if path else (0, 0)
    if path and (depth == len(path) or (subject.entity and depth >= subject.entity)):
        return origin.path, line
    if added is not None:
        return added
    return origin.path, origin.line or int(doc.start_mark.line) + 1


@dataclass(frozen=True, slots=True)
class Trace:
    """Everything ``locate`` needs for one environment: the overlay, each object's origin, the files."""

    overlay: Overlay = field(default_factory=Overlay)
    origins: Mapping[ObjectKey, Origin] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)

    def blame(self, subject: Subject, obj: Mapping[str, Any]) -> tuple[str, int]:
        return locate(subject, obj, self.origins.get(subject.key), self.overlay, self.texts)


__all__ = [
    "FieldPath",
    "Origin",
    "Overlay",
    "Patch",
    "Sel",
    "Subject",
    "Trace",
    "documents",
    "effective_namespace",
    "find_document",
    "locate",
    "object_identity",
    "origin_paths",
    "origins_from_traced",
    "patch_files",
    "read_overlay",
    "relative_to_repo",
    "walk",
]
