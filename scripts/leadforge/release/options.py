"""The ``release:`` settings as plain frozen records, and a fast reader for them (no pydantic).

``release notes`` on a one-release range is over in a tenth of a second, so building the pydantic
``Config`` (every area's models: more than the rest of the run together) cannot be on its path.
``ReleaseOptions`` holds the values and their defaults, once: ``settings.ReleaseSettings`` (the model
the root config, the JSON Schema and the generated reference use) takes its defaults from here.

``load_options`` reads ``.github/leadforge.yml`` with PyYAML's C loader and accepts the ``release:``
section only when it is plainly valid; anything else (a wrong type, an unknown key, a bad regex, a
scalar YAML 1.1 and 1.2 read differently, a duplicate key...) makes it return None, and the caller
loads the full config, which reports the problem exactly as before. So a valid file gives the same
values both ways (``tests/release/test_options.py`` compares them), and an invalid one the same error.
Other sections are not validated on this path (``leadforge config validate`` checks the whole file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from leadforge.config_file import read_config_text
from leadforge.semver import DEFAULT_TAG_PREFIX
from leadforge.visual.folders import ScreenshotDirs

# The root config's keys (``config.Config``; a test keeps the two lists equal).
TOP_LEVEL_KEYS = frozenset({"version", "default_branch", "tasks", "review", "scan", "visual", "release", "deploy", "metrics"})


@dataclass(frozen=True, slots=True)
class ParserRule:
    """One commit parser (``settings.CommitParser``): when its regex matches, the commit goes to ``group`` or is skipped."""

    message: str | None = None
    body: str | None = None
    footer: str | None = None
    group: str | None = None
    skip: bool = False


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A section of the notes (``settings.Group``)."""

    id: str
    title: str
    visible: bool = True


# git-cliff's conventional preset (its default cliff.toml): the same ordered parsers and groups.
DEFAULT_PARSERS: tuple[ParserRule, ...] = (
    ParserRule(message="^feat", group="feat"),
    ParserRule(message="^fix", group="fix"),
    ParserRule(message="^doc", group="docs"),
    ParserRule(message="^perf", group="perf"),
    ParserRule(message="^refactor", group="refactor"),
    ParserRule(message="^style", group="style"),
    ParserRule(message="^test", group="test"),
    ParserRule(message=r"^chore\(release\): prepare for", skip=True),
    ParserRule(message=r"^chore\(deps.*\)", skip=True),
    ParserRule(message=r"^chore\(pr\)", skip=True),
    ParserRule(message=r"^chore\(pull\)", skip=True),
    ParserRule(message="^chore|^ci", group="chore"),
    ParserRule(body=".*security", group="security"),
    ParserRule(message="^revert", group="revert"),
    ParserRule(message=".*", group="other"),
)

DEFAULT_GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("feat", "Features"),
    GroupSpec("fix", "Bug Fixes"),
    GroupSpec("refactor", "Refactor"),
    GroupSpec("docs", "Documentation"),
    GroupSpec("perf", "Performance"),
    GroupSpec("style", "Styling"),
    GroupSpec("test", "Testing"),
    GroupSpec("chore", "Miscellaneous Tasks"),
    GroupSpec("security", "Security"),
    GroupSpec("revert", "Revert"),
    GroupSpec("other", "Other"),
)


@dataclass(frozen=True, slots=True)
class ReleaseOptions:
    """Every ``release:`` key with its default (descriptions: ``settings.ReleaseSettings``)."""

    tag_prefix: str = DEFAULT_TAG_PREFIX
    unconventional: Literal["other", "skip"] = "other"
    other_group: str = "other"
    commit_parsers: tuple[ParserRule, ...] = DEFAULT_PARSERS
    groups: tuple[GroupSpec, ...] = DEFAULT_GROUPS
    minor_types: tuple[str, ...] = ("feat",)
    patch_types: tuple[str, ...] = ("fix", "perf")
    zero_breaking_bump: Literal["major", "minor"] = "minor"
    zero_minor_bump: Literal["minor", "patch"] = "minor"
    template: str = ".github/leadforge/release-notes.md.j2"
    changelog: str = "CHANGELOG.md"
    changelog_branch: str = ""
    tasks_dir: str = "docs/TASKS/queue/completed"
    agent_patterns: tuple[str, ...] = (
        r"\[bot\]",
        r"(?i)\b(claude|copilot|codex|devin|cursor|aider|gemini|openhands|sweep)\b",
        r"(?i)noreply@anthropic\.com",
    )
    upload_screenshots: bool = True
    max_body_bytes: int = 65536
    skip_commit_files: tuple[str, ...] = (".git-blame-ignore-revs", ".cliffignore")


DEFAULTS = ReleaseOptions()


CHOICES = {"unconventional": ("other", "skip"), "zero_breaking_bump": ("major", "minor"), "zero_minor_bump": ("minor", "patch")}
MIN_BODY_BYTES = 1024


def options_from_settings(settings: Any) -> ReleaseOptions:
    """The plain record of a validated ``settings.ReleaseSettings``."""
    values = {f.name: getattr(settings, f.name) for f in fields(ReleaseOptions)}
    values["commit_parsers"] = tuple(ParserRule(p.message, p.body, p.footer, p.group, p.skip) for p in settings.commit_parsers)
    values["groups"] = tuple(GroupSpec(g.id, g.title, g.visible) for g in settings.groups)
    return ReleaseOptions(**values)


# ---- the fast reader -------------------------------------------------------------------------------------


class _Decline(Exception):
    """The section is not plainly valid: the full (pydantic) loader decides and reports."""


# Plain scalars YAML 1.2 (ruamel, the full loader) resolves to numbers while YAML 1.1 (PyYAML) keeps
# them strings, or the other way round: "1e3", "0o17", "1_000", "1:30", ".inf". A string that looks
# like one is declined, so the two readers can never disagree about a value.
_NUMBERISH = re.compile(
    r"[-+]?(?:[0-9][0-9_:]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?"  # 12, 1_000, 1:30, 1.5, .5, 1e3
    r"|[-+]?0[box][0-9a-fA-F_]+"  # 0b101, 0o17, 0x1F
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def _text(value: Any) -> str:
    if not isinstance(value, str) or _NUMBERISH.fullmatch(value):
        raise _Decline
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Decline
    return tuple(_text(v) for v in value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Decline
    return value


def _regex(pattern: str | None) -> None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error:
            raise _Decline from None


def _mapping(value: Any, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and k in allowed for k in value):
        raise _Decline
    return value


_PARSER_KEYS = frozenset({"message", "body", "footer", "group", "skip"})
_GROUP_KEYS = frozenset({"id", "title", "visible"})
_KEYS = frozenset(f.name for f in fields(ReleaseOptions))


def _parser(value: Any) -> ParserRule:
    data = _mapping(value, _PARSER_KEYS)
    rule = ParserRule(
        message=_optional_text(data.get("message")),
        body=_optional_text(data.get("body")),
        footer=_optional_text(data.get("footer")),
        group=_optional_text(data.get("group")),
        skip=_flag(data.get("skip", False)),
    )
    if not (rule.message or rule.body or rule.footer) or (not rule.skip and not rule.group):
        raise _Decline
    for pattern in (rule.message, rule.body, rule.footer):
        _regex(pattern)
    return rule


def _group(value: Any) -> GroupSpec:
    data = _mapping(value, _GROUP_KEYS)
    if "id" not in data or "title" not in data:
        raise _Decline
    return GroupSpec(_text(data["id"]), _text(data["title"]), _flag(data.get("visible", True)))


def options_from_section(section: Any, text: str = "") -> ReleaseOptions:
    """``ReleaseOptions`` from the plain data of a ``release:`` section; ``_Decline`` unless plainly valid.
    ``text`` (the whole file) lets an integer be checked as written (YAML 1.1 reads ``010`` as 8)."""
    if section is None:
        return DEFAULTS
    data = _mapping(section, _KEYS)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "commit_parsers":
            if not isinstance(value, list):
                raise _Decline
            values[key] = tuple(_parser(v) for v in value)
        elif key == "groups":
            if not isinstance(value, list):
                raise _Decline
            values[key] = tuple(_group(v) for v in value)
        elif key == "upload_screenshots":
            values[key] = _flag(value)
        elif key == "max_body_bytes":
            if isinstance(value, bool) or not isinstance(value, int) or value < MIN_BODY_BYTES:
                raise _Decline
            if re.search(rf"^\s*max_body_bytes\s*:\s*{value}\s*(?:#.*)?$", text, re.MULTILINE) is None:
                raise _Decline  # written otherwise (010000 is 4096 to YAML 1.1), or in flow style: the full loader decides
            values[key] = value
        elif isinstance(getattr(DEFAULTS, key), tuple):
            values[key] = _texts(value)
        else:
            values[key] = _text(value)
            if key in CHOICES and value not in CHOICES[key]:
                raise _Decline
    options = ReleaseOptions(**{**{f.name: getattr(DEFAULTS, f.name) for f in fields(ReleaseOptions)}, **values})
    for pattern in options.agent_patterns:
        _regex(pattern)
    ids = [g.id for g in options.groups]
    if len(set(ids)) != len(ids) or options.other_group not in ids:
        raise _Decline
    if any(p.group and p.group not in ids for p in options.commit_parsers):
        raise _Decline
    return options


def _yaml(text: str) -> Any:
    """The document as PyYAML's C loader reads it; ``_Decline`` for anything the full loader might read
    otherwise: a parse error, a duplicate key (the full loader refuses those), a %YAML directive, tabs."""
    import yaml

    if "\t" in text or re.search(r"^%", text, re.MULTILINE):
        raise _Decline
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeys(base):  # type: ignore[misc, valid-type]  # the C loader when PyYAML has one: a base chosen at run time
        pass

    def mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        keys = [(k.tag, k.value) if isinstance(k, yaml.ScalarNode) else None for k, _ in node.value]
        if None in keys or len(set(keys)) != len(keys):
            raise _Decline
        return loader.construct_mapping(node, deep=deep)

    UniqueKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(text, Loader=UniqueKeys)
    except yaml.YAMLError:
        raise _Decline from None


def _screenshot_dirs(section: Any) -> ScreenshotDirs:
    if section is None:
        return ScreenshotDirs()
    if not isinstance(section, dict):
        raise _Decline
    values = {k: _text(section[k]) for k in ("baseline_dir", "releases_dir") if k in section}
    return ScreenshotDirs(**values)


def load_options(repo: str | Path, config_path: str | None = None) -> tuple[ReleaseOptions, ScreenshotDirs] | None:
    """The ``release:`` settings of the config file (and the visual area's screenshot folders), or None
    when the full loader must decide (see the module docstring). No file at the default path means the
    defaults, as for the full loader."""
    _, text = read_config_text(repo, config_path)  # a file that cannot be read: the same error as the full loader's
    if text is None:
        return DEFAULTS, ScreenshotDirs()
    try:
        data = _yaml(text)
        if data is None:
            return DEFAULTS, ScreenshotDirs()
        if not isinstance(data, dict) or not all(isinstance(k, str) and k in TOP_LEVEL_KEYS for k in data):
            raise _Decline
        if "version" in data and (type(data["version"]) is not int or data["version"] != 1):
            raise _Decline
        if "default_branch" in data:
            _text(data["default_branch"])
        return options_from_section(data.get("release"), text), _screenshot_dirs(data.get("visual"))
    except _Decline:
        return None
