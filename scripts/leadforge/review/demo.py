"""Demo stage: a pull request with planted problems is reviewed, then a fixing push updates the
same review in place.

The PR adds a payments client with a hard-coded AWS key and an ``eval``, an S3 bucket readable by
anyone, and no test. ``leadforge review`` (on a real ``pull_request.opened`` payload, local forge)
posts ONE review that requests changes, with inline comments on the added lines. The author
pushes a fix (key from the environment, no eval, a test); on ``pull_request.synchronize`` the
review is edited in place: the fixed comments are deleted, the summary says what changed, and
the commit status turns green. Nothing is posted twice.
"""

from __future__ import annotations

import json
from typing import Any

from leadforge.demo import DEMO_REPOSITORY, Demo

NEEDS = ("detect_secrets",)  # optional modules (leadforge.extras): the review's secret finding comes from detect-secrets

BRANCH = "demo/payments-client"
TITLE = "feat(payments): charge cards through the payments API"

CLIENT = '''"""Payments API client."""
import json
import urllib.request

API_URL = "https://payments.example.com/v1/charges"
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def charge(amount_cents: int, currency: str, rules: str) -> dict:
    limits = eval(rules)
    if amount_cents > limits["max"]:
        raise ValueError("over the limit")
    body = json.dumps({"amount": amount_cents, "currency": currency}).encode()
    request = urllib.request.Request(API_URL, data=body, headers={"X-Key": AWS_ACCESS_KEY_ID})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)
'''

FIXED_CLIENT = '''"""Payments API client."""
import json
import os
import urllib.request

API_URL = "https://payments.example.com/v1/charges"


def charge(amount_cents: int, currency: str, rules: str) -> dict:
    limits = json.loads(rules)
    if amount_cents > limits["max"]:
        raise ValueError("over the limit")
    body = json.dumps({"amount": amount_cents, "currency": currency}).encode()
    request = urllib.request.Request(API_URL, data=body, headers={"X-Key": os.environ["PAYMENTS_KEY"]})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)
'''

BUCKET = """resource "aws_s3_bucket" "receipts" {
  bucket = "demo-receipts"
  acl    = "public-read"
}
"""

TEST = """import pytest

from payments.client import charge


def test_charge_refuses_amounts_over_the_limit():
    with pytest.raises(ValueError):
        charge(500, "EUR", '{"max": 100}')
"""


def _write(demo: Demo, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = demo.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _event(demo: Demo, action: str, number: int, base_sha: str, head_sha: str) -> Any:
    return demo.event(
        f"pull_request.{action}",
        {
            "number": number,
            "pull_request.number": number,
            "pull_request.title": TITLE,
            "pull_request.body": "Charges cards through the payments API.",
            "pull_request.draft": False,
            "pull_request.head.ref": BRANCH,
            "pull_request.head.sha": head_sha,
            "pull_request.head.repo.full_name": DEMO_REPOSITORY,
            "pull_request.base.ref": "main",
            "pull_request.base.sha": base_sha,
        },
    )


def _state(demo: Demo, number: int) -> tuple[list[Any], list[Any]]:
    forge = demo.forge
    return forge.list_reviews(number), sorted(forge.list_review_comments(number), key=lambda c: c.id)


def run_stage(demo: Demo) -> dict[str, Any]:
    git = demo.git
    start_branch = git.current_branch() or "main"
    base_sha = git.rev_parse("main")
    git.create_branch(BRANCH, base_sha, checkout=True)
    _write(demo, {"src/payments/__init__.py": "", "src/payments/client.py": CLIENT, "infra/receipts.tf": BUCKET})
    head_sha = demo.commit(TITLE, ["src/payments", "infra/receipts.tf"])
    pull = demo.forge.open_pull(
        TITLE,
        head=BRANCH,
        base="main",
        head_sha=head_sha,
        base_sha=base_sha,
        body="Charges cards through the payments API.",
        author="ai-agent",
    )

    # 1. the PR is opened: one review, changes requested, comments on the added lines
    first = demo.cli("review", "--json", event=_event(demo, "opened", pull.number, base_sha, head_sha))
    verdict = first.json()["verdict"]
    reviews, comments = _state(demo, pull.number)
    demo.check(
        verdict == "REQUEST_CHANGES" and len(reviews) == 1 and reviews[0].state == "CHANGES_REQUESTED",
        "the planted problems get one review that requests changes",
    )
    commented = {(c.path, c.line) for c in comments}
    demo.check(any(p == "src/payments/client.py" for p, _ in commented), "the hard-coded key and eval are commented inline")
    demo.check(any(p == "infra/receipts.tf" for p, _ in commented), "the public bucket is commented inline")
    demo.check(
        "AKIAIOSFODNN7EXAMPLE" not in json.dumps([c.body for c in comments]) + reviews[0].body + first.stdout + first.stderr,
        "the secret's value is never echoed",
    )
    demo.check("tests-required" in reviews[0].body, "the missing test is in the summary")
    first_review = reviews[0].id

    # a re-run (someone clicks "Re-run jobs") posts nothing new
    demo.cli("review", "--json", event=_event(demo, "opened", pull.number, base_sha, head_sha))
    again_reviews, again_comments = _state(demo, pull.number)
    demo.check(again_reviews == reviews and again_comments == comments, "a re-run posts nothing new")

    # 2. the fixing push: key from the environment, json instead of eval, a test
    _write(demo, {"src/payments/client.py": FIXED_CLIENT, "tests/test_payments.py": TEST})
    fix_sha = demo.commit(
        "fix(payments): read the key from the environment, parse rules as JSON",
        ["src/payments/client.py", "tests/test_payments.py"],
    )
    demo.forge.update_pull(pull.number, head_sha=fix_sha)
    second = demo.cli("review", "--json", event=_event(demo, "synchronize", pull.number, base_sha, fix_sha))
    reviews, comments = _state(demo, pull.number)
    demo.check(len(reviews) == 1 and reviews[0].id == first_review, "the same review is updated in place")
    demo.check(
        second.json()["verdict"] == "COMMENT" and reviews[0].state == "DISMISSED",
        "nothing blocks any more: the change request is dismissed",
    )
    demo.check(not any(c.path == "src/payments/client.py" for c in comments), "the fixed findings' comments are gone")
    demo.check("Since the last review" in reviews[0].body, "the summary says what changed since the last push")
    status = demo.forge.list_statuses(fix_sha)
    demo.check(bool(status) and status[0].state == "success", "the commit status is green")

    summary = demo.out / "work" / "review-summary.md"
    summary.write_text(reviews[0].body, encoding="utf-8")
    git.checkout(start_branch)
    left = [c.path for c in comments]
    return {
        "title": "Pull request review",
        "summary": f"PR #{pull.number} planted a hard-coded key, an eval, a public S3 bucket and no test: LeadForge posted "
        f"one review requesting changes with {len(commented)} inline comment(s). The fixing push updated that review in "
        f"place: {len(left)} comment(s) remain (warnings on the bucket), the change request was dismissed, and the "
        "commit status turned green.",
        "facts": {
            "pull request": pull.number,
            "first verdict": verdict,
            "inline comments": len(commented),
            "after the fix": second.json()["verdict"],
            "comments left": len(left),
            "reviews on the PR": len(reviews),
        },
        "artifacts": [demo.artifact(summary)],
    }
