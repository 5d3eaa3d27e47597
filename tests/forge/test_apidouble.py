"""The GitHub API double itself: it refuses what GitHub's OpenAPI description refuses, and says so loudly."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.apidouble import GitHubDouble
from tests.apidouble.server import _diff_lines


@pytest.fixture
def double() -> Iterator[GitHubDouble]:
    """A double whose violations the test inspects itself (the shared fixture would fail the test)."""
    with GitHubDouble() as started:
        yield started


def call(
    double: GitHubDouble,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: bool = True,
    base: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request((base or double.url) + path, data=data, method=method)
    if token:
        request.add_header("Authorization", f"token {double.token}")
    if body is not None and not isinstance(body, bytes):
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, dict(response.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, dict(err.headers), json.loads(raw) if raw else None


REPO = "/repos/octo-org/octo-repo"


def test_a_valid_request_gets_a_validated_answer(double: GitHubDouble) -> None:
    status, _, body = call(double, "POST", f"{REPO}/issues", {"title": "hello", "labels": ["bug"]})
    assert status == 201 and body["number"] == 1 and body["labels"][0]["name"] == "bug"
    assert double.violations == [] and double.count("issues/create") == 1
    assert double.count("POST /repos/{owner}/{repo}/issues") == 1


def test_a_body_that_breaks_the_schema_is_refused_and_recorded(double: GitHubDouble) -> None:
    status, _, body = call(double, "POST", f"{REPO}/issues", {"body": "no title"})
    assert status == 422 and "'title' is a required property" in body["message"]
    status, _, body = call(double, "POST", f"{REPO}/statuses/{'a' * 40}", {"state": "green"})
    assert status == 422 and "'green' is not one of" in body["message"]
    assert len(double.violations) == 2
    with pytest.raises(AssertionError, match="OpenAPI violations"):
        double.assert_clean()
    assert double.count("issues/create") == 0  # refused before reaching the state


def test_schema_limits_are_enforced(double: GitHubDouble) -> None:
    annotations = [{"path": "a", "start_line": 1, "end_line": 1, "annotation_level": "warning", "message": "m"}] * 51
    status, _, body = call(
        double,
        "POST",
        f"{REPO}/check-runs",
        {
            "name": "n",
            "head_sha": "a" * 40,
            "status": "completed",
            "conclusion": "success",
            "output": {"title": "t", "summary": "s", "annotations": annotations},
        },
    )
    assert status == 422 and "request body at output/annotations: breaks maxItems=50" in body["message"]


def test_unknown_paths_methods_and_query_parameters_are_violations(double: GitHubDouble) -> None:
    assert call(double, "GET", f"{REPO}/no-such-thing")[0] == 404
    assert call(double, "DELETE", f"{REPO}/issues/1")[0] == 405
    assert call(double, "GET", f"{REPO}/issues?colour=red")[0] == 422
    assert call(double, "GET", f"{REPO}/issues?state=sideways")[0] == 422
    assert call(double, "GET", f"{REPO}/issues/one")[0] == 404  # issue_number must be an integer
    assert call(double, "GET", "/repos/octo-org/octo-repo/issues", base=double.origin)[0] == 404  # outside /api/v3
    assert len(double.violations) == 6


def test_the_token_is_required_and_the_repository_must_match(double: GitHubDouble) -> None:
    status, _, body = call(double, "GET", f"{REPO}/issues", token=False)
    assert (status, body["message"]) == (401, "Bad credentials")
    assert call(double, "GET", "/repos/someone/else/issues")[0] == 404
    assert double.violations == []  # answers GitHub gives, not protocol errors


def test_a_response_that_breaks_the_schema_is_a_500_and_a_violation(
    double: GitHubDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    double.add_issue("t")
    original = double._issue_json
    monkeypatch.setattr(double, "_issue_json", lambda rec: {k: v for k, v in original(rec).items() if k != "title"})
    status, _, body = call(double, "GET", f"{REPO}/issues/1")
    assert status == 500 and "apidouble bug" in body["message"] and "'title' is a required property" in body["message"]
    assert len(double.violations) == 1


def test_operations_without_a_handler_fail_loudly(double: GitHubDouble) -> None:
    status, _, body = call(double, "GET", f"{REPO}/git/ref/heads/main")
    assert status == 501 and "not implemented by the double" in body["message"]
    assert double.violations


def test_uploads_only_on_the_uploads_url(double: GitHubDouble) -> None:
    release = double.add_release("v1")
    status, _, _ = call(
        double, "POST", f"{REPO}/releases/{release}/assets?name=a.txt", b"hi", headers={"Content-Type": "text/plain"}
    )
    assert status == 404 and "uploads URL" in double.violations[0]
    status, _, body = call(
        double,
        "POST",
        f"{REPO}/releases/{release}/assets?name=a.txt",
        b"hi",
        base=double.origin + double.upload_prefix,
        headers={"Content-Type": "text/plain"},
    )
    assert status == 201 and (body["name"], body["size"], body["state"]) == ("a.txt", 2, "uploaded")


def test_list_endpoints_paginate_with_link_headers(double: GitHubDouble) -> None:
    number = double.add_issue("t")
    for i in range(5):
        double.add_comment(number, f"c{i}")
    status, headers, body = call(double, "GET", f"{REPO}/issues/{number}/comments?per_page=2")
    assert status == 200 and [c["body"] for c in body] == ["c0", "c1"]
    assert 'page=2>; rel="next"' in headers["Link"] and 'page=3>; rel="last"' in headers["Link"]
    assert headers["Link"].startswith(f"<{double.url}{REPO}/issues/{number}/comments?")
    _, headers, body = call(double, "GET", f"{REPO}/issues/{number}/comments?per_page=2&page=3")
    assert [c["body"] for c in body] == ["c4"] and 'rel="next"' not in headers["Link"] and 'rel="prev"' in headers["Link"]


def test_fail_next_counts_down_and_can_fail_after_applying(double: GitHubDouble) -> None:
    number = double.add_issue("t")
    double.fail_next("GET", "/repos/{owner}/{repo}/issues/{issue_number}", status=429, headers={"Retry-After": "3"}, times=2)
    first, second, third = (call(double, "GET", f"{REPO}/issues/{number}") for _ in range(3))
    assert (first[0], first[1]["Retry-After"], second[0], third[0]) == (429, "3", 429, 200)
    double.fail_next("POST", "issues/create-comment", status=502, after=True)
    assert call(double, "POST", f"{REPO}/issues/{number}/comments", {"body": "x"})[0] == 502
    assert [c["body"] for c in double.issue_comments(number)] == ["x"]  # applied, answer lost
    with pytest.raises(KeyError, match="no operation"):
        double.fail_next("GET", "/repos/{owner}/{repo}/nothing")
    assert double.violations == []


def test_github_behaviours_worth_reproducing(double: GitHubDouble) -> None:
    draft = double.add_release("v1", draft=True)
    assert call(double, "GET", f"{REPO}/releases/tags/v1")[0] == 404  # drafts are invisible by tag
    assert call(double, "GET", f"{REPO}/releases/{draft}")[0] == 200
    status, _, body = call(double, "POST", f"{REPO}/releases", {"tag_name": "v1"})
    assert status == 422 and body["errors"][0]["code"] == "already_exists"
    pull = double.add_pull("p", files=[{"path": "a.py", "patch": "@@ -1 +1,2 @@\n a\n+b", "additions": 1}])
    status, _, body = call(double, "POST", f"{REPO}/pulls/{pull}/reviews", {"event": "COMMENT"})
    assert status == 422 and "body is required" in json.dumps(body)
    status, _, body = call(
        double,
        "POST",
        f"{REPO}/pulls/{pull}/reviews",
        {"event": "APPROVE", "comments": [{"path": "a.py", "line": 2, "body": "ok"}]},
    )
    assert status == 200 and body["state"] == "APPROVED"
    review = body["id"]
    comment = {"event": "COMMENT", "body": "c"}
    commented = call(double, "POST", f"{REPO}/pulls/{pull}/reviews", comment)[2]["id"]
    status, _, body = call(double, "PUT", f"{REPO}/pulls/{pull}/reviews/{commented}/dismissals", {"message": "m"})
    assert status == 422 and "commented" in body["message"]
    assert call(double, "PUT", f"{REPO}/pulls/{pull}/reviews/{review}/dismissals", {"message": "m"})[2]["state"] == "DISMISSED"
    assert double.violations == []


def test_diff_lines_follow_the_hunks() -> None:
    patch = "@@ -10,4 +10,5 @@ def f():\n ctx\n-old\n+new\n+added\n ctx2\n\\ No newline at end of file"
    right, _ = _diff_lines(patch, "RIGHT")
    left, _ = _diff_lines(patch, "LEFT")
    assert right == {10, 11, 12, 13} and left == {10, 11, 12}


def test_env_points_a_process_at_the_double(double: GitHubDouble) -> None:
    env = double.env()
    assert env == {
        "GITHUB_API_URL": f"{double.origin}/api/v3",
        "GITHUB_SERVER_URL": double.origin,
        "GITHUB_TOKEN": double.token,
        "GITHUB_REPOSITORY": "octo-org/octo-repo",
        "LEADFORGE_GITHUB_WRITE_INTERVAL": "0",
    }


SHARED_HOOKS = Path(__file__).resolve().parents[3] / "shared" / "github" / "webhooks"


def test_seed_event_makes_the_pull_request_a_payload_is_about() -> None:
    payload = {
        "repository": {"full_name": "Codertocat/Hello-World"},
        "pull_request": {
            "number": 7,
            "title": "Update README",
            "body": None,
            "state": "open",
            "draft": False,
            "user": {"login": "Codertocat"},
            "labels": [{"name": "docs"}],
            "head": {"ref": "changes", "sha": "e" * 40, "repo": {"full_name": "Codertocat/Hello-World"}},
            "base": {"ref": "master", "sha": "f" * 40},
        },
    }
    with GitHubDouble("Codertocat/Hello-World") as double:
        assert double.seed_event(payload, files=[{"path": "README.md", "patch": "@@ -1 +1 @@\n-a\n+b"}]) == 7
        pull = double.forge().get_pull(7)
        assert (pull.head_ref, pull.base_sha, pull.author, pull.labels) == ("changes", "f" * 40, "Codertocat", ("docs",))
        assert double.add_issue("next") == 8  # numbering continues after the seeded number
        with pytest.raises(ValueError, match="already exists"):
            double.add_issue("clash", number=7)
        double.assert_clean()
    with GitHubDouble() as other, pytest.raises(ValueError, match="create GitHubDouble"):
        other.seed_event(payload)


@pytest.mark.skipif(not SHARED_HOOKS.is_dir(), reason="../shared/github/webhooks is not present")
def test_seed_event_accepts_real_payloads(make_github_double) -> None:
    for name in ("issues/opened.json", "issue_comment/created.json", "pull_request/opened.json"):
        payload = json.loads((SHARED_HOOKS / name).read_text(encoding="utf-8"))
        double = make_github_double(payload["repository"]["full_name"])
        number = double.seed_event(payload)
        forge = double.forge()
        subject = payload.get("pull_request") or payload["issue"]
        assert forge.get_issue(number).title == subject["title"]


def test_concurrent_clients_get_distinct_objects(double: GitHubDouble) -> None:
    from concurrent.futures import ThreadPoolExecutor

    number = double.add_issue("busy")
    forge = double.forge()
    with ThreadPoolExecutor(max_workers=6) as pool:
        created = list(pool.map(lambda i: forge.create_issue_comment(number, f"c{i}").id, range(12)))
    assert len(set(created)) == 12 and len(double.issue_comments(number)) == 12
    assert double.violations == []


def test_ids_are_stable_across_processes(double: GitHubDouble) -> None:
    import os
    import subprocess
    import sys

    number = double.add_issue("t", author="alice")
    served = call(double, "GET", f"{REPO}/issues/{number}")[2]["user"]["id"]
    probe = "from tests.apidouble.server import _stable_id; print(_stable_id('alice'))"
    root = Path(__file__).resolve().parents[2]
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root, env=env, check=True)
        assert int(out.stdout) == served
