"""``.github/leadforge.yml``: loading, validation and the generated reference.

The root model composes one section per area; each area owns its section in
``leadforge/<area>/settings.py`` so its knobs live beside the code that reads
them. Unknown keys and wrong types are errors that name the key path and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from leadforge.config_file import DEFAULT_CONFIG_PATH as DEFAULT_CONFIG_PATH  # the one rule for finding and reading the file
from leadforge.config_file import read_config_text
from leadforge.deploy.settings import DeploySettings
from leadforge.errors import ConfigError
from leadforge.metrics.settings import MetricsSettings
from leadforge.release.settings import ReleaseSettings
from leadforge.review.settings import ReviewSettings
from leadforge.scan.settings import ScanSettings
from leadforge.strict import StrictModel
from leadforge.tasks.settings import TasksSettings
from leadforge.visual.settings import VisualSettings


class Config(StrictModel):
    """LeadForge configuration (`.github/leadforge.yml`)."""

    version: Literal[1] = Field(1, description="Schema version of this file.")
    default_branch: str = Field("main", description="Branch the queue, baselines and changelogs live on.")
    tasks: TasksSettings = Field(default_factory=TasksSettings, description="AI task queue.")
    review: ReviewSettings = Field(default_factory=ReviewSettings, description="Pull request review.")
    scan: ScanSettings = Field(default_factory=ScanSettings, description="Security scanners.")
    visual: VisualSettings = Field(default_factory=VisualSettings, description="Visual regression.")
    release: ReleaseSettings = Field(default_factory=ReleaseSettings, description="Release notes and publishing.")
    deploy: DeploySettings = Field(default_factory=DeploySettings, description="Environments and deployment.")
    metrics: MetricsSettings = Field(default_factory=MetricsSettings, description="Agent metrics and dashboard.")


def _line_of(tree: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of ``loc`` in a ruamel round-trip tree, as deep as it exists."""
    node, line = tree, None
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None:
                line = lc.item(part)[0] + 1 if isinstance(part, int) else lc.key(part)[0] + 1
            node = node[part]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def key_path(loc: tuple[Any, ...]) -> str:
    """``deploy.environments[1]``: dotted keys, list items by index."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


_MESSAGES = {
    "extra_forbidden": "unknown key (check the spelling; see docs/leadforge.reference.yml)",
    "missing": "required key is missing",
    "dict_type": "expected a mapping of keys (key: value)",
    "model_type": "expected a mapping of keys (key: value)",
    "model_attributes_type": "expected a mapping of keys (key: value)",
    "list_type": "expected a list (- item per line, or [a, b])",
    "tuple_type": "expected a list (- item per line, or [a, b])",
}


def error_message(error: Any) -> str:
    """One pydantic error in the config's terms (no model class names), with the value found when short."""
    kind = str(error.get("type", ""))
    message = _MESSAGES.get(kind) or str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind.endswith(("_type", "_parsing")) or kind in {"literal_error", "enum"}:
        found = error.get("input")
        shown = json.dumps(found, default=str) if not isinstance(found, str) else repr(found)
        if len(shown) <= 60:
            message += f"; got {shown}"
    return message


def _read_yaml(path: Path, text: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="rt").load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}{where}: invalid YAML: {problem}") from None


def parse_config(text: str, path: str | Path = DEFAULT_CONFIG_PATH) -> Config:
    """Validate config text; the error names the file, line and key path of the first problem."""
    path = Path(path)
    tree = _read_yaml(path, text)
    if tree is None:
        tree = {}
    if not isinstance(tree, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, got {type(tree).__name__}")
    plain = json.loads(json.dumps(tree, default=str))
    try:
        return Config.model_validate(plain)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        key = key_path(loc)
        line = _line_of(tree, loc)
        where = f"{path}:{line}" if line else str(path)
        message = error_message(first)
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise ConfigError(f"{where}: {key}: {message}{more}") from None


def load_config(repo: str | Path = ".", path: str | Path | None = None) -> Config:
    """Load ``path`` (relative to ``repo``); a missing default file means all defaults."""
    where, text = read_config_text(repo, path)
    return Config() if text is None else parse_config(text, where)


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to complete and check ``leadforge.yml``."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://leadforge.dev/schemas/leadforge.schema.json"
    return schema


# ---- the commented reference config, generated from the models' descriptions ----------------


def _submodel(annotation: Any) -> type[StrictModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, StrictModel) else None


def _item_model(annotation: Any) -> type[StrictModel] | None:
    """The model of list items, for ``list[Model]`` / ``tuple[Model, ...]`` fields."""
    for arg in getattr(annotation, "__args__", ()) or ():
        if _submodel(arg):
            return arg
    return None


def _reference_lines(model: type[StrictModel], indent: int) -> Iterator[str]:
    import yaml

    pad = "  " * indent
    defaults = model().model_dump(mode="json", by_alias=True)
    for name, field in model.model_fields.items():
        key = field.alias or name
        for line in (field.description or "").splitlines():
            yield f"{pad}# {line}"
        nested = _submodel(field.annotation)
        if nested is not None:
            if nested.model_fields:
                yield f"{pad}{key}:"
                yield from _reference_lines(nested, indent + 1)
            else:
                yield f"{pad}{key}: {{}}"
                yield ""
            continue
        items = _item_model(field.annotation)
        if items is not None:
            for sub_name, sub_field in items.model_fields.items():
                yield f"{pad}#   {sub_field.alias or sub_name}: {sub_field.description or ''}".rstrip()
        dumped = yaml.safe_dump({key: defaults[key]}, sort_keys=False, default_flow_style=False, width=100, allow_unicode=True)
        for line in dumped.rstrip("\n").splitlines():
            yield f"{pad}{line}"
        yield ""


def reference_yaml() -> str:
    """Every key with its description and default; committed as ``docs/leadforge.reference.yml``."""
    head = [
        "# LeadForge reference configuration: every key, its meaning and its default.",
        "# Generated by `leadforge config reference`; copy what you need into .github/leadforge.yml.",
        "# JSON Schema for editors: docs/leadforge.schema.json",
        "",
    ]
    return "\n".join(head + list(_reference_lines(Config, 0))).rstrip("\n") + "\n"
