"""The production forge: GitHub's REST API through PyGithub (the only module that imports ``github``).

``GitHubForge`` implements ``leadforge.forge.base.Forge``. What it adds on top of PyGithub:

* **Retries.** 5xx answers and dropped connections are retried with exponential backoff
  (``backoff * 2**attempt``, capped at ``max_backoff``) up to ``retries`` times. 403/429 answers
  that are rate limits wait as GitHub asks: ``Retry-After`` seconds, or until ``x-ratelimit-reset``
  when ``x-ratelimit-remaining`` is 0, or a minute for a secondary limit. A wait longer than
  ``max_rate_limit_wait`` is not slept: the call fails at once naming the reset time. PyGithub's
  own urllib3 retry is switched off so there is exactly one retry policy; waits go through the
  injectable ``sleep`` (tests record them instead of sleeping).
* **No duplicates on lost answers.** When a create fails with a 5xx the request may still have been
  applied; before re-sending, creates that LeadForge later looks up (a marked comment, a release
  for a tag, a marked review) check whether the object exists and return it if so.
* **Plain records.** Everything is converted to the frozen dataclasses of ``forge.models``; no
  PyGithub object leaves this module. Lists are paginated to the end (``per_page`` 100).
* **Errors.** 404 becomes ``NotFoundError``; every other failure a ``ForgeError`` whose one-line
  message names the operation and GitHub's reason (never the token).

PyGithub runs in lazy mode: ``repo.get_issue(n)`` makes no request until data is needed, so each
protocol call costs the requests the operation needs and no more (the API double counts them).
Where PyGithub has no method for a call, or sends a body GitHub documents differently, the module
uses PyGithub's public ``Github.requester`` (its documented escape hatch).
"""

from __future__ import annotations

import email.utils
import functools
import mimetypes
import os
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from leadforge.errors import ForgeError, NotFoundError
from leadforge.forge.base import check_review_event, check_status_state, markers_in
from leadforge.forge.models import (
    Asset,
    ChangedFile,
    CheckAnnotation,
    CheckRun,
    Comment,
    CommitStatus,
    Issue,
    NewReviewComment,
    PullRequest,
    Release,
    Review,
    ReviewComment,
)

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"
ANNOTATIONS_PER_REQUEST = 50  # GitHub's limit per check-run create/update
SECONDARY_RATE_WAIT = 60.0  # GitHub: wait at least a minute after a secondary rate limit
ROLES = ("admin", "maintain", "write", "triage", "read", "none")
WRITE_INTERVAL_ENV = "LEADFORGE_GITHUB_WRITE_INTERVAL"  # seconds between writes; default 1.0


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        raise ForgeError(f"{name} must be a number of seconds, got {value!r}") from None


class GitHubForge:
    """``Forge`` on GitHub (or GitHub Enterprise: pass its ``https://HOST/api/v3`` as ``base_url``)."""

    def __init__(
        self,
        repository: str,
        *,
        token: str,
        base_url: str | None = None,
        retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_rate_limit_wait: float = 300.0,
        timeout: float = 30.0,
        per_page: int = 100,
        seconds_between_writes: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not repository or repository.count("/") != 1:
            raise ForgeError(f"GitHub repository must be owner/name, got {repository!r}")
        if not token:
            raise ForgeError("GitHub token is empty: set GITHUB_TOKEN (or use --forge local)")
        import github  # lazy: only runs when the github forge is chosen

        self.repository = repository
        # Who our comments are written by: the Actions token's app bot unless a PAT's login is given.
        self.login = os.environ.get("LEADFORGE_BOT_LOGIN", "github-actions[bot]")
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_rate_limit_wait = max_rate_limit_wait
        if seconds_between_writes is None:
            # GitHub's advice against secondary rate limits: a second between writes. A server on
            # loopback is a test double (or a local tool), not GitHub: no pause there by default.
            host = urllib.parse.urlsplit(self.base_url).hostname or ""
            loopback = host in ("localhost", "::1") or host.startswith("127.")
            seconds_between_writes = _env_float(WRITE_INTERVAL_ENV, 0.0 if loopback else 1.0)
        self.seconds_between_writes = seconds_between_writes
        self._sleep = sleep
        self._clock = clock
        self._errors = (github.GithubException,)
        self._gh = github.Github(
            auth=github.Auth.Token(token),
            base_url=self.base_url,
            timeout=int(timeout),
            per_page=per_page,
            retry=None,  # one retry policy: ours (see _call)
            seconds_between_requests=None,
            seconds_between_writes=seconds_between_writes or None,
            user_agent="leadforge",
            lazy=True,
        )
        self._repo = self._gh.get_repo(repository)  # lazy: no request

    # ---- plumbing ----------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], T], *, recover: Callable[[], T | None] | None = None) -> T:
        """Run ``fn`` (one API operation) with the retry policy; ``what`` names it in errors."""
        import requests

        attempt = 0
        while True:
            maybe_applied = False  # a 5xx or a dropped connection: GitHub may have done it anyway
            try:
                return fn()
            except self._errors as err:
                status = int(getattr(err, "status", 0) or 0)
                headers = {str(k).lower(): str(v) for k, v in (getattr(err, "headers", None) or {}).items()}
                reason = _reason(getattr(err, "data", None)) or type(err).__name__
                if status == 404:
                    raise NotFoundError(f"GitHub {what}: not found (404 {reason}) in {self.repository}") from None
                wait = self._rate_limit_wait(status, headers, reason, attempt)
                if wait is not None:
                    if wait > self.max_rate_limit_wait:
                        at = datetime.fromtimestamp(self._clock() + wait, UTC).strftime("%H:%M:%S UTC")
                        raise ForgeError(
                            f"GitHub {what}: rate limited ({status} {reason}) until {at}; "
                            f"not waiting {wait:.0f}s (max {self.max_rate_limit_wait:.0f}s)"
                        ) from None
                    if attempt >= self.retries:
                        raise ForgeError(
                            f"GitHub {what}: still rate limited after {attempt + 1} attempts ({status} {reason})"
                        ) from None
                elif status >= 500 and attempt < self.retries:
                    maybe_applied = True
                    wait = max(self._backoff(attempt), min(self._retry_after(headers) or 0.0, self.max_rate_limit_wait))
                elif status == 401:
                    raise ForgeError(f"GitHub {what}: bad credentials (401): check GITHUB_TOKEN") from None
                else:
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    raise ForgeError(f"GitHub {what} failed{tries}: {status} {reason}") from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as err:
                if attempt >= self.retries:
                    raise ForgeError(
                        f"GitHub {what} failed after {attempt + 1} attempts: {type(err).__name__} talking to {self.base_url}"
                    ) from None
                wait = self._backoff(attempt)
                maybe_applied = True
            attempt += 1
            self._sleep(wait)
            if recover is not None and maybe_applied:
                found = self._call(f"{what} (checking whether it was applied)", recover)
                if found is not None:
                    return found

    def _backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * 2**attempt))

    def _rate_limit_wait(self, status: int, headers: Mapping[str, str], reason: str, attempt: int) -> float | None:
        """Seconds GitHub asks us to wait, or None when the answer is not a rate limit."""
        if status not in (403, 429):
            return None
        retry_after = self._retry_after(headers)
        if retry_after is not None:
            return retry_after
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
            return max(0.0, int(headers["x-ratelimit-reset"]) - self._clock()) + 1.0
        if "secondary rate limit" in reason.lower() or "abuse" in reason.lower():
            return SECONDARY_RATE_WAIT * 2.0**attempt
        if status == 429:
            return self._backoff(attempt)
        return None  # a plain 403: permission denied, not retried

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """``Retry-After`` in seconds (it may be a number or an HTTP date), None when absent or unreadable."""
        value = headers.get("retry-after", "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - self._clock())
        except (TypeError, ValueError):
            return None

    def _request(self, verb: str, path: str, body: Any = None) -> Any:
        """A REST call PyGithub has no fitting method for; ``path`` is relative to the repository."""
        _, data = self._gh.requester.requestJsonAndCheck(verb, f"{self._repo.url}/{path}", input=body)
        return data

    def _paginated(self, kind: str, path: str) -> Iterable[Any]:
        """PyGithub's paginated list of ``github.<kind>.<kind>`` for a repository path it has no method for."""
        import importlib

        from github.PaginatedList import PaginatedList

        cls = getattr(importlib.import_module(f"github.{kind}"), kind)
        return PaginatedList(cls, self._gh.requester, f"{self._repo.url}/{path}", None)

    def _all(self, make: Callable[[], Iterable[Any]]) -> list[dict[str, Any]]:
        """Every item of a paginated list, as raw JSON dicts (retried from page 1 on failure)."""
        return [_raw(item) for item in make()]

    # ---- issues ------------------------------------------------------------------------------
    def get_issue(self, number: int) -> Issue:
        return _issue(self._call(f"GET issue #{number}", lambda: _raw(self._repo.get_issue(number).complete())))

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> Issue:
        data = self._call("POST issue", lambda: _raw(self._repo.create_issue(title=title, body=body, labels=list(labels))))
        return _issue(data)

    def update_issue(self, number: int, *, title: str | None = None, body: str | None = None) -> Issue:
        changes = {k: v for k, v in (("title", title), ("body", body)) if v is not None}
        return _issue(self._call(f"PATCH issue #{number}", lambda: self._request("PATCH", f"issues/{number}", changes)))

    def list_issues(self, *, state: str = "open", labels: Sequence[str] = ()) -> list[Issue]:
        def fetch() -> list[dict[str, Any]]:
            if labels:
                return self._all(lambda: self._repo.get_issues(state=state, labels=list(labels), direction="asc"))
            return self._all(lambda: self._repo.get_issues(state=state, direction="asc"))

        found = [_issue(d) for d in self._call("GET issues", fetch) if "pull_request" not in d]
        return sorted(found, key=lambda i: i.number)

    def close_issue(self, number: int, reason: str = "completed") -> None:
        body = {"state": "closed", "state_reason": reason}
        self._call(f"PATCH issue #{number} (close)", lambda: self._request("PATCH", f"issues/{number}", body))

    def list_issue_comments(self, number: int) -> list[Comment]:
        data = self._call(f"GET comments of #{number}", lambda: self._all(lambda: self._repo.get_issue(number).get_comments()))
        return [_comment(d) for d in data]

    def create_issue_comment(self, number: int, body: str) -> Comment:
        def recover() -> dict[str, Any] | None:  # a marked comment that did get written
            if not markers_in(body):
                return None
            return next(
                (d for d in self._all(lambda: self._repo.get_issue(number).get_comments()) if d.get("body") == body), None
            )

        data = self._call(
            f"POST comment on #{number}", lambda: _raw(self._repo.get_issue(number).create_comment(body)), recover=recover
        )
        return _comment(data)

    def update_issue_comment(self, comment_id: int, body: str) -> Comment:
        data = self._call(
            f"PATCH comment {comment_id}", lambda: self._request("PATCH", f"issues/comments/{comment_id}", {"body": body})
        )
        return _comment(data)

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        if labels:
            body = {"labels": list(labels)}  # the object form GitHub recommends (PyGithub sends a bare list)
            self._call(f"POST labels on #{number}", lambda: self._request("POST", f"issues/{number}/labels", body))

    def remove_label(self, number: int, label: str) -> None:
        path = f"issues/{number}/labels/{urllib.parse.quote(label, safe='')}"
        try:
            self._call(f"DELETE label {label!r} from #{number}", lambda: self._request("DELETE", path))
        except NotFoundError as err:
            if "Label does not exist" not in str(err):
                raise  # the issue itself is missing

    def add_assignees(self, number: int, assignees: Sequence[str]) -> None:
        if assignees:
            self._call(f"POST assignees on #{number}", lambda: self._repo.get_issue(number).add_to_assignees(*assignees))

    # ---- pull requests -----------------------------------------------------------------------
    def get_pull(self, number: int) -> PullRequest:
        return _pull(self._call(f"GET pull request #{number}", lambda: _raw(self._repo.get_pull(number).complete())))

    def list_pulls(self, *, state: str = "open", head: str | None = None, base: str | None = None) -> list[PullRequest]:
        options: dict[str, Any] = {"state": state}
        if head:
            options["head"] = head if ":" in head else f"{self.repository.split('/')[0]}:{head}"
        if base:
            options["base"] = base
        data = self._call("GET pull requests", lambda: self._all(lambda: self._repo.get_pulls(**options)))
        return sorted((_pull(d) for d in data), key=lambda p: p.number)

    def create_pull(self, *, title: str, body: str, head: str, base: str, draft: bool = False) -> PullRequest:
        data = self._call(
            f"POST pull request {head} -> {base}",
            lambda: _raw(self._repo.create_pull(base=base, head=head, title=title, body=body, draft=draft)),
        )
        return _pull(data)

    def list_pull_files(self, number: int) -> list[ChangedFile]:
        data = self._call(
            f"GET files of pull request #{number}", lambda: self._all(lambda: self._repo.get_pull(number).get_files())
        )
        return [_changed_file(d) for d in data]

    def list_pull_commits(self, number: int) -> list[str]:
        data = self._call(
            f"GET commits of pull request #{number}", lambda: self._all(lambda: self._repo.get_pull(number).get_commits())
        )
        return [d["sha"] for d in data]

    def list_reviews(self, number: int) -> list[Review]:
        data = self._call(
            f"GET reviews of pull request #{number}", lambda: self._all(lambda: self._repo.get_pull(number).get_reviews())
        )
        return [_review(d) for d in data]

    def create_review(
        self, number: int, *, commit_sha: str, body: str, event: str, comments: Sequence[NewReviewComment] = ()
    ) -> Review:
        check_review_event(event)
        payload = [_new_comment(c) for c in comments]

        def create() -> dict[str, Any]:
            pull = self._repo.get_pull(number)
            options: dict[str, Any] = {"body": body, "event": event, "comments": payload}
            if commit_sha:
                options["commit"] = self._repo.get_commit(commit_sha)  # lazy: only its sha is sent
            return _raw(pull.create_review(**options))

        def recover() -> dict[str, Any] | None:
            if not markers_in(body):
                return None
            reviews = self._all(lambda: self._repo.get_pull(number).get_reviews())
            return next(
                (d for d in reviews if d.get("body") == body and (not commit_sha or d.get("commit_id") == commit_sha)), None
            )

        return _review(self._call(f"POST review on pull request #{number}", create, recover=recover))

    def update_review(self, number: int, review_id: int, body: str) -> Review:
        data = self._call(
            f"PUT review {review_id} on #{number}",
            lambda: self._request("PUT", f"pulls/{number}/reviews/{review_id}", {"body": body}),
        )
        return _review(data)

    def dismiss_review(self, number: int, review_id: int, message: str) -> None:
        self._call(
            f"PUT dismissal of review {review_id} on #{number}",
            lambda: self._request(
                "PUT", f"pulls/{number}/reviews/{review_id}/dismissals", {"message": message, "event": "DISMISS"}
            ),
        )

    def list_review_comments(self, number: int) -> list[ReviewComment]:
        data = self._call(
            f"GET review comments of #{number}", lambda: self._all(lambda: self._repo.get_pull(number).get_review_comments())
        )
        return [_review_comment(d) for d in data]

    def create_review_comment(self, number: int, *, commit_sha: str, comment: NewReviewComment) -> ReviewComment:
        options: dict[str, Any] = {"line": comment.line, "side": comment.side}
        if comment.start_line is not None:
            options.update(start_line=comment.start_line, start_side=comment.start_side or comment.side)
        data = self._call(
            f"POST review comment on #{number} ({comment.path}:{comment.line})",
            lambda: _raw(self._repo.get_pull(number).create_review_comment(comment.body, commit_sha, comment.path, **options)),
        )
        return _review_comment(data)

    def update_review_comment(self, comment_id: int, body: str) -> ReviewComment:
        data = self._call(
            f"PATCH review comment {comment_id}", lambda: self._request("PATCH", f"pulls/comments/{comment_id}", {"body": body})
        )
        return _review_comment(data)

    def delete_review_comment(self, comment_id: int) -> None:
        self._call(f"DELETE review comment {comment_id}", lambda: self._request("DELETE", f"pulls/comments/{comment_id}"))

    # ---- commits: statuses and checks --------------------------------------------------------
    def create_status(self, sha: str, status: CommitStatus) -> None:
        check_status_state(status.state)
        options: dict[str, Any] = {"context": status.context}
        if status.description:
            options["description"] = status.description[:140]  # GitHub's limit
        if status.target_url:
            options["target_url"] = status.target_url
        self._call(
            f"POST status {status.context!r} on {sha[:12]}",
            lambda: self._repo.get_commit(sha).create_status(status.state, **options),
        )

    def list_statuses(self, sha: str) -> list[CommitStatus]:
        # Commit.get_statuses uses the undocumented GET /statuses/{sha}: page the documented endpoint instead
        data = self._call(
            f"GET statuses of {sha[:12]}", lambda: self._all(lambda: self._paginated("CommitStatus", f"commits/{sha}/statuses"))
        )
        latest: dict[str, CommitStatus] = {}
        for d in data:  # newest first: keep each context's latest, oldest update first like LocalForge
            latest.setdefault(
                d["context"],
                CommitStatus(
                    context=d["context"],
                    state=d["state"],
                    description=d.get("description") or "",
                    target_url=d.get("target_url") or "",
                ),
            )
        return list(reversed(latest.values()))

    def create_check_run(
        self,
        *,
        name: str,
        head_sha: str,
        status: str = "completed",
        conclusion: str | None = None,
        title: str = "",
        summary: str = "",
        annotations: Sequence[CheckAnnotation] = (),
    ) -> CheckRun:
        notes = [_annotation(a) for a in annotations]
        batches = [notes[i : i + ANNOTATIONS_PER_REQUEST] for i in range(0, len(notes), ANNOTATIONS_PER_REQUEST)] or [[]]
        output = {"title": title or name, "summary": summary or title or name}
        options: dict[str, Any] = {"status": status}
        if title or summary or notes:  # GitHub wants title and summary whenever output is sent
            options["output"] = {**output, "annotations": batches[0]}
        if conclusion is not None:
            options["conclusion"] = conclusion
        run = self._call(
            f"POST check run {name!r} on {head_sha[:12]}",
            lambda: self._repo.create_check_run(name=name, head_sha=head_sha, **options),
        )
        data = _raw(run)
        run_id = data["id"]
        for batch in batches[1:]:  # GitHub takes 50 annotations per request: the rest go in updates
            body = {"output": {**output, "annotations": batch}}
            data = self._call(
                f"PATCH check run {run_id} (annotations)", functools.partial(self._request, "PATCH", f"check-runs/{run_id}", body)
            )
        return _check_run(data)

    def list_check_runs(self, sha: str) -> list[CheckRun]:
        data = self._call(f"GET check runs of {sha[:12]}", lambda: self._all(lambda: self._repo.get_commit(sha).get_check_runs()))
        return sorted((_check_run(d) for d in data), key=lambda r: r.id)

    # ---- releases ----------------------------------------------------------------------------
    def get_release_by_tag(self, tag: str) -> Release | None:
        found = self._find_release(tag)
        return _release(found) if found is not None else None

    def _find_release(self, tag: str) -> dict[str, Any] | None:
        try:
            return self._call(f"GET release {tag}", lambda: _raw(self._repo.get_release(tag)))
        except NotFoundError:
            pass
        # GitHub does not find draft releases by tag: look through the list (drafts come first)
        data = self._call("GET releases", lambda: self._all(lambda: self._repo.get_releases()))
        return next((d for d in data if d.get("tag_name") == tag), None)

    def create_release(
        self, *, tag: str, name: str, body: str, draft: bool = False, prerelease: bool = False, target: str = ""
    ) -> Release:
        options: dict[str, Any] = {"draft": draft, "prerelease": prerelease}
        if target:
            options["target_commitish"] = target
        data = self._call(
            f"POST release {tag}",
            lambda: _raw(self._repo.create_git_release(tag, name, body, **options)),
            recover=lambda: self._find_release(tag),
        )
        return _release(data)

    def update_release(
        self,
        release_id: int,
        *,
        name: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        prerelease: bool | None = None,
    ) -> Release:
        changes = {
            k: v for k, v in (("name", name), ("body", body), ("draft", draft), ("prerelease", prerelease)) if v is not None
        }
        data = self._call(f"PATCH release {release_id}", lambda: self._request("PATCH", f"releases/{release_id}", changes))
        return _release(data)

    def upload_asset(self, release_id: int, path: Path, *, name: str | None = None, content_type: str | None = None) -> Asset:
        path = Path(path)
        if not path.is_file():
            raise ForgeError(f"{path}: release asset not found (upload to release {release_id})")
        name = name or path.name
        ctype = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"

        def upload() -> dict[str, Any]:
            release = self._repo.get_release(release_id)  # lazy; upload_url is read from GET /releases/{id}
            return _raw(release.upload_asset(str(path), name=name, content_type=ctype))

        return _asset(self._call(f"POST asset {name} to release {release_id}", upload))

    def delete_asset(self, asset_id: int) -> None:
        self._call(f"DELETE release asset {asset_id}", lambda: self._repo.get_release_asset(asset_id).delete_asset())

    # ---- repository --------------------------------------------------------------------------
    def get_permission(self, username: str) -> str:
        path = f"collaborators/{urllib.parse.quote(username, safe='')}/permission"
        try:
            data = self._call(f"GET permission of {username}", lambda: self._request("GET", path))
        except NotFoundError:
            return "none"  # no such user
        role = data.get("role_name")
        return role if role in ROLES else str(data.get("permission") or "none")

    def dispatch_workflow(self, workflow: str, ref: str, inputs: Mapping[str, str] | None = None) -> None:
        body = {"ref": ref, "inputs": {str(k): str(v) for k, v in (inputs or {}).items()}}
        quoted = urllib.parse.quote(str(workflow), safe="")
        self._call(
            f"POST workflow dispatch {workflow}@{ref}",
            lambda: self._request("POST", f"actions/workflows/{quoted}/dispatches", body),
        )

    def repository_dispatch(self, event_type: str, payload: Mapping[str, Any] | None = None) -> None:
        self._call(
            f"POST repository dispatch {event_type}",
            lambda: self._repo.create_repository_dispatch(event_type, dict(payload or {})),
        )

    def premium_request_usage(
        self, org: str, *, year: int, month: int, day: int | None = None, user: str | None = None
    ) -> dict[str, Any]:
        """The Copilot premium-request usage report (needs the organization's Administration read permission)."""
        query: dict[str, Any] = {"year": year, "month": month}
        if day is not None:
            query["day"] = day
        if user:
            query["user"] = user
        path = f"/organizations/{urllib.parse.quote(org, safe='')}/settings/billing/premium_request/usage"

        def fetch() -> Any:
            _, data = self._gh.requester.requestJsonAndCheck("GET", path, parameters=query)
            return data

        data = self._call(f"GET premium request usage of {org}", fetch)
        return dict(data) if isinstance(data, dict) else {}

    def __repr__(self) -> str:
        return f"GitHubForge({self.repository!r}, base_url={self.base_url!r})"


# ---- JSON -> our records ---------------------------------------------------------------------


def _raw(obj: Any) -> dict[str, Any]:
    """The JSON PyGithub received for ``obj``.

    ``raw_data`` would first *complete* an object built from a list page (one extra GET per
    item), so the stored response is read directly.
    """
    data = getattr(obj, "_rawData", None)
    return data if isinstance(data, dict) else obj.raw_data


def _reason(data: Any) -> str:
    if isinstance(data, dict) and set(data) == {"data"}:  # PyGithub wraps a non-JSON body as {"data": text}
        data = data["data"]
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        details = [
            str(e.get("message") or e.get("code") or "") if isinstance(e, dict) else str(e) for e in data.get("errors") or []
        ]
        details = [d for d in details if d]
        text = f"{message}: {'; '.join(details)}" if details else message
    else:
        text = str(data or "")
        if "<html" in text.lower() or "<!doctype" in text.lower():
            text = "the answer was an HTML page, not JSON (a proxy or GitHub's front end failed)"
    return " ".join(text.split())[:300]


def _login(user: Any) -> str:
    return str(user.get("login") or "") if isinstance(user, dict) else ""


def _issue(d: Mapping[str, Any]) -> Issue:
    return Issue(
        number=int(d["number"]),
        title=str(d.get("title") or ""),
        body=str(d.get("body") or ""),
        state=str(d.get("state") or "open"),
        labels=tuple(lab["name"] for lab in d.get("labels") or []),
        assignees=tuple(_login(a) for a in d.get("assignees") or []),
        author=_login(d.get("user")),
        url=str(d.get("html_url") or ""),
        created_at=str(d.get("created_at") or ""),
        updated_at=str(d.get("updated_at") or ""),
        is_pull_request="pull_request" in d,
    )


def _comment(d: Mapping[str, Any]) -> Comment:
    return Comment(
        id=int(d["id"]),
        body=str(d.get("body") or ""),
        author=_login(d.get("user")),
        url=str(d.get("html_url") or ""),
        created_at=str(d.get("created_at") or ""),
        updated_at=str(d.get("updated_at") or ""),
    )


def _pull(d: Mapping[str, Any]) -> PullRequest:
    head, base = d.get("head") or {}, d.get("base") or {}
    return PullRequest(
        number=int(d["number"]),
        title=str(d.get("title") or ""),
        body=str(d.get("body") or ""),
        state=str(d.get("state") or "open"),
        merged=bool(d.get("merged") or d.get("merged_at")),
        merged_at=str(d.get("merged_at") or ""),
        merge_commit_sha=str(d.get("merge_commit_sha") or ""),
        draft=bool(d.get("draft")),
        head_ref=str(head.get("ref") or ""),
        head_sha=str(head.get("sha") or ""),
        head_repo=str((head.get("repo") or {}).get("full_name") or ""),
        base_ref=str(base.get("ref") or ""),
        base_sha=str(base.get("sha") or ""),
        author=_login(d.get("user")),
        url=str(d.get("html_url") or ""),
        labels=tuple(lab["name"] for lab in d.get("labels") or []),
        created_at=str(d.get("created_at") or ""),
        updated_at=str(d.get("updated_at") or ""),
        additions=int(d.get("additions") or 0),
        deletions=int(d.get("deletions") or 0),
        changed_files=int(d.get("changed_files") or 0),
    )


def _changed_file(d: Mapping[str, Any]) -> ChangedFile:
    return ChangedFile(
        path=str(d["filename"]),
        status=str(d.get("status") or "modified"),
        additions=int(d.get("additions") or 0),
        deletions=int(d.get("deletions") or 0),
        patch=d.get("patch"),
        previous_path=d.get("previous_filename"),
    )


def _review(d: Mapping[str, Any]) -> Review:
    return Review(
        id=int(d["id"]),
        body=str(d.get("body") or ""),
        state=str(d.get("state") or ""),
        commit_id=str(d.get("commit_id") or ""),
        author=_login(d.get("user")),
        url=str(d.get("html_url") or ""),
        submitted_at=str(d.get("submitted_at") or ""),
    )


def _review_comment(d: Mapping[str, Any]) -> ReviewComment:
    return ReviewComment(
        id=int(d["id"]),
        path=str(d.get("path") or ""),
        body=str(d.get("body") or ""),
        line=d.get("line"),
        side=str(d.get("side") or "RIGHT"),
        start_line=d.get("start_line"),
        review_id=d.get("pull_request_review_id"),
        author=_login(d.get("user")),
        commit_id=str(d.get("commit_id") or ""),
        url=str(d.get("html_url") or ""),
    )


def _new_comment(c: NewReviewComment) -> dict[str, Any]:
    out: dict[str, Any] = {"path": c.path, "body": c.body, "line": c.line, "side": c.side}
    if c.start_line is not None:
        out.update(start_line=c.start_line, start_side=c.start_side or c.side)
    return out


def _annotation(a: CheckAnnotation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": a.path,
        "start_line": a.start_line,
        "end_line": a.end_line,
        "annotation_level": a.level,
        "message": a.message,
    }
    if a.title:
        out["title"] = a.title
    return out


def _check_run(d: Mapping[str, Any]) -> CheckRun:
    output = d.get("output") or {}
    return CheckRun(
        id=int(d["id"]),
        name=str(d.get("name") or ""),
        head_sha=str(d.get("head_sha") or ""),
        status=str(d.get("status") or ""),
        conclusion=d.get("conclusion"),
        title=str(output.get("title") or ""),
        summary=str(output.get("summary") or ""),
        url=str(d.get("html_url") or ""),
    )


def _asset(d: Mapping[str, Any]) -> Asset:
    return Asset(
        id=int(d["id"]),
        name=str(d.get("name") or ""),
        size=int(d.get("size") or 0),
        content_type=str(d.get("content_type") or "application/octet-stream"),
        url=str(d.get("browser_download_url") or ""),
    )


def _release(d: Mapping[str, Any]) -> Release:
    return Release(
        id=int(d["id"]),
        tag=str(d.get("tag_name") or ""),
        name=str(d.get("name") or ""),
        body=str(d.get("body") or ""),
        draft=bool(d.get("draft")),
        prerelease=bool(d.get("prerelease")),
        url=str(d.get("html_url") or ""),
        target=str(d.get("target_commitish") or ""),
        created_at=str(d.get("created_at") or ""),
        assets=tuple(_asset(a) for a in d.get("assets") or []),
    )
