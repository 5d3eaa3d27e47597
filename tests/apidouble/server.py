"""The GitHub API double: in-memory GitHub state behind a loopback HTTP server.

See the package docstring (``tests/apidouble/__init__.py``) for the user-facing API.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.apidouble.schemas import Operation, Spec, spec

if TYPE_CHECKING:
    from email.message import Message

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
EPOCH_TEXT = "2026-01-01T00:00:00Z"
ROLES = ("admin", "maintain", "write", "triage", "read", "none")
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read", "none": "none"}


class HttpError(Exception):
    """Raised by handlers: becomes a GitHub-style error response."""

    def __init__(self, status: int, message: str, errors: Sequence[Mapping[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = list(errors or [])


@dataclass
class Fault:
    status: int
    headers: dict[str, str]
    body: Any
    times: int
    after: bool


@dataclass
class Request:
    method: str
    path: str  # path without the API prefix, as sent (percent-encoded)
    operation_id: str | None
    status: int
    query: dict[str, list[str]] = field(default_factory=dict)
    body: Any = None


@dataclass
class _Ctx:
    op: Operation
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    headers: Mapping[str, str] | Message[str, str]  # case-insensitive get() for the HTTP side
    path: str

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def num(self, name: str) -> int:
        return int(self.params[name])


class GitHubDouble:
    """A fake GitHub for one repository. Start with ``start()`` (or use it as a context manager)."""

    def __init__(
        self,
        repository: str = "octo-org/octo-repo",
        *,
        token: str = "ghs_apidoubletoken0000",
        user: str = "github-actions[bot]",
        prefix: str = "/api/v3",
        upload_prefix: str = "/api/uploads",
        default_permission: str = "read",
        the_spec: Spec | None = None,
    ) -> None:
        self.repository = repository
        self.owner, self.repo = repository.split("/", 1)
        self.token = token
        self.user = user
        self.prefix = prefix.rstrip("/")
        self.upload_prefix = upload_prefix.rstrip("/")
        self.default_permission = default_permission
        self.spec = the_spec or spec()
        self.lock = threading.RLock()
        self.violations: list[str] = []
        self.requests: list[Request] = []
        self.hits: Counter[str] = Counter()  # operationId -> count
        self.premium_usage: list[dict[str, Any]] = []  # add_premium_usage: {user, date, item}
        self._faults: dict[str, list[Fault]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._clock = 0
        self._next_number = 1
        self._next_id = 1001
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.pulls: dict[int, dict[str, Any]] = {}
        self.reviews: dict[int, dict[str, Any]] = {}
        self.review_comments: dict[int, dict[str, Any]] = {}
        self.statuses: dict[str, list[dict[str, Any]]] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.releases: dict[int, dict[str, Any]] = {}
        self.assets: dict[int, dict[str, Any]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.permissions: dict[str, str] = {}
        self.dispatches: list[dict[str, Any]] = []

    # ---- lifecycle -----------------------------------------------------------------------------
    def start(self) -> GitHubDouble:
        double = self

        class Handler(_Handler):
            pass

        Handler.double = double
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="apidouble", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GitHubDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._server is not None, "apidouble: call start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """The REST base URL (what ``GITHUB_API_URL`` holds), GitHub Enterprise style: ``http://127.0.0.1:PORT/api/v3``."""
        return self.origin + self.prefix

    @property
    def server_url(self) -> str:
        """What ``GITHUB_SERVER_URL`` holds (the web UI origin)."""
        return self.origin

    def env(self) -> dict[str, str]:
        """The ``GITHUB_*`` variables that point a ``leadforge`` process at this double."""
        return {
            "GITHUB_API_URL": self.url,
            "GITHUB_SERVER_URL": self.server_url,
            "GITHUB_TOKEN": self.token,
            "GITHUB_REPOSITORY": self.repository,
            "LEADFORGE_GITHUB_WRITE_INTERVAL": "0",
        }

    def forge(self, **options: Any) -> Any:
        """A ``GitHubForge`` talking to this double; waits are recorded in ``forge.sleeps``, never slept."""
        from leadforge.forge.github import GitHubForge

        sleeps: list[float] = []
        options.setdefault("sleep", sleeps.append)
        options.setdefault("seconds_between_writes", 0)
        forge = GitHubForge(self.repository, token=self.token, base_url=self.url, **options)
        forge.sleeps = sleeps  # type: ignore[attr-defined]  # the waits a test reads back, on the forge it was given
        return forge

    def assert_clean(self) -> None:
        """Raise ``AssertionError`` listing every request/response that broke the OpenAPI description."""
        if self.violations:
            raise AssertionError("GitHub API double: OpenAPI violations:\n  " + "\n  ".join(self.violations))

    # ---- fault injection and counters ------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path: str,
        *,
        status: int = 502,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        message: str | None = None,
        times: int = 1,
        after: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of an operation with ``status`` (and ``headers``).

        ``path`` is the OpenAPI template (``/repos/{owner}/{repo}/issues/{issue_number}``) or an
        operationId. ``after=True`` performs the operation first and then fails (the response is lost).
        ``body``: the JSON to send (default: GitHub's ``{"message": ...}``), or ``bytes`` sent as HTML.
        """
        op = self.spec.find(path, method)
        if body is None:
            body = {"message": message or _REASONS.get(status, "Error"), "documentation_url": "https://docs.github.com/rest"}
        with self.lock:
            self._faults.setdefault(op.operation_id, []).append(Fault(status, dict(headers or {}), body, times, after))

    def rate_limit_next(self, method: str, path: str, *, reset_at: int, status: int = 403, times: int = 1) -> None:
        """The primary rate limit: ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset: reset_at`` (epoch seconds)."""
        self.fail_next(
            method,
            path,
            status=status,
            times=times,
            headers={
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "5000",
                "x-ratelimit-reset": str(reset_at),
            },
            message="API rate limit exceeded for installation ID 1.",
        )

    def count(self, ref: str, method: str | None = None) -> int:
        """How many requests reached an operation (by operationId or ``METHOD``/template)."""
        return self.hits[self.spec.find(ref, method).operation_id]

    # ---- seeding: other people's actions ---------------------------------------------------------
    def add_issue(
        self,
        title: str,
        body: str = "",
        *,
        labels: Sequence[str] = (),
        author: str = "octocat",
        state: str = "open",
        assignees: Sequence[str] = (),
        number: int | None = None,
    ) -> int:
        with self.lock:
            number = self._take_number(number)
            self.issues[number] = self._new_issue(number, title, body, labels, author, state, assignees)
            return number

    def add_pull(
        self,
        title: str,
        *,
        head: str = "feature",
        base: str = "main",
        body: str = "",
        head_sha: str = "a" * 40,
        base_sha: str = "b" * 40,
        author: str = "octocat",
        files: Iterable[Any] = (),
        commits: Sequence[str] = (),
        labels: Sequence[str] = (),
        draft: bool = False,
        head_repo: str | None = None,
        state: str = "open",
        number: int | None = None,
    ) -> int:
        """A pull request. ``files``: dicts or objects with path/status/additions/deletions/patch/previous_path."""
        with self.lock:
            number = self._take_number(number)
            self.issues[number] = self._new_issue(number, title, body, labels, author, state, ())
            self.issues[number]["pull"] = True
            self.pulls[number] = {
                "number": number,
                "head": head,
                "base": base,
                "head_sha": head_sha,
                "base_sha": base_sha,
                "head_repo": head_repo or self.repository,
                "draft": draft,
                "merged": False,
                "merged_at": None,
                "merge_commit_sha": None,
                "files": [_file_record(f) for f in files],
                "commits": list(commits) or [head_sha],
            }
            return number

    def seed_event(self, payload: Mapping[str, Any], *, files: Iterable[Any] = ()) -> int | None:
        """Create the issue or pull request a webhook payload talks about, with its number; returns it.

        For ``pull_request*`` payloads (and ``issue_comment`` on a pull request) a pull request is
        seeded with the payload's refs, SHAs, labels and author; ``files`` gives its changed files.
        """
        repository = (payload.get("repository") or {}).get("full_name")
        if repository and repository != self.repository:
            raise ValueError(f"apidouble: the payload is for {repository}; create GitHubDouble({repository!r})")
        pull, issue = payload.get("pull_request"), payload.get("issue")
        if pull:
            head_repo = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
            return self.add_pull(
                pull.get("title") or "",
                number=int(pull["number"]),
                body=pull.get("body") or "",
                head=pull["head"]["ref"],
                base=pull["base"]["ref"],
                head_sha=pull["head"]["sha"],
                base_sha=pull["base"]["sha"],
                author=(pull.get("user") or {}).get("login", "octocat"),
                labels=[lab["name"] for lab in pull.get("labels") or []],
                draft=bool(pull.get("draft")),
                head_repo=head_repo or self.repository,
                state=pull.get("state") or "open",
                files=files,
            )
        if issue:
            common = {
                "number": int(issue["number"]),
                "body": issue.get("body") or "",
                "author": (issue.get("user") or {}).get("login", "octocat"),
                "labels": [lab["name"] for lab in issue.get("labels") or []],
                "state": issue.get("state") or "open",
            }
            if issue.get("pull_request"):
                return self.add_pull(issue.get("title") or "", files=files, **common)
            return self.add_issue(
                issue.get("title") or "", assignees=[a["login"] for a in issue.get("assignees") or []], **common
            )
        return None

    def merge_pull(self, number: int, merge_commit_sha: str = "c" * 40) -> None:
        with self.lock:
            now = self._tick()
            self.pulls[number].update(merged=True, merged_at=now, merge_commit_sha=merge_commit_sha)
            self.issues[number].update(state="closed", closed_at=now, updated_at=now)

    def add_comment(self, number: int, body: str, *, author: str = "octocat") -> int:
        with self.lock:
            return self._new_comment(number, body, author)["id"]

    def add_release(
        self, tag: str, *, name: str = "", body: str = "", draft: bool = False, prerelease: bool = False, target: str = "main"
    ) -> int:
        with self.lock:
            return self._new_release(tag, name, body, draft, prerelease, target)["id"]

    def set_permission(self, username: str, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        with self.lock:
            self.permissions[username] = role

    # ---- inspection (plain dicts, as the double stores them) --------------------------------------
    def issue(self, number: int) -> dict[str, Any]:
        return dict(self.issues[number])

    def issue_comments(self, number: int) -> list[dict[str, Any]]:
        return [dict(c) for c in self.comments.values() if c["issue"] == number]

    def pull_reviews(self, number: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.reviews.values() if r["pull"] == number]

    def pull_review_comments(self, number: int) -> list[dict[str, Any]]:
        return [dict(c) for c in self.review_comments.values() if c["pull"] == number]

    def release_by_tag(self, tag: str) -> dict[str, Any] | None:
        return next((dict(r) for r in self.releases.values() if r["tag"] == tag), None)

    # ---- the HTTP side ---------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str] | Message[str, str], raw_body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        split = urllib.parse.urlsplit(raw_path)
        path = split.path
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        upload = False
        if self.upload_prefix and path.startswith(self.upload_prefix + "/"):
            path, upload = path[len(self.upload_prefix) :], True
        elif path.startswith(self.prefix + "/") or not self.prefix:
            path = path[len(self.prefix) :]
        else:
            return self._fail(method, path, None, 404, f"apidouble: {path} is outside the API prefix {self.prefix}")
        op, params, known = self.spec.route(method, path)
        if op is None:
            what = "method not allowed on" if known else "no OpenAPI operation for"
            return self._fail(method, path, None, 405 if known else 404, f"apidouble: {what} {method} {path}")
        if upload != bool(op.servers):
            where = "the uploads URL" if op.servers else "the API URL"
            return self._fail(method, path, op, 404, f"apidouble: {op.operation_id} must be called on {where}")
        auth = headers.get("Authorization", "")
        if auth not in (f"token {self.token}", f"Bearer {self.token}"):
            return self._reply(
                method,
                path,
                op,
                query,
                None,
                401,
                {},
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
            )
        params = {k: urllib.parse.unquote(v) for k, v in params.items()}
        if "org" in params:  # organization endpoints (billing): the repository's owner is the organization
            if params["org"].lower() != self.owner.lower():
                return self._reply(method, path, op, query, None, 404, {}, _error_body("Not Found"))
        elif params.get("owner") != self.owner or params.get("repo") != self.repo:
            return self._reply(method, path, op, query, None, 404, {}, _error_body("Not Found"))
        body: Any = None
        present = bool(raw_body)
        ctype = headers.get("Content-Type", "")
        errors = self.spec.check_query(op, query)
        if op.request_body and op.request_body["contentType"] != "application/json":
            body = raw_body
            if not ctype:
                errors.append("upload without a Content-Type header")
        elif present:
            try:
                body = json.loads(raw_body)
            except ValueError as err:
                errors.append(f"request body is not JSON ({err})")
        errors += self.spec.check_body(op, body, present)
        if errors:
            return self._fail(
                method,
                path,
                op,
                422,
                f"apidouble: {method} {op.path} ({op.operation_id}) request "
                f"does not match the OpenAPI description: " + "; ".join(errors),
                query=query,
                body=body,
            )
        with self.lock:
            self.hits[op.operation_id] += 1
            fault = self._take_fault(op)
            if fault and not fault.after:
                return self._reply(method, path, op, query, body, fault.status, fault.headers, fault.body, fault=True)
            handler = getattr(self, "_op_" + re.sub(r"[^a-z0-9]+", "_", op.operation_id))
            ctx = _Ctx(op, params, query, body, headers, path)
            try:
                result = handler(ctx)
            except HttpError as err:
                payload = _error_body(err.message, err.errors)
                if str(err.status) in op.responses and self.spec.check_response(op, err.status, payload):
                    # some operations document ``errors`` as plain strings (validation-error-simple)
                    texts = [e.get("message") or e.get("code", "") if isinstance(e, Mapping) else str(e) for e in err.errors]
                    payload = _error_body(err.message, texts)
                return self._reply(method, path, op, query, body, err.status, {}, payload)
            status, out, extra = result if len(result) == 3 else (*result, {})
            if fault:
                return self._reply(method, path, op, query, body, fault.status, fault.headers, fault.body, fault=True)
            return self._reply(method, path, op, query, body, status, extra, out)

    def _take_fault(self, op: Operation) -> Fault | None:
        queue = self._faults.get(op.operation_id)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    def _fail(
        self,
        method: str,
        path: str,
        op: Operation | None,
        status: int,
        message: str,
        query: dict[str, list[str]] | None = None,
        body: Any = None,
    ) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.violations.append(message)
            self.requests.append(Request(method, path, op.operation_id if op else None, status, query or {}, body))
        return status, {"Content-Type": "application/json"}, json.dumps(_error_body(message)).encode()

    def _reply(
        self,
        method: str,
        path: str,
        op: Operation,
        query: dict[str, list[str]],
        body: Any,
        status: int,
        headers: Mapping[str, str],
        out: Any,
        fault: bool = False,
    ) -> tuple[int, dict[str, str], bytes]:
        if not fault:
            if status >= 400 and op.responses.get(str(status)) is None:  # undocumented or body-less error
                errors = self.spec.errors(self.spec.components["schemas"]["basic-error"], out, f"error {status}")
            else:
                errors = self.spec.check_response(op, status, out)
            if errors:
                message = f"apidouble bug: response to {method} {op.path} ({op.operation_id}) does not match: " + "; ".join(
                    errors
                )
                return self._fail(method, path, op, 500, message, query, body)
        with self.lock:
            self.requests.append(Request(method, path, op.operation_id, status, query, body))
        head = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3",
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            **headers,
        }
        if isinstance(out, bytes):  # a raw (non-JSON) fault body, e.g. a load balancer's HTML page
            head["Content-Type"] = "text/html; charset=utf-8"
            payload = out
        else:
            payload = b"" if out is None else json.dumps(out).encode()
        return status, head, payload

    # ---- helpers ---------------------------------------------------------------------------------
    def _tick(self) -> str:
        self._clock += 1
        return (EPOCH + timedelta(seconds=self._clock)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _take_number(self, wanted: int | None = None) -> int:
        if wanted is not None:
            if wanted in self.issues:
                raise ValueError(f"apidouble: issue/pull request #{wanted} already exists")
            self._next_number = max(self._next_number, wanted + 1)
            return wanted
        number = self._next_number
        self._next_number += 1
        return number

    def _take_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def _api(self, rest: str) -> str:
        return f"{self.url}/repos/{self.repository}/{rest}"

    def _web(self, rest: str) -> str:
        return f"{self.server_url}/{self.repository}/{rest}"

    def _user(self, login: str) -> dict[str, Any]:
        user = self.spec.skeleton("simple-user")
        user.update(
            login=login,
            id=_stable_id(login),
            node_id=f"U_{login}",
            type="Bot" if login.endswith("[bot]") else "User",
            url=f"{self.url}/users/{urllib.parse.quote(login)}",
            html_url=f"{self.server_url}/{login}",
        )
        return user

    def _label(self, name: str) -> dict[str, Any]:
        with self.lock:
            if name not in self.labels:
                self.labels[name] = {"id": self._take_id(), "name": name}
        label = self.spec.skeleton("label")
        label.update(
            id=self.labels[name]["id"],
            node_id=f"LA_{self.labels[name]['id']}",
            name=name,
            color="ededed",
            url=self._api(f"labels/{urllib.parse.quote(name)}"),
            description="",
            default=False,
        )
        return label

    def _page(self, ctx: _Ctx, items: list[Any], key: str | None = None) -> tuple[int, Any, dict[str, str]]:
        per_page = max(1, min(int(ctx.q("per_page", "30") or 30), 100))
        page = max(1, int(ctx.q("page", "1") or 1))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []

        def link(n: int, rel: str) -> str:
            query = {k: v[-1] for k, v in ctx.query.items()}
            query["page"] = str(n)
            return f'<{self.url}{ctx.path}?{urllib.parse.urlencode(query)}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        headers = {"Link": ", ".join(links)} if links else {}
        out = {"total_count": len(items), key: chunk} if key else chunk
        return 200, out, headers

    # ---- records -> GitHub JSON ------------------------------------------------------------------
    def _new_issue(
        self, number: int, title: str, body: str, labels: Iterable[str], author: str, state: str, assignees: Iterable[str]
    ) -> dict[str, Any]:
        now = self._tick()
        return {
            "number": number,
            "id": self._take_id(),
            "title": title,
            "body": body,
            "state": state,
            "state_reason": None,
            "labels": list(dict.fromkeys(labels)),
            "assignees": list(assignees),
            "author": author,
            "created_at": now,
            "updated_at": now,
            "closed_at": now if state == "closed" else None,
            "pull": False,
        }

    def _issue_json(self, rec: dict[str, Any]) -> dict[str, Any]:
        n = rec["number"]
        out = self.spec.skeleton("issue")
        out.update(
            id=rec["id"],
            node_id=f"I_{rec['id']}",
            number=n,
            title=rec["title"],
            body=rec["body"],
            state=rec["state"],
            state_reason=rec["state_reason"],
            url=self._api(f"issues/{n}"),
            repository_url=f"{self.url}/repos/{self.repository}",
            labels_url=self._api(f"issues/{n}/labels{{/name}}"),
            comments_url=self._api(f"issues/{n}/comments"),
            events_url=self._api(f"issues/{n}/events"),
            html_url=self._web(f"{'pull' if rec['pull'] else 'issues'}/{n}"),
            labels=[self._label(name) for name in rec["labels"]],
            assignees=[self._user(a) for a in rec["assignees"]],
            assignee=self._user(rec["assignees"][0]) if rec["assignees"] else None,
            user=self._user(rec["author"]),
            comments=sum(1 for c in self.comments.values() if c["issue"] == n),
            created_at=rec["created_at"],
            updated_at=rec["updated_at"],
            closed_at=rec["closed_at"],
            author_association="CONTRIBUTOR",
            locked=False,
        )
        if rec["pull"]:
            out["pull_request"] = {
                "url": self._api(f"pulls/{n}"),
                "html_url": self._web(f"pull/{n}"),
                "diff_url": self._web(f"pull/{n}.diff"),
                "patch_url": self._web(f"pull/{n}.patch"),
                "merged_at": self.pulls[n]["merged_at"],
            }
        return out

    def _repo_json(self, full_name: str, side: str = "base") -> dict[str, Any]:
        owner, name = full_name.split("/", 1)
        out = self.spec.skeleton_at("pull-request", side, "repo")
        out.update(
            name=name,
            full_name=full_name,
            owner=self._user(owner),
            url=f"{self.url}/repos/{full_name}",
            html_url=f"{self.server_url}/{full_name}",
            id=_stable_id(full_name),
            node_id=f"R_{owner}_{name}",
            default_branch="main",
            fork=full_name != self.repository,
            created_at=EPOCH_TEXT,
            updated_at=EPOCH_TEXT,
            pushed_at=EPOCH_TEXT,
        )
        return out

    def _pull_json(self, number: int) -> dict[str, Any]:
        rec, issue = self.pulls[number], self.issues[number]
        out = self.spec.skeleton("pull-request")
        api = self._api(f"pulls/{number}")
        links = {
            k: {"href": v}
            for k, v in {
                "self": api,
                "html": self._web(f"pull/{number}"),
                "issue": self._api(f"issues/{number}"),
                "comments": self._api(f"issues/{number}/comments"),
                "review_comments": f"{api}/comments",
                "review_comment": self._api("pulls/comments{/number}"),
                "commits": f"{api}/commits",
                "statuses": self._api(f"statuses/{rec['head_sha']}"),
            }.items()
        }

        def ref(side: str, label_repo: str, ref_name: str, sha: str) -> dict[str, Any]:
            return {
                "label": f"{label_repo.split('/')[0]}:{ref_name}",
                "ref": ref_name,
                "sha": sha,
                "repo": self._repo_json(label_repo, side),
                "user": self._user(label_repo.split("/")[0]),
            }

        files = rec["files"]
        out.update(
            id=issue["id"] + 500_000,
            node_id=f"PR_{issue['id']}",
            number=number,
            title=issue["title"],
            body=issue["body"],
            state=issue["state"],
            url=api,
            html_url=self._web(f"pull/{number}"),
            issue_url=self._api(f"issues/{number}"),
            diff_url=self._web(f"pull/{number}.diff"),
            patch_url=self._web(f"pull/{number}.patch"),
            commits_url=f"{api}/commits",
            review_comments_url=f"{api}/comments",
            review_comment_url=self._api("pulls/comments{/number}"),
            comments_url=self._api(f"issues/{number}/comments"),
            statuses_url=self._api(f"statuses/{rec['head_sha']}"),
            _links=links,
            user=self._user(issue["author"]),
            labels=[self._label(n) for n in issue["labels"]],
            created_at=issue["created_at"],
            updated_at=issue["updated_at"],
            closed_at=issue["closed_at"],
            merged_at=rec["merged_at"],
            merge_commit_sha=rec["merge_commit_sha"],
            merged=rec["merged"],
            draft=rec["draft"],
            head=ref("head", rec["head_repo"], rec["head"], rec["head_sha"]),
            base=ref("base", self.repository, rec["base"], rec["base_sha"]),
            author_association="CONTRIBUTOR",
            additions=sum(f["additions"] for f in files),
            deletions=sum(f["deletions"] for f in files),
            changed_files=len(files),
            commits=len(rec["commits"]),
            comments=self._issue_json(issue)["comments"],
            review_comments=sum(1 for c in self.review_comments.values() if c["pull"] == number),
            mergeable=None,
            mergeable_state="unknown",
            maintainer_can_modify=False,
            merged_by=None,
            locked=False,
            assignees=[self._user(a) for a in issue["assignees"]],
            requested_reviewers=[],
            requested_teams=[],
        )
        return out

    def _comment_json(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self.spec.skeleton("issue-comment")
        kind = "pull" if self.issues[rec["issue"]]["pull"] else "issues"
        out.update(
            id=rec["id"],
            node_id=f"IC_{rec['id']}",
            body=rec["body"],
            user=self._user(rec["author"]),
            url=self._api(f"issues/comments/{rec['id']}"),
            issue_url=self._api(f"issues/{rec['issue']}"),
            html_url=self._web(f"{kind}/{rec['issue']}#issuecomment-{rec['id']}"),
            created_at=rec["created_at"],
            updated_at=rec["updated_at"],
            author_association="CONTRIBUTOR",
        )
        return out

    def _new_comment(self, number: int, body: str, author: str) -> dict[str, Any]:
        if number not in self.issues:
            raise HttpError(404, "Not Found")
        now = self._tick()
        comment_id = self._take_id()
        rec = {"id": comment_id, "issue": number, "body": body, "author": author, "created_at": now, "updated_at": now}
        self.comments[comment_id] = rec
        return rec

    def _review_json(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self.spec.skeleton("pull-request-review")
        pull_url = self._api(f"pulls/{rec['pull']}")
        html = self._web(f"pull/{rec['pull']}#pullrequestreview-{rec['id']}")
        out.update(
            id=rec["id"],
            node_id=f"PRR_{rec['id']}",
            user=self._user(rec["author"]),
            body=rec["body"],
            state=rec["state"],
            commit_id=rec["commit_id"],
            html_url=html,
            pull_request_url=pull_url,
            _links={"html": {"href": html}, "pull_request": {"href": pull_url}},
            author_association="CONTRIBUTOR",
        )
        if rec["submitted_at"]:
            out["submitted_at"] = rec["submitted_at"]
        return out

    def _review_comment_json(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self.spec.skeleton("pull-request-review-comment")
        url = self._api(f"pulls/comments/{rec['id']}")
        html = self._web(f"pull/{rec['pull']}#discussion_r{rec['id']}")
        pull_url = self._api(f"pulls/{rec['pull']}")
        out.update(
            url=url,
            id=rec["id"],
            node_id=f"PRRC_{rec['id']}",
            pull_request_review_id=rec["review_id"],
            diff_hunk=rec["diff_hunk"],
            path=rec["path"],
            position=rec["line"],
            original_position=rec["line"],
            commit_id=rec["commit_id"],
            original_commit_id=rec["commit_id"],
            user=self._user(rec["author"]),
            body=rec["body"],
            created_at=rec["created_at"],
            updated_at=rec["updated_at"],
            html_url=html,
            pull_request_url=pull_url,
            author_association="CONTRIBUTOR",
            line=rec["line"],
            side=rec["side"],
            original_line=rec["line"],
            _links={"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": pull_url}},
        )
        if rec["start_line"] is not None:
            out.update(
                start_line=rec["start_line"], start_side=rec["start_side"] or rec["side"], original_start_line=rec["start_line"]
            )
        return out

    def _status_json(self, sha: str, rec: dict[str, Any]) -> dict[str, Any]:
        out = self.spec.skeleton("status")
        out.update(
            url=self._api(f"statuses/{sha}"),
            avatar_url=None,
            id=rec["id"],
            node_id=f"SC_{rec['id']}",
            state=rec["state"],
            description=rec["description"] or "",
            target_url=rec["target_url"] or "",
            context=rec["context"],
            created_at=rec["created_at"],
            updated_at=rec["created_at"],
            creator=self._user(rec["author"]),
        )
        return out

    def _check_run_json(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self.spec.skeleton("check-run")
        url = self._api(f"check-runs/{rec['id']}")
        out.update(
            id=rec["id"],
            node_id=f"CR_{rec['id']}",
            head_sha=rec["head_sha"],
            name=rec["name"],
            url=url,
            html_url=self._web(f"runs/{rec['id']}"),
            details_url=rec["details_url"],
            status=rec["status"],
            conclusion=rec["conclusion"],
            started_at=rec["started_at"],
            completed_at=rec["completed_at"],
            external_id=rec["external_id"],
            check_suite={"id": 1},
            app=None,
            pull_requests=[],
            output={
                "title": rec["title"] or None,
                "summary": rec["summary"] or None,
                "text": None,
                "annotations_count": len(rec["annotations"]),
                "annotations_url": f"{url}/annotations",
            },
        )
        return out

    def _new_release(self, tag: str, name: str, body: str, draft: bool, prerelease: bool, target: str) -> dict[str, Any]:
        if any(r["tag"] == tag for r in self.releases.values()):
            raise HttpError(422, "Validation Failed", [{"resource": "Release", "code": "already_exists", "field": "tag_name"}])
        now = self._tick()
        release_id = self._take_id()
        rec = {
            "id": release_id,
            "tag": tag,
            "name": name,
            "body": body,
            "draft": draft,
            "prerelease": prerelease,
            "target": target or "main",
            "created_at": now,
            "published_at": None if draft else now,
            "author": self.user,
            "assets": [],
        }
        self.releases[release_id] = rec
        return rec

    def _release_json(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self.spec.skeleton("release")
        url = self._api(f"releases/{rec['id']}")
        out.update(
            url=url,
            assets_url=f"{url}/assets",
            id=rec["id"],
            node_id=f"RE_{rec['id']}",
            upload_url=f"{self.origin}{self.upload_prefix}/repos/{self.repository}/releases/{rec['id']}/assets{{?name,label}}",
            tarball_url=self._api(f"tarball/{rec['tag']}"),
            zipball_url=self._api(f"zipball/{rec['tag']}"),
            html_url=self._web(f"releases/tag/{urllib.parse.quote(rec['tag'])}"),
            tag_name=rec["tag"],
            target_commitish=rec["target"],
            name=rec["name"],
            body=rec["body"],
            draft=rec["draft"],
            prerelease=rec["prerelease"],
            created_at=rec["created_at"],
            published_at=rec["published_at"],
            author=self._user(rec["author"]),
            assets=[self._asset_json(self.assets[a]) for a in rec["assets"]],
        )
        return out

    def _asset_json(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self.spec.skeleton("release-asset")
        tag = self.releases[rec["release"]]["tag"]
        out.update(
            id=rec["id"],
            node_id=f"RA_{rec['id']}",
            name=rec["name"],
            label=rec["label"] or None,
            content_type=rec["content_type"],
            size=len(rec["data"]),
            state="uploaded",
            download_count=0,
            url=self._api(f"releases/assets/{rec['id']}"),
            uploader=self._user(rec["author"]),
            browser_download_url=self._web(f"releases/download/{urllib.parse.quote(tag)}/{urllib.parse.quote(rec['name'])}"),
            created_at=rec["created_at"],
            updated_at=rec["created_at"],
        )
        return out

    # ---- issues ----------------------------------------------------------------------------------
    def _issue(self, number: int) -> dict[str, Any]:
        if number not in self.issues:
            raise HttpError(404, "Not Found")
        return self.issues[number]

    def _op_issues_create(self, ctx: _Ctx) -> tuple[int, Any]:
        body = ctx.body
        labels = [lab if isinstance(lab, str) else lab["name"] for lab in body.get("labels", [])]
        number = self._take_number()
        self.issues[number] = self._new_issue(
            number, str(body["title"]), body.get("body") or "", labels, self.user, "open", body.get("assignees", [])
        )
        return 201, self._issue_json(self.issues[number])

    def _op_issues_get(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, self._issue_json(self._issue(ctx.num("issue_number")))

    def _op_issues_update(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self._issue(ctx.num("issue_number"))
        body = ctx.body or {}
        if "state" in body and body["state"] != rec["state"]:
            rec["closed_at"] = self._tick() if body["state"] == "closed" else None
            rec["state"] = body["state"]
            rec["state_reason"] = body.get("state_reason") or ("completed" if body["state"] == "closed" else "reopened")
        for key in ("title", "body"):
            if key in body and body[key] is not None:
                rec[key] = str(body[key])
        if "labels" in body:
            rec["labels"] = [lab if isinstance(lab, str) else lab["name"] for lab in body["labels"]]
        if "assignees" in body:
            rec["assignees"] = list(body["assignees"])
        rec["updated_at"] = self._tick()
        return 200, self._issue_json(rec)

    def _op_issues_list_for_repo(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        state = ctx.q("state", "open")
        wanted = [x for x in (ctx.q("labels") or "").split(",") if x]
        found = [r for r in self.issues.values() if (state == "all" or r["state"] == state) and set(wanted) <= set(r["labels"])]
        found.sort(key=lambda r: r["number"], reverse=ctx.q("direction", "desc") == "desc")
        return self._page(ctx, [self._issue_json(r) for r in found])

    def _op_issues_list_comments(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        number = self._issue(ctx.num("issue_number"))["number"]
        return self._page(ctx, [self._comment_json(c) for c in self.comments.values() if c["issue"] == number])

    def _op_issues_create_comment(self, ctx: _Ctx) -> tuple[int, Any]:
        return 201, self._comment_json(self._new_comment(ctx.num("issue_number"), ctx.body["body"], self.user))

    def _op_issues_update_comment(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self.comments.get(ctx.num("comment_id"))
        if rec is None:
            raise HttpError(404, "Not Found")
        rec.update(body=ctx.body["body"], updated_at=self._tick())
        return 200, self._comment_json(rec)

    def _labels_from(self, body: Any) -> list[str]:
        items = body.get("labels", []) if isinstance(body, dict) else body or []
        items = [items] if isinstance(items, str) else items
        return [lab if isinstance(lab, str) else lab["name"] for lab in items]

    def _op_issues_add_labels(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self._issue(ctx.num("issue_number"))
        for name in self._labels_from(ctx.body):
            if name not in rec["labels"]:
                rec["labels"].append(name)
        rec["updated_at"] = self._tick()
        return 200, [self._label(n) for n in rec["labels"]]

    def _op_issues_set_labels(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self._issue(ctx.num("issue_number"))
        rec["labels"] = list(dict.fromkeys(self._labels_from(ctx.body)))
        rec["updated_at"] = self._tick()
        return 200, [self._label(n) for n in rec["labels"]]

    def _op_issues_list_labels_on_issue(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        rec = self._issue(ctx.num("issue_number"))
        return self._page(ctx, [self._label(n) for n in rec["labels"]])

    def _op_issues_remove_label(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self._issue(ctx.num("issue_number"))
        name = ctx.params["name"]
        if name not in rec["labels"]:
            raise HttpError(404, "Label does not exist")
        rec["labels"].remove(name)
        rec["updated_at"] = self._tick()
        return 200, [self._label(n) for n in rec["labels"]]

    def _op_issues_add_assignees(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self._issue(ctx.num("issue_number"))
        for user in (ctx.body or {}).get("assignees", []):
            if user not in rec["assignees"]:
                rec["assignees"].append(user)
        rec["updated_at"] = self._tick()
        return 201, self._issue_json(rec)

    def _op_issues_create_label(self, ctx: _Ctx) -> tuple[int, Any]:
        name = ctx.body["name"]
        if name in self.labels:
            raise HttpError(422, "Validation Failed", [{"resource": "Label", "code": "already_exists", "field": "name"}])
        return 201, self._label(name)

    # ---- pull requests ---------------------------------------------------------------------------
    def _pull(self, number: int) -> dict[str, Any]:
        if number not in self.pulls:
            raise HttpError(404, "Not Found")
        return self.pulls[number]

    def _op_pulls_get(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, self._pull_json(self._pull(ctx.num("pull_number"))["number"])

    def _op_pulls_list(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        state, head, base = ctx.q("state", "open"), ctx.q("head"), ctx.q("base")
        found = []
        for number, rec in sorted(self.pulls.items(), reverse=True):
            if state != "all" and self.issues[number]["state"] != state:
                continue
            if head and f"{rec['head_repo'].split('/')[0]}:{rec['head']}" != head:
                continue
            if base and rec["base"] != base:
                continue
            found.append(self._pull_json(number))
        return self._page(ctx, found)

    def _op_pulls_create(self, ctx: _Ctx) -> tuple[int, Any]:
        body = ctx.body
        head = body["head"].split(":")[-1]
        if any(
            self.issues[n]["state"] == "open" and p["head"] == head and p["base"] == body["base"] for n, p in self.pulls.items()
        ):
            raise HttpError(
                422,
                "Validation Failed",
                [
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {self.owner}:{head}.",
                    }
                ],
            )
        number = self.add_pull(
            str(body.get("title") or head),
            head=head,
            base=body["base"],
            body=body.get("body") or "",
            author=self.user,
            draft=bool(body.get("draft")),
        )
        return 201, self._pull_json(number)

    def _op_pulls_list_files(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        rec = self._pull(ctx.num("pull_number"))
        out = []
        for f in rec["files"]:
            entry = self.spec.skeleton("diff-entry")
            quoted = urllib.parse.quote(f["path"])
            entry.update(
                sha="0" * 40,
                filename=f["path"],
                status=f["status"],
                additions=f["additions"],
                deletions=f["deletions"],
                changes=f["additions"] + f["deletions"],
                blob_url=self._web(f"blob/{rec['head_sha']}/{quoted}"),
                raw_url=self._web(f"raw/{rec['head_sha']}/{quoted}"),
                contents_url=self._api(f"contents/{quoted}?ref={rec['head_sha']}"),
            )
            if f["patch"] is not None:
                entry["patch"] = f["patch"]
            if f["previous_path"]:
                entry["previous_filename"] = f["previous_path"]
            out.append(entry)
        return self._page(ctx, out)

    def _op_pulls_list_commits(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        rec = self._pull(ctx.num("pull_number"))
        out = []
        for sha in rec["commits"]:
            commit = self.spec.skeleton("commit")
            commit.update(
                sha=sha,
                node_id=f"C_{sha}",
                url=self._api(f"commits/{sha}"),
                html_url=self._web(f"commit/{sha}"),
                comments_url=self._api(f"commits/{sha}/comments"),
                author=None,
                committer=None,
                parents=[],
            )
            commit["commit"].update(
                message=f"commit {sha[:7]}",
                url=self._api(f"git/commits/{sha}"),
                comment_count=0,
                author=None,
                committer=None,
                tree={"sha": "0" * 40, "url": self._api("git/trees/0")},
            )
            out.append(commit)
        return self._page(ctx, out)

    def _op_pulls_list_reviews(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        number = self._pull(ctx.num("pull_number"))["number"]
        return self._page(ctx, [self._review_json(r) for r in self.reviews.values() if r["pull"] == number])

    def _check_line(self, pull: dict[str, Any], path: str, line: int | None, side: str, start_line: int | None) -> str:
        """GitHub refuses inline comments outside the diff; returns its diff hunk."""
        entry = next((f for f in pull["files"] if f["path"] == path), None)
        if entry is None:
            raise HttpError(
                422,
                "Unprocessable Entity",
                [
                    {
                        "resource": "PullRequestReviewComment",
                        "code": "invalid",
                        "field": "path",
                        "message": "pull_request_review_thread.path is invalid",
                    }
                ],
            )
        if entry["patch"] is None or line is None:
            return ""
        lines, hunk = _diff_lines(entry["patch"], side)
        for wanted in (line, start_line):
            if wanted is not None and wanted not in lines:
                raise HttpError(
                    422,
                    "Unprocessable Entity",
                    [
                        {
                            "resource": "PullRequestReviewComment",
                            "code": "invalid",
                            "field": "line",
                            "message": "pull_request_review_thread.line must be part of the diff",
                        }
                    ],
                )
        return hunk

    def _add_review_comment(
        self, pull: dict[str, Any], review_id: int | None, commit: str, c: Mapping[str, Any]
    ) -> dict[str, Any]:
        side = c.get("side") or "RIGHT"
        hunk = self._check_line(pull, c["path"], c.get("line"), side, c.get("start_line"))
        now = self._tick()
        rec = {
            "id": self._take_id(),
            "pull": pull["number"],
            "review_id": review_id,
            "path": c["path"],
            "body": c["body"],
            "line": c.get("line"),
            "side": side,
            "start_line": c.get("start_line"),
            "start_side": c.get("start_side"),
            "commit_id": commit,
            "author": self.user,
            "diff_hunk": hunk,
            "created_at": now,
            "updated_at": now,
        }
        self.review_comments[rec["id"]] = rec
        return rec

    def _op_pulls_create_review(self, ctx: _Ctx) -> tuple[int, Any]:
        pull = self._pull(ctx.num("pull_number"))
        body = ctx.body or {}
        event = body.get("event")
        if event in ("REQUEST_CHANGES", "COMMENT") and not body.get("body"):
            raise HttpError(
                422,
                "Unprocessable Entity",
                [
                    {
                        "resource": "PullRequestReview",
                        "code": "custom",
                        "field": "body",
                        "message": f"Review body is required for {event} reviews",
                    }
                ],
            )
        states = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED", None: "PENDING"}
        commit = body.get("commit_id") or pull["head_sha"]
        rid = self._take_id()
        for comment in body.get("comments", []):  # validate every line before writing anything
            self._check_line(
                pull, comment["path"], comment.get("line"), comment.get("side") or "RIGHT", comment.get("start_line")
            )
        rec = {
            "id": rid,
            "pull": pull["number"],
            "body": body.get("body") or "",
            "state": states[event],
            "commit_id": commit,
            "author": self.user,
            "submitted_at": self._tick() if event else None,
        }
        self.reviews[rid] = rec
        for comment in body.get("comments", []):
            self._add_review_comment(pull, rid, commit, comment)
        return 200, self._review_json(rec)

    def _review(self, ctx: _Ctx) -> dict[str, Any]:
        rec = self.reviews.get(ctx.num("review_id"))
        if rec is None or rec["pull"] != ctx.num("pull_number"):
            raise HttpError(404, "Not Found")
        return rec

    def _op_pulls_update_review(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self._review(ctx)
        rec["body"] = ctx.body["body"]
        return 200, self._review_json(rec)

    def _op_pulls_dismiss_review(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self._review(ctx)
        if rec["state"] not in ("APPROVED", "CHANGES_REQUESTED"):
            raise HttpError(422, "Can not dismiss a commented pull request review")
        rec.update(state="DISMISSED", dismissal_message=ctx.body["message"])
        return 200, self._review_json(rec)

    def _op_pulls_list_review_comments(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        number = self._pull(ctx.num("pull_number"))["number"]
        return self._page(ctx, [self._review_comment_json(c) for c in self.review_comments.values() if c["pull"] == number])

    def _op_pulls_create_review_comment(self, ctx: _Ctx) -> tuple[int, Any]:
        pull = self._pull(ctx.num("pull_number"))
        body = ctx.body
        if (
            "path" not in body
            or "commit_id" not in body
            or ("line" not in body and "position" not in body and "in_reply_to" not in body)
        ):
            raise HttpError(422, "Validation Failed", [{"resource": "PullRequestReviewComment", "code": "missing_field"}])
        rec = self._add_review_comment(pull, None, body["commit_id"], body)
        return 201, self._review_comment_json(rec)

    def _op_pulls_update_review_comment(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self.review_comments.get(ctx.num("comment_id"))
        if rec is None:
            raise HttpError(404, "Not Found")
        rec.update(body=ctx.body["body"], updated_at=self._tick())
        return 200, self._review_comment_json(rec)

    def _op_pulls_delete_review_comment(self, ctx: _Ctx) -> tuple[int, Any]:
        if self.review_comments.pop(ctx.num("comment_id"), None) is None:
            raise HttpError(404, "Not Found")
        return 204, None

    def _op_pulls_request_reviewers(self, ctx: _Ctx) -> tuple[int, Any]:
        number = self._pull(ctx.num("pull_number"))["number"]
        out = self.spec.skeleton("pull-request-simple")
        out.update({k: v for k, v in self._pull_json(number).items() if k in out})
        return 201, out

    # ---- statuses and checks ---------------------------------------------------------------------
    def _op_repos_create_commit_status(self, ctx: _Ctx) -> tuple[int, Any]:
        sha, body = ctx.params["sha"], ctx.body
        rec = {
            "id": self._take_id(),
            "state": body["state"],
            "description": body.get("description"),
            "target_url": body.get("target_url"),
            "context": body.get("context", "default"),
            "created_at": self._tick(),
            "author": self.user,
        }
        self.statuses.setdefault(sha, []).append(rec)
        return 201, self._status_json(sha, rec)

    def _op_repos_list_commit_statuses_for_ref(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        ref = ctx.params["ref"]
        return self._page(ctx, [self._status_json(ref, s) for s in reversed(self.statuses.get(ref, []))])

    def _op_checks_create(self, ctx: _Ctx) -> tuple[int, Any]:
        body = ctx.body
        now = self._tick()
        output = body.get("output") or {}
        if body.get("conclusion") and body.get("status", "completed") != "completed":
            raise HttpError(422, "Validation Failed", [{"resource": "CheckRun", "code": "invalid", "field": "conclusion"}])
        status = "completed" if body.get("conclusion") and "status" not in body else body.get("status", "queued")
        rec = {
            "id": self._take_id(),
            "name": body["name"],
            "head_sha": body["head_sha"],
            "status": status,
            "conclusion": body.get("conclusion"),
            "title": output.get("title", ""),
            "summary": output.get("summary", ""),
            "annotations": list(output.get("annotations", [])),
            "details_url": body.get("details_url"),
            "external_id": body.get("external_id"),
            "started_at": now,
            "completed_at": now if status == "completed" else None,
        }
        self.check_runs[rec["id"]] = rec
        return 201, self._check_run_json(rec)

    def _op_checks_update(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self.check_runs.get(ctx.num("check_run_id"))
        if rec is None:
            raise HttpError(404, "Not Found")
        body = ctx.body or {}
        output = body.get("output") or {}
        for key in ("name", "status", "conclusion", "details_url", "external_id"):
            if key in body:
                rec[key] = body[key]
        if body.get("conclusion"):
            rec["status"] = "completed"
        if rec["status"] == "completed" and rec["completed_at"] is None:
            rec["completed_at"] = self._tick()
        for key in ("title", "summary"):
            if key in output:
                rec[key] = output[key]
        rec["annotations"] += list(output.get("annotations", []))
        return 200, self._check_run_json(rec)

    def _op_checks_list_for_ref(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        ref, name = ctx.params["ref"], ctx.q("check_name")
        runs = [
            self._check_run_json(r)
            for r in sorted(self.check_runs.values(), key=lambda r: -r["id"])
            if r["head_sha"] == ref and (name is None or r["name"] == name)
        ]
        return self._page(ctx, runs, key="check_runs")

    # ---- releases --------------------------------------------------------------------------------
    def _release(self, release_id: int) -> dict[str, Any]:
        if release_id not in self.releases:
            raise HttpError(404, "Not Found")
        return self.releases[release_id]

    def _op_repos_get_release_by_tag(self, ctx: _Ctx) -> tuple[int, Any]:
        for rec in self.releases.values():  # like GitHub: a draft has no published tag yet
            if rec["tag"] == ctx.params["tag"] and not rec["draft"]:
                return 200, self._release_json(rec)
        raise HttpError(404, "Not Found")

    def _op_repos_get_release(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, self._release_json(self._release(ctx.num("release_id")))

    def _op_repos_get_latest_release(self, ctx: _Ctx) -> tuple[int, Any]:
        published = [r for r in self.releases.values() if not r["draft"] and not r["prerelease"]]
        if not published:
            raise HttpError(404, "Not Found")
        return 200, self._release_json(max(published, key=lambda r: (r["published_at"], r["id"])))

    def _op_repos_list_releases(self, ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
        return self._page(ctx, [self._release_json(r) for r in sorted(self.releases.values(), key=lambda r: -r["id"])])

    def _op_repos_create_release(self, ctx: _Ctx) -> tuple[int, Any]:
        body = ctx.body
        rec = self._new_release(
            body["tag_name"],
            body.get("name") or "",
            body.get("body") or "",
            bool(body.get("draft")),
            bool(body.get("prerelease")),
            body.get("target_commitish") or "",
        )
        return 201, self._release_json(rec)

    def _op_repos_update_release(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self._release(ctx.num("release_id"))
        body = ctx.body or {}
        if "tag_name" in body and body["tag_name"] != rec["tag"]:
            if any(r["tag"] == body["tag_name"] for r in self.releases.values()):
                raise HttpError(
                    422, "Validation Failed", [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]
                )
            rec["tag"] = body["tag_name"]
        for key, field_ in (("name", "name"), ("body", "body"), ("prerelease", "prerelease"), ("target_commitish", "target")):
            if key in body:
                rec[field_] = body[key]
        if "draft" in body:
            rec["draft"] = bool(body["draft"])
            if not rec["draft"] and rec["published_at"] is None:
                rec["published_at"] = self._tick()
        return 200, self._release_json(rec)

    def _op_repos_upload_release_asset(self, ctx: _Ctx) -> tuple[int, Any]:
        rec = self._release(ctx.num("release_id"))
        name = ctx.q("name")
        if not name:
            raise HttpError(422, "Validation Failed", [{"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}])
        if any(self.assets[a]["name"] == name for a in rec["assets"]):
            raise HttpError(422, "Validation Failed", [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}])
        asset = {
            "id": self._take_id(),
            "release": rec["id"],
            "name": name,
            "label": ctx.q("label") or "",
            "content_type": ctx.headers.get("Content-Type", "application/octet-stream"),
            "data": bytes(ctx.body),
            "author": self.user,
            "created_at": self._tick(),
        }
        self.assets[asset["id"]] = asset
        rec["assets"].append(asset["id"])
        return 201, self._asset_json(asset)

    def _op_repos_delete_release_asset(self, ctx: _Ctx) -> tuple[int, Any]:
        asset = self.assets.pop(ctx.num("asset_id"), None)
        if asset is None:
            raise HttpError(404, "Not Found")
        self.releases[asset["release"]]["assets"].remove(asset["id"])
        return 204, None

    # ---- repository ------------------------------------------------------------------------------
    def _op_repos_get_collaborator_permission_level(self, ctx: _Ctx) -> tuple[int, Any]:
        user = ctx.params["username"]
        role = self.permissions.get(user, self.default_permission)
        collaborator = self.spec.skeleton_at("repository-collaborator-permission", "user")
        collaborator.update({k: v for k, v in self._user(user).items() if k in collaborator})
        collaborator["permissions"] = {
            "admin": role == "admin",
            "maintain": role in ("admin", "maintain"),
            "push": role in ("admin", "maintain", "write"),
            "triage": role not in ("read", "none"),
            "pull": role != "none",
        }
        return 200, {"permission": LEGACY_PERMISSION[role], "role_name": role, "user": collaborator}

    def _op_actions_create_workflow_dispatch(self, ctx: _Ctx) -> tuple[int, Any]:
        inputs = ctx.body.get("inputs") or {}
        if len(inputs) > 10:
            raise HttpError(422, "inputs are too large: at most 10 inputs")
        self.dispatches.append(
            {"kind": "workflow", "workflow": ctx.params["workflow_id"], "ref": ctx.body["ref"], "inputs": dict(inputs)}
        )
        return 204, None

    def _op_repos_create_dispatch_event(self, ctx: _Ctx) -> tuple[int, Any]:
        payload = ctx.body.get("client_payload") or {}
        if len(payload) > 10:
            raise HttpError(422, "client_payload has too many top-level properties: at most 10")
        self.dispatches.append({"kind": "repository", "event_type": ctx.body["event_type"], "client_payload": dict(payload)})
        return 204, None

    def _op_billing_get_github_billing_premium_request_usage_report_org(self, ctx: _Ctx) -> tuple[int, Any]:
        """Seeded usage (``add_premium_usage``) for the asked year/month/day/user; year and month default to now's."""
        year = int(ctx.q("year") or 2026)
        month = ctx.q("month")
        day = ctx.q("day")
        user = ctx.q("user")
        items = []
        for record in self.premium_usage:
            y, m, d = (int(x) for x in record["date"].split("-"))
            if y != year or (month and m != int(month)) or (day and d != int(day)):
                continue
            if user and record["user"].lower() != user.lower():
                continue
            items.append(dict(record["item"]))
        period: dict[str, int] = {"year": year}
        if month:
            period["month"] = int(month)
        if day:
            period["day"] = int(day)
        out: dict[str, Any] = {"timePeriod": period, "organization": self.owner, "usageItems": items}
        if user:
            out["user"] = user
        return 200, out

    def add_premium_usage(
        self,
        user: str,
        date: str,
        *,
        quantity: float,
        price: float = 0.04,
        net: float | None = None,
        model: str = "Claude Sonnet 4",
        product: str = "Copilot",
    ) -> None:
        """Seed one day of premium-request usage for ``user`` (``date`` YYYY-MM-DD), as GitHub's report lists it."""
        gross = round(quantity * price, 4)
        net_amount = gross if net is None else net
        self.premium_usage.append(
            {
                "user": user,
                "date": date,
                "item": {
                    "product": product,
                    "sku": "Copilot Premium Request",
                    "model": model,
                    "unitType": "requests",
                    "pricePerUnit": price,
                    "grossQuantity": quantity,
                    "grossAmount": gross,
                    "discountQuantity": round((gross - net_amount) / price, 4) if price else 0.0,
                    "discountAmount": round(gross - net_amount, 4),
                    "netQuantity": round(net_amount / price, 4) if price else 0.0,
                    "netAmount": net_amount,
                },
            }
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_op_"):

            def not_implemented(ctx: _Ctx) -> tuple[int, Any]:
                message = f"apidouble: {ctx.op.operation_id} is in the OpenAPI subset but not implemented by the double"
                self.violations.append(message)
                raise HttpError(501, message)

            return not_implemented
        raise AttributeError(name)


_REASONS = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Validation Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _stable_id(name: str) -> int:
    """The same id for the same login/repository in every run (``hash`` is salted per process)."""
    return zlib.crc32(name.encode()) % 10_000_000 + 1


def _error_body(message: str, errors: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "documentation_url": "https://docs.github.com/rest"}
    if errors:
        body["errors"] = list(errors)
    return body


def _file_record(f: Any) -> dict[str, Any]:
    get = f.get if isinstance(f, Mapping) else (lambda key, default=None: getattr(f, key, default))
    path = get("path") or get("filename")
    if not path:
        raise ValueError(f"apidouble: a pull request file needs a path: {f!r}")
    return {
        "path": path,
        "status": get("status", "modified") or "modified",
        "additions": int(get("additions", 0) or 0),
        "deletions": int(get("deletions", 0) or 0),
        "patch": get("patch"),
        "previous_path": get("previous_path") or get("previous_filename"),
    }


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _diff_lines(patch: str, side: str) -> tuple[set[int], str]:
    """Line numbers a review comment may target on ``side`` (LEFT: old file, RIGHT: new file)."""
    lines: set[int] = set()
    old = new = 0
    for text in patch.splitlines():
        found = _HUNK.match(text)
        if found:
            old, new = int(found.group(1)), int(found.group(3))
            continue
        if text.startswith("+"):
            if side == "RIGHT":
                lines.add(new)
            new += 1
        elif text.startswith("-"):
            if side == "LEFT":
                lines.add(old)
            old += 1
        elif text.startswith("\\"):
            continue
        else:
            lines.add(new if side == "RIGHT" else old)
            old += 1
            new += 1
    return lines, patch


class _Handler(BaseHTTPRequestHandler):
    double: GitHubDouble
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            status, headers, payload = self.double.handle(self.command, self.path, self.headers, raw)
        except Exception as err:  # noqa: BLE001 - a bug in the double (any bug): make the test fail loudly
            message = f"apidouble crashed on {self.command} {self.path}: {type(err).__name__}: {err}"
            self.double.violations.append(message)
            status, headers, payload = 500, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass
