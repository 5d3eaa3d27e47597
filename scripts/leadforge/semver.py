"""Semantic versions (https://semver.org): parse, order, bump, and pick the previous release tag.

Shared below the areas: releases pick their tags with it, and the visual area orders its stored
release folders by it (so neither imports the other). Pure functions over tag names. Only full
``MAJOR.MINOR.PATCH`` tags (with the configured prefix, optional pre-release and build parts) are
releases; floating tags such as ``v10`` or ``v10.6`` are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import total_ordering

DEFAULT_TAG_PREFIX = "v"  # release.tag_prefix's default, here so the hot path needs no pydantic import

_SEMVER_RE = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


@total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str, prefix: str = "v") -> Version | None:
        """The version in tag ``text`` (``prefix`` optional), or None if it is not full semver."""
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :]
        match = _SEMVER_RE.fullmatch(text)
        if match is None:
            return None
        major, minor, patch, pre, build = match.groups()
        return cls(int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else (), build or "")

    @property
    def prerelease(self) -> bool:
        return bool(self.pre)

    def _key(self) -> tuple[object, ...]:
        # A pre-release sorts below its release; numeric identifiers below alphanumeric ones.
        pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre_key)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + ".".join(self.pre)
        if self.build:
            text += "+" + self.build
        return text

    def bump(self, level: str) -> Version:
        """The next release for ``level`` (major | minor | patch); a pre-release becomes its release."""
        if level == "none":
            return self
        if self.pre:
            # 1.2.0-rc.1 + minor -> 1.2.0 (the release the pre-release was heading to) when it already is one.
            base = Version(self.major, self.minor, self.patch)
            if level == "patch" or (level == "minor" and self.patch == 0) or (level == "major" and self.minor == self.patch == 0):
                return base
        if level == "major":
            return Version(self.major + 1, 0, 0)
        if level == "minor":
            return Version(self.major, self.minor + 1, 0)
        if level == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown bump level {level!r}")


LEVELS = ("none", "patch", "minor", "major")


@dataclass(frozen=True, slots=True)
class BumpRules:
    minor_types: tuple[str, ...] = ("feat",)
    patch_types: tuple[str, ...] = ("fix", "perf")
    zero_breaking_bump: str = "minor"
    zero_minor_bump: str = "minor"


def bump_level(commits: Iterable[tuple[str | None, bool]], current: Version | None, rules: BumpRules) -> str:
    """The bump the commits imply: breaking -> major, minor types -> minor, patch types -> patch.

    ``commits`` are (conventional type or None, breaking). Below 1.0.0 the ``zero_*`` rules apply.
    """
    level = 0
    for kind, breaking in commits:
        if breaking:
            level = 3
            break
        if kind in rules.minor_types:
            level = max(level, 2)
        elif kind in rules.patch_types:
            level = max(level, 1)
    name = LEVELS[level]
    if current is not None and current.major == 0:
        if name == "major":
            name = rules.zero_breaking_bump
        elif name == "minor":
            name = rules.zero_minor_bump
    return name


def candidates(tag: str | None, names: Iterable[str], prefix: str = "v") -> list[str]:
    """Tags that may be the release before ``tag``, best first: semver tags below it (all of them
    when ``tag`` is None or not semver). A final release skips pre-releases (its notes cover
    everything since the last final release); a pre-release compares against every earlier
    version. Non-semver tags (``v10``, ``latest``) are never candidates. Equal versions (build
    metadata differs) go by name."""
    current = Version.parse(tag, prefix) if tag else None
    found: list[tuple[Version, str]] = []
    for name in names:
        if name == tag:
            continue
        version = Version.parse(name, prefix)
        if version is None:
            continue
        if current is not None:
            if not version < current or (version.prerelease and not current.prerelease):
                continue
        elif version.prerelease:
            continue
        found.append((version, name))
    found.sort(key=lambda item: item[1])
    found.sort(key=lambda item: item[0]._key(), reverse=True)
    return [name for _, name in found]


def previous_tag(tag: str, names: Iterable[str], prefix: str = "v") -> str | None:
    """The highest semver tag below ``tag`` among ``names`` (see ``candidates``)."""
    found = candidates(tag, names, prefix)
    return found[0] if found else None


def latest_tag(names: Iterable[str], prefix: str = "v") -> str | None:
    """The highest final (not pre-release) semver tag among ``names``."""
    found = candidates(None, names, prefix)
    return found[0] if found else None
