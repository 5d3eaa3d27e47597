from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from leadforge.config import Config, json_schema, load_config, parse_config, reference_yaml
from leadforge.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_missing_default_config_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"other\.yml: config file not found"):
        load_config(tmp_path, "other.yml")


def test_unknown_top_level_key_names_key_and_line() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("version: 1\n\ndefualt_branch: main\n", ".github/leadforge.yml")
    assert str(err.value).startswith(".github/leadforge.yml:3: defualt_branch: unknown key")


def test_wrong_type_names_nested_key_path_and_line() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("version: 1\ndefault_branch:\n  - a\n", "cfg.yml")
    message = str(err.value)
    assert message.startswith("cfg.yml:2: default_branch:")
    assert "string" in message


def test_unknown_key_inside_a_section_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"cfg.yml:3: tasks.no_such_knob: unknown key"):
        parse_config("version: 1\ntasks:\n  no_such_knob: 3\n", "cfg.yml")


def test_invalid_yaml_reports_line_and_column() -> None:
    with pytest.raises(ConfigError, match=r"cfg.yml:2:\d+: invalid YAML"):
        parse_config("version: 1\nkey: a: b\n", "cfg.yml")


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        parse_config("- a\n- b\n", "cfg.yml")


def test_unsupported_version_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"cfg.yml:1: version:"):
        parse_config("version: 2\n", "cfg.yml")


def test_empty_file_is_all_defaults() -> None:
    assert parse_config("", "cfg.yml") == Config()


def test_repository_config_is_valid() -> None:
    load_config(ROOT)


def test_reference_config_is_current_and_valid() -> None:
    reference = ROOT / "docs" / "leadforge.reference.yml"
    assert reference.read_text(encoding="utf-8") == reference_yaml(), (
        "run: leadforge config reference > docs/leadforge.reference.yml"
    )
    parse_config(reference.read_text(encoding="utf-8"), reference)


def test_every_config_key_is_documented() -> None:
    undocumented = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            if not field.description:
                undocumented.append(prefix + name)
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                walk(annotation, f"{prefix}{name}.")

    walk(Config, "")
    assert undocumented == []


def test_committed_json_schema_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "leadforge.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "run: leadforge config schema > docs/leadforge.schema.json"


def test_schema_rejects_unknown_keys() -> None:
    schema = json_schema()
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A list item is named by its index, on its own line, with the value found.
        (
            "deploy:\n  environments:\n    - dev\n    - 3\n",
            "cfg.yml:4: deploy.environments[1]: Input should be a valid string; got 3",
        ),
        # A key inside a list item: the item's path and line.
        ("visual:\n  pages:\n    - name: home\n      colour: red\n", "cfg.yml:4: visual.pages[0].colour: unknown key"),
        # A section given as a list: said in the config's terms, not the model's class name.
        ("tasks:\n  - a\n", 'cfg.yml:1: tasks: expected a mapping of keys (key: value); got ["a"]'),
        (
            "deploy:\n  environments: dev\n",
            "cfg.yml:2: deploy.environments: expected a list (- item per line, or [a, b]); got 'dev'",
        ),
        ("release:\n  groups:\n    - title: Fixes\n", "cfg.yml:3: release.groups[0].id: required key is missing"),
    ],
)
def test_nested_and_list_item_errors_name_the_path_line_and_value(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "cfg.yml")
    message = str(err.value)
    assert message.startswith(expected), message
    assert "\n" not in message and "Settings" not in message


@pytest.mark.parametrize("reader", ["config", "tasks", "release"])
def test_every_reader_of_the_config_file_gives_the_same_errors(tmp_path: Path, reader: str) -> None:
    """The full loader and the fast section readers share one rule (config_file.read_config_text)."""
    from leadforge.release.options import load_options as release_options
    from leadforge.tasks.options import load_options as task_options

    readers: dict[str, Callable[[Path, str | None], object]] = {
        "config": load_config,
        "tasks": task_options,
        "release": release_options,
    }
    load = readers[reader]
    with pytest.raises(ConfigError, match=r"other\.yml: config file not found"):
        load(tmp_path, "other.yml")
    (tmp_path / "latin1.yml").write_bytes(b"version: 1\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin1\.yml: config file is not UTF-8 text"):
        load(tmp_path, "latin1.yml")
    (tmp_path / "folder.yml").mkdir()
    with pytest.raises(ConfigError, match=r"folder\.yml: cannot read the config file \(Is a directory\)"):
        load(tmp_path, "folder.yml")
    assert load(tmp_path, None) is not None  # no file at the default path: the defaults
