"""GitHubForge under faults injected by the API double: rate limits, 5xx, lost answers, 404, bad tokens."""

from __future__ import annotations

import email.utils

import pytest

from leadforge.errors import ForgeError, NotFoundError
from leadforge.forge.base import marker, upsert_issue_comment, upsert_release
from leadforge.forge.github import GitHubForge
from tests.apidouble import GitHubDouble

ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"
COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
NOW = 1_900_000_000.0


def test_429_with_retry_after_waits_that_long_then_succeeds(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    github_double.fail_next("GET", ISSUE, status=429, headers={"Retry-After": "7"})
    forge = github_double.forge()
    assert forge.get_issue(number).title == "t"
    assert forge.sleeps == [7.0]
    assert github_double.count("issues/get") == 2


def test_retry_after_as_an_http_date(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    when = email.utils.formatdate(NOW + 12, usegmt=True)
    github_double.fail_next("GET", ISSUE, status=429, headers={"Retry-After": when})
    forge = github_double.forge(clock=lambda: NOW)
    forge.get_issue(number)
    assert forge.sleeps == [12.0]


def test_403_primary_rate_limit_waits_until_the_reset(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    github_double.rate_limit_next("POST", COMMENTS, reset_at=int(NOW) + 30)
    forge = github_double.forge(clock=lambda: NOW)
    forge.create_issue_comment(number, "after the reset")
    assert forge.sleeps == [31.0]  # until x-ratelimit-reset, plus a second of slack
    assert [c["body"] for c in github_double.issue_comments(number)] == ["after the reset"]


def test_a_rate_limit_longer_than_the_cap_fails_at_once(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    github_double.rate_limit_next("GET", ISSUE, reset_at=int(NOW) + 3600, status=429)
    forge = github_double.forge(clock=lambda: NOW, max_rate_limit_wait=120)
    with pytest.raises(ForgeError) as caught:
        forge.get_issue(number)
    message = str(caught.value)
    assert "rate limited" in message and "not waiting 3601s" in message and "GET issue #1" in message
    assert forge.sleeps == [] and github_double.count("issues/get") == 1


def test_secondary_rate_limit_waits_a_minute(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    github_double.fail_next(
        "POST",
        COMMENTS,
        status=403,
        message="You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    )
    forge = github_double.forge()
    forge.create_issue_comment(number, "x")
    assert forge.sleeps == [60.0]


def test_a_plain_403_is_a_refusal_not_retried(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    github_double.fail_next("PATCH", ISSUE, status=403, message="Resource not accessible by integration")
    forge = github_double.forge()
    with pytest.raises(ForgeError, match=r"PATCH issue #1 \(close\) failed: 403 Resource not accessible by integration"):
        forge.close_issue(number)
    assert forge.sleeps == [] and github_double.issue(number)["state"] == "open"


def test_502_is_retried_with_exponential_backoff(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    github_double.fail_next("POST", COMMENTS, status=502, times=3)
    forge = github_double.forge()
    forge.create_issue_comment(number, "made it")
    assert forge.sleeps == [1.0, 2.0, 4.0]
    assert [c["body"] for c in github_double.issue_comments(number)] == ["made it"]


def test_502_forever_is_a_clear_error_and_nothing_is_written(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    forge = github_double.forge(max_backoff=3)
    upsert_issue_comment(forge, number, "summary", "first")
    github_double.fail_next("PATCH", "issues/update-comment", status=502, times=100)
    with pytest.raises(ForgeError) as caught:
        upsert_issue_comment(forge, number, "summary", "second")
    message = str(caught.value)
    assert message.startswith("GitHub PATCH comment") and "after 5 attempts: 502 Bad Gateway" in message
    assert "\n" not in message
    assert forge.sleeps == [1.0, 2.0, 3.0, 3.0]  # capped at max_backoff
    bodies = [c["body"] for c in github_double.issue_comments(number)]
    assert bodies == [f"{marker('summary')}\nfirst"]  # the old comment, intact; no second comment


def test_a_lost_answer_to_a_create_does_not_duplicate_the_comment(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    github_double.fail_next("POST", COMMENTS, status=502, after=True)  # written, but the answer is lost
    forge = github_double.forge()
    comment, outcome = upsert_issue_comment(forge, number, "summary", "body")
    assert outcome == "created" and comment.body == f"{marker('summary')}\nbody"
    assert [c["id"] for c in github_double.issue_comments(number)] == [comment.id]
    assert github_double.count("issues/create-comment") == 1  # checked, not re-sent
    assert upsert_issue_comment(forge, number, "summary", "body")[1] == "unchanged"


def test_a_lost_answer_to_a_release_create_does_not_duplicate_it(github_double: GitHubDouble) -> None:
    github_double.fail_next("POST", "repos/create-release", status=504, after=True)
    forge = github_double.forge()
    release, outcome = upsert_release(forge, tag="v3.0.0", name="3.0.0", body="notes", draft=True)
    assert outcome == "created" and (release.tag, release.draft) == ("v3.0.0", True)
    assert len(github_double.releases) == 1 and github_double.count("repos/create-release") == 1


def test_a_lost_answer_to_a_marked_review_does_not_duplicate_it(github_double: GitHubDouble) -> None:
    number = github_double.add_pull("PR", head_sha="1" * 40)
    github_double.fail_next("POST", "pulls/create-review", status=502, after=True)
    forge = github_double.forge()
    body = f"{marker('review')}\nLooks good"
    review = forge.create_review(number, commit_sha="1" * 40, body=body, event="COMMENT")
    assert review.body == body and len(github_double.pull_reviews(number)) == 1


def test_unmarked_creates_are_simply_retried(github_double: GitHubDouble) -> None:
    """Without a marker there is no way to tell our comment from an identical one: the create is re-sent."""
    number = github_double.add_issue("t")
    github_double.fail_next("POST", COMMENTS, status=500)
    forge = github_double.forge()
    forge.create_issue_comment(number, "plain")
    assert github_double.count("issues/create-comment") == 2 and len(github_double.issue_comments(number)) == 1


def test_failures_while_paging_restart_the_listing(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    for i in range(5):
        github_double.add_comment(number, f"c{i}")
    forge = github_double.forge(per_page=2)
    github_double.fail_next("GET", COMMENTS, status=503, times=1)
    assert [c.body for c in forge.list_issue_comments(number)] == [f"c{i}" for i in range(5)]
    assert forge.sleeps == [1.0]


def test_404_is_not_found_and_never_retried(github_double: GitHubDouble) -> None:
    github_double.add_issue("t")
    github_double.fail_next("GET", ISSUE, status=404)
    forge = github_double.forge()
    with pytest.raises(NotFoundError, match=r"GitHub GET issue #1: not found \(404 Not Found\) in octo-org/octo-repo"):
        forge.get_issue(1)
    assert forge.sleeps == []


def test_bad_token_is_named_but_never_shown(github_double: GitHubDouble) -> None:
    secret = "ghs_wrongtoken1234567890"  # pragma: allowlist secret # nosemgrep
    forge = GitHubForge(github_double.repository, token=secret, base_url=github_double.url, sleep=lambda s: None)  # nosemgrep
    with pytest.raises(ForgeError) as caught:
        forge.get_issue(1)
    assert "bad credentials (401)" in str(caught.value) and "GITHUB_TOKEN" in str(caught.value)
    assert secret not in str(caught.value) and secret not in repr(forge)


def test_unreachable_api_is_retried_then_named(github_double: GitHubDouble) -> None:
    waits: list[float] = []
    url = github_double.url
    github_double.stop()  # nothing listens on that port any more
    forge = GitHubForge("octo-org/octo-repo", token="t", base_url=url, sleep=waits.append, retries=2, timeout=2)
    with pytest.raises(ForgeError, match=r"GET issue #1 failed after 3 attempts: ConnectionError talking to http://127"):
        forge.get_issue(1)
    assert waits == [1.0, 2.0]


def test_a_503_with_retry_after_waits_at_least_that_long(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    github_double.fail_next("GET", ISSUE, status=503, headers={"Retry-After": "9"})
    forge = github_double.forge()
    forge.get_issue(number)
    assert forge.sleeps == [9.0]


def test_an_html_error_page_gives_a_readable_one_line_error(github_double: GitHubDouble) -> None:
    number = github_double.add_issue("t")
    page = b"<!DOCTYPE html>\n<html><head><title>Unicorn!</title></head>\n<body>No server is available</body></html>"
    github_double.fail_next("GET", ISSUE, status=502, body=page, times=10)
    forge = github_double.forge(retries=1)
    with pytest.raises(ForgeError) as caught:
        forge.get_issue(number)
    assert str(caught.value) == (
        "GitHub GET issue #1 failed after 2 attempts: 502 the answer was an HTML page, "
        "not JSON (a proxy or GitHub's front end failed)"
    )


def test_a_refused_create_is_resent_without_looking_for_it(github_double: GitHubDouble) -> None:
    """A 429 means GitHub did nothing: no need to list comments before trying again."""
    number = github_double.add_issue("t")
    github_double.fail_next("POST", COMMENTS, status=429, headers={"Retry-After": "1"})
    forge = github_double.forge()
    upsert_issue_comment(forge, number, "summary", "x")
    assert github_double.count("issues/list-comments") == 1  # the upsert's own lookup only
    assert github_double.count("issues/create-comment") == 2


def test_the_docs_example_holds(github_double: GitHubDouble) -> None:
    """docs/forge.md, "Testing against GitHub": keep the example true."""
    from leadforge.forge.models import ChangedFile

    number = github_double.add_pull("PR", files=[ChangedFile("a.py", "modified", 1, 0, "@@ -0,0 +1 @@\n+x")])
    forge = github_double.forge()
    github_double.fail_next("POST", "issues/create-comment", status=502)
    upsert_issue_comment(forge, number, "summary", "hello")
    assert github_double.count("issues/create-comment") == 2 and forge.sleeps == [1.0]
