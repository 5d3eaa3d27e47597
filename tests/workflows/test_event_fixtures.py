"""The event fixtures are real GitHub payloads (still equal to their source) and load_event works."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.events import DEFAULT_FOR_EVENT, DERIVED, EVENTS_DIR, SOURCES, derive, event_path, load_event, names
from tests.harness import PROJECT_ROOT

WEBHOOKS = PROJECT_ROOT.parent / "shared" / "github" / "webhooks"
needs_shared = pytest.mark.skipif(not WEBHOOKS.is_dir(), reason="../shared/github/webhooks is not present")


def test_every_fixture_file_is_listed_and_every_listed_file_exists() -> None:
    on_disk = {p.stem for p in EVENTS_DIR.glob("*.json")}
    assert on_disk == set(names())
    assert set(DEFAULT_FOR_EVENT.values()) <= set(names())


@needs_shared
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_copied_fixture_matches_its_source(name: str) -> None:
    source = WEBHOOKS / SOURCES[name]
    assert event_path(name).read_bytes() == source.read_bytes(), f"{name}.json differs from {source}: copy it again"


@needs_shared
def test_the_license_of_the_payloads_is_kept() -> None:
    license_file = EVENTS_DIR / "LICENSE.octokit-webhooks"
    assert license_file.read_bytes() == (PROJECT_ROOT.parent / "shared" / "licenses" / "octokit-webhooks.LICENSE").read_bytes()


@pytest.mark.parametrize("name", sorted(DERIVED))
def test_derived_fixture_is_what_derive_builds(name: str) -> None:
    source = load_event(DERIVED[name]) if DERIVED[name] else None
    assert json.loads(event_path(name).read_text(encoding="utf-8")) == derive(name, source)


def test_merged_pull_request_payload() -> None:
    closed, merged = load_event("pull_request.closed"), load_event("pull_request.closed.merged")
    assert closed["pull_request"]["merged"] is False
    assert merged["action"] == "closed" and merged["pull_request"]["state"] == "closed"
    assert merged["pull_request"]["merged"] is True
    assert merged["pull_request"]["merged_at"] == closed["pull_request"]["closed_at"]
    assert merged["pull_request"]["merged_by"]["login"] == closed["sender"]["login"]


def test_payloads_have_what_the_pipeline_reads() -> None:
    assert load_event("issues.opened")["issue"]["number"] > 0
    assert load_event("issues.labeled")["label"]["name"]
    assert load_event("issue_comment.created")["comment"]["body"]
    assert load_event("push")["ref"].startswith("refs/heads/") and load_event("push")["commits"]
    assert load_event("push.tag")["ref"].startswith("refs/tags/")
    assert load_event("release.published")["release"]["tag_name"]
    assert load_event("workflow_run.completed")["workflow_run"]["conclusion"] == "success"
    assert "inputs" in load_event("workflow_dispatch")
    assert load_event("repository_dispatch")["action"] and "client_payload" in load_event("repository_dispatch")
    assert set(load_event("schedule")) == {"schedule"}


def test_load_event_overrides_are_deep_and_isolated() -> None:
    payload = load_event(
        "issues.opened",
        **{"issue.body": "### Goal\nShip", "issue.labels.0": {"name": "task"}, "new.deep.key": 1},
        action="edited",
    )
    assert payload["issue"]["body"] == "### Goal\nShip"
    assert payload["issue"]["labels"] == [{"name": "task"}]
    assert payload["new"] == {"deep": {"key": 1}}
    assert payload["action"] == "edited"
    payload["issue"]["title"] = "changed"
    assert load_event("issues.opened")["issue"]["title"] != "changed"
    assert load_event("issues.opened")["issue"]["body"] != "### Goal\nShip"


def test_unknown_fixture_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"issues\.opened"):
        load_event("issues.teleported")
