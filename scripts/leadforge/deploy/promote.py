"""Promotion: copy image tags (and chosen generator literals) between overlays' kustomization.yaml.

Pure text-in, text-out functions over ruamel.yaml's round-trip mode, so comments,
key order, quoting and indentation of the target file survive the edit.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadforge.errors import InputError


@dataclass(frozen=True, slots=True)
class Change:
    field: str  # images[ghcr.io/x/y].newTag | configMapGenerator[cfg].KEY
    old: str | None
    new: str


@dataclass(frozen=True, slots=True)
class PromotionPlan:
    source: str  # environment names
    target: str
    target_file: str  # repository-relative
    changes: tuple[Change, ...]
    new_text: str
    branch: str = ""
    title: str = ""
    body: str = ""

    @property
    def empty(self) -> bool:
        return not self.changes


Style = tuple[int, int, int]  # mapping indent, sequence indent, dash offset (ruamel's YAML.indent)
DEFAULT_STYLE: Style = (2, 4, 2)  # kustomize's own style: "  - item" under its key


def guess_style(text: str) -> Style:
    """The file's own indentation, so an edit does not re-indent every list (``- x`` vs ``  - x``)."""
    from ruamel.yaml.util import load_yaml_guess_indent

    try:
        _, indent, offset = load_yaml_guess_indent(text)
    except Exception:  # noqa: BLE001 - invalid YAML is reported by load_rt with its line
        return DEFAULT_STYLE
    if not indent or offset is None:
        return DEFAULT_STYLE
    return (max(indent - offset, 2), indent, offset)


def _yaml(style: Style = DEFAULT_STYLE) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    mapping, sequence, offset = style
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.width = 4096
    return yaml


def load_rt(text: str, path: str) -> Any:
    from ruamel.yaml.error import YAMLError

    try:
        data = _yaml().load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{where}: invalid YAML: {getattr(err, 'problem', None) or str(err).splitlines()[0]}") from None
    if data is None:
        data = _yaml().load("{}")
    if not isinstance(data, Mapping):
        raise InputError(f"{path}: a kustomization must be a mapping")
    return data


def dump_rt(data: Any, style: Style = DEFAULT_STYLE) -> str:
    buffer = io.StringIO()
    _yaml(style).dump(data, buffer)
    return buffer.getvalue()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def parse_overrides(values: Sequence[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for value in values:
        name, _, tag = value.partition("=")
        if not name or not tag:
            raise InputError(f"--image {value}: expected NAME=TAG")
        overrides[name] = tag
    return overrides


def _images(data: Mapping[str, Any], path: str) -> list[Any]:
    images = data.get("images") or []
    if not isinstance(images, list) or not all(isinstance(i, Mapping) and i.get("name") for i in images):
        raise InputError(f"{path}: images: expected a list of entries with a name")
    return images


def _literals(data: Mapping[str, Any], generator: str) -> Any:
    for item in data.get("configMapGenerator") or []:
        if isinstance(item, Mapping) and item.get("name") == generator:
            return item
    return None


def plan_edit(
    source_text: str,
    target_text: str,
    *,
    source_path: str,
    target_path: str,
    overrides: Mapping[str, str] | None = None,
    fields: Sequence[str] = (),
) -> tuple[str, tuple[Change, ...]]:
    """The target kustomization's new text and the changes made, given the source overlay's text."""
    source = load_rt(source_text, source_path)
    target = load_rt(target_text, target_path)
    overrides = dict(overrides or {})
    changes: list[Change] = []
    source_images = {str(i["name"]): i for i in _images(source, source_path)}
    target_list = _images(target, target_path)
    target_images = {str(i["name"]): i for i in target_list}
    unknown = [name for name in overrides if name not in source_images and name not in target_images]
    if unknown:
        raise InputError(f"--image {unknown[0]}: no such image in {source_path} or {target_path} (images: name)")
    wanted: dict[str, dict[str, str]] = {}
    for name, entry in source_images.items():
        wanted[name] = {k: str(entry[k]) for k in ("newName", "newTag", "digest") if entry.get(k) is not None}
    for name, tag in overrides.items():
        wanted.setdefault(name, {})
        wanted[name].pop("digest", None)
        wanted[name]["newTag"] = tag
    for name, values in wanted.items():
        if not values:
            continue
        entry = target_images.get(name)
        if entry is None:
            if "images" not in target or target.get("images") is None:
                target["images"] = target_list
            from ruamel.yaml.comments import CommentedMap

            entry = CommentedMap([("name", name)])
            target_list.append(entry)
            target_images[name] = entry
        for key in ("newName", "newTag", "digest"):
            new = values.get(key)
            old = _text(entry.get(key))
            if new is not None and old != new:
                entry[key] = new
                changes.append(Change(f"images[{name}].{key}", old, new))
            elif new is None and key == "digest" and old is not None and "newTag" in values:
                # A promoted tag replaces a pinned digest that the source no longer has.
                del entry[key]
                changes.append(Change(f"images[{name}].{key}", old, ""))
    for spec in fields:
        parts = spec.split(".")
        if len(parts) != 3 or parts[0] != "configMapGenerator":
            raise InputError(f"deploy.promote_fields: {spec!r}: expected configMapGenerator.<name>.<KEY>")
        _, generator, key = parts
        src = _literals(source, generator)
        value = None
        for literal in (src or {}).get("literals") or []:
            k, _, v = str(literal).partition("=")
            if k == key:
                value = v
        if value is None:
            continue
        dst = _literals(target, generator)
        if dst is None:
            raise InputError(f"{target_path}: configMapGenerator: no generator named '{generator}' to promote {key} into")
        literals = dst.setdefault("literals", [])
        for index, literal in enumerate(literals):
            k, _, v = str(literal).partition("=")
            if k == key:
                if v != value:
                    literals[index] = f"{key}={value}"
                    changes.append(Change(f"configMapGenerator[{generator}].{key}", v, value))
                break
        else:
            literals.append(f"{key}={value}")
            changes.append(Change(f"configMapGenerator[{generator}].{key}", None, value))
    if not changes:
        return target_text, ()
    return dump_rt(target, guess_style(target_text)), tuple(changes)


def branch_name(prefix: str, source: str, target: str, changes: Sequence[Change]) -> str:
    """Deterministic per content: re-running the same promotion reuses the branch and its PR."""
    import hashlib

    digest = hashlib.sha256("\n".join(f"{c.field}={c.new}" for c in changes).encode()).hexdigest()[:8]
    return f"{prefix}{source}-to-{target}-{digest}"


def describe(plan_source: str, plan_target: str, target_file: str, changes: Sequence[Change]) -> tuple[str, str]:
    """Pull request title and body."""
    tags = [c for c in changes if c.field.endswith(".newTag")]
    headline = ", ".join(f"{c.field.split('[', 1)[1].split(']')[0].rsplit('/', 1)[-1]} {c.new}" for c in tags[:3])
    title = f"deploy: promote {plan_source} to {plan_target}" + (f" ({headline})" if headline else "")
    rows = "\n".join(f"| `{c.field}` | `{c.old or '-'}` | `{c.new or '(removed)'}` |" for c in changes)
    body = (
        f"Promotes `{plan_source}` to `{plan_target}` by editing `{target_file}`.\n\n"
        f"| field | {plan_target} now | after merge |\n| --- | --- | --- |\n{rows}\n\n"
        f"The rendered difference is in the `leadforge deploy diff` comment of this pull request.\n"
    )
    return title, body


def ensure_component(text: str, path: str, component: str, present: bool) -> str:
    """Add (or remove) ``component`` in a kustomization's ``components:`` list, keeping the rest of the file."""
    data = load_rt(text, path)
    current = data.get("components")
    items = list(current or [])
    if present and component not in items:
        if current is None:
            from ruamel.yaml.comments import CommentedSeq

            data["components"] = CommentedSeq([component])
        else:
            current.append(component)
    elif not present and component in items:
        # The key stays (possibly as an empty list) so its comment keeps its place for the next add.
        current.remove(component)
    else:
        return text
    return dump_rt(data, guess_style(text))
