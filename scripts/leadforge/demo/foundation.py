"""Demo stage 1: scaffold LeadForge into the throwaway repo, validate its config, and do a
round trip through the local forge (issue, comment upserted twice, release by tag)."""

from __future__ import annotations

from typing import Any

from leadforge.demo import Demo
from leadforge.forge.base import upsert_issue_comment, upsert_release


def run_stage(demo: Demo) -> dict[str, Any]:
    init = demo.cli("init", "--json")
    created = init.json()["created"]
    demo.check(len(created) > 0, "`leadforge init` creates the scaffold")
    again = demo.cli("init", "--json").json()
    demo.check(again["created"] == [] and len(again["skipped"]) == len(created), "a second `init` overwrites nothing")
    demo.commit("chore: adopt LeadForge (leadforge init)")
    valid = demo.cli("config", "validate", "--json").json()
    demo.check(valid["valid"] and valid["exists"], "the scaffolded .github/leadforge.yml is valid")

    forge = demo.forge
    issue = forge.open_issue("Demo: forge round trip", "Opened by the demo.", labels=["demo"])
    _, first = upsert_issue_comment(forge, issue.number, "demo-status", "Status: working")
    _, second = upsert_issue_comment(forge, issue.number, "demo-status", "Status: working")
    _, third = upsert_issue_comment(forge, issue.number, "demo-status", "Status: done")
    comments = forge.list_issue_comments(issue.number)
    demo.check((first, second, third) == ("created", "unchanged", "updated"), "comment upsert is idempotent")
    demo.check(len(comments) == 1, "one comment after three upserts")
    _, made = upsert_release(forge, tag="v0.0.0-demo", name="demo", body="first")
    _, edited = upsert_release(forge, tag="v0.0.0-demo", name="demo", body="second")
    demo.check((made, edited) == ("created", "updated"), "release upsert by tag never duplicates")
    return {
        "title": "Foundation: init, config, forge",
        "summary": f"`leadforge init` scaffolded {len(created)} files (a second run skipped all of them), the config "
        "validated, and the local forge kept one comment through three upserts and one release through two publishes.",
        "facts": {
            "scaffolded files": len(created),
            "comment upserts": f"{first}, {second}, {third}",
            "release upserts": f"{made}, {edited}",
        },
    }
