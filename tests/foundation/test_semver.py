from __future__ import annotations

import itertools

import pytest

from leadforge.semver import BumpRules, Version, bump_level, latest_tag, previous_tag


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("v1.2.3", "1.2.3"),
        ("1.2.3", "1.2.3"),
        ("v1.2.3-rc.1", "1.2.3-rc.1"),
        ("v1.2.3-rc.1+build.5", "1.2.3-rc.1+build.5"),
        ("v10", None),
        ("v10.6", None),
        ("v01.2.3", None),
        ("v1.2.3.4", None),
        ("latest", None),
    ],
)
def test_only_full_semver_tags_parse(tag: str, expected: str | None) -> None:
    parsed = Version.parse(tag)
    assert (str(parsed) if parsed else None) == expected


def test_precedence_follows_semver() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
    ]
    versions = [v for v in map(Version.parse, ordered) if v is not None]
    assert len(versions) == len(ordered)
    assert sorted(versions, key=lambda v: v._key()) == versions
    assert all(a < b for a, b in itertools.pairwise(versions))


@pytest.mark.parametrize(
    ("current", "level", "expected"),
    [
        ("1.2.3", "major", "2.0.0"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "patch", "1.2.4"),
        ("1.2.3", "none", "1.2.3"),
        ("1.3.0-rc.1", "minor", "1.3.0"),
        ("1.3.0-rc.1", "patch", "1.3.0"),
        ("1.3.1-rc.1", "minor", "1.4.0"),
        ("2.0.0-rc.1", "major", "2.0.0"),
    ],
)
def test_bump(current: str, level: str, expected: str) -> None:
    version = Version.parse(current)
    assert version is not None and str(version.bump(level)) == expected


def test_bump_level_breaking_feat_fix() -> None:
    rules = BumpRules()
    one = Version(1, 0, 0)
    assert bump_level([("fix", False), ("feat", False)], one, rules) == "minor"
    assert bump_level([("perf", False)], one, rules) == "patch"
    assert bump_level([("docs", False), ("chore", True)], one, rules) == "major"
    assert bump_level([("docs", False), (None, False)], one, rules) == "none"


def test_zero_major_rules_are_configurable() -> None:
    zero = Version(0, 4, 0)
    assert bump_level([("feat", True)], zero, BumpRules()) == "minor"
    assert bump_level([("feat", True)], zero, BumpRules(zero_breaking_bump="major")) == "major"
    assert bump_level([("feat", False)], zero, BumpRules(zero_minor_bump="patch")) == "patch"


def test_previous_tag_skips_floating_tags_prereleases_and_higher_versions() -> None:
    tags = ["v1", "v1.2", "v1.1.0", "v1.2.0-rc.1", "v1.2.0-rc.2", "v0.9.0", "v2.0.0", "nightly"]
    assert previous_tag("v1.2.0", tags) == "v1.1.0"
    assert previous_tag("v1.2.0-rc.2", tags) == "v1.2.0-rc.1"
    assert previous_tag("v1.2.0-rc.1", tags) == "v1.1.0"
    assert previous_tag("v0.9.0", tags) is None
    assert latest_tag(tags) == "v2.0.0"
    assert latest_tag(["v1", "v1.0.0-rc.1"]) is None


def test_candidates_are_ordered_best_first() -> None:
    from leadforge.semver import candidates

    tags = ["v1.0.0", "v1.2.0", "v1.1.0", "v1.2.0-rc.1", "v2.0.0", "v1.1.0+build.7", "x"]
    assert candidates("v2.0.0", tags) == ["v1.2.0", "v1.1.0", "v1.1.0+build.7", "v1.0.0"]
    assert candidates("v1.2.0-rc.2", tags) == ["v1.2.0-rc.1", "v1.1.0", "v1.1.0+build.7", "v1.0.0"]
    assert candidates(None, tags)[0] == "v2.0.0"
