"""The embedded, offline forge: GitHub's objects kept as JSON under ``.leadforge/forge/``.

It lets the whole pipeline run with no network (``leadforge demo``, local
``leadforge review``), and it is what tests of the areas use. Pull request files
are read from the real git repository when a pull request was not seeded with
them, so a local review sees the same diff GitHub would show.
"""

from __future__ import annotations

import fcntl
import json
import mimetypes
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from leadforge.errors import ForgeError, NotFoundError
from leadforge.forge.base import REVIEW_STATE_OF_EVENT, check_review_event, check_status_state
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
from leadforge.fsutil import atomic_write

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Record = TypeVar("Record", bound="DataclassInstance")

STATE_DIR = Path(".leadforge/forge")
LOCAL_USER = "leadforge-local"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _build(cls: type[Record], record: Mapping[str, Any]) -> Record:
    """A forge record (frozen dataclass) from its JSON state; lists come back as tuples."""
    names = {f.name for f in fields(cls)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in record.items() if k in names}
    return cls(**values)


class LocalForge:
    """Implements ``leadforge.forge.base.Forge`` on files. Safe across processes (file lock)."""

    def __init__(
        self,
        repo_path: str | Path = ".",
        repository: str = "local/repo",
        *,
        state_dir: str | Path | None = None,
        user: str = LOCAL_USER,
    ) -> None:
        self.repo_path = Path(repo_path)
        self.repository = repository or "local/repo"
        self.root = Path(state_dir) if state_dir else self.repo_path / STATE_DIR
        self.user = user
        self.login = user
        self.url = f"file://{self.root.resolve()}"

    # ---- storage ------------------------------------------------------------------------------
    @property
    def _file(self) -> Path:
        return self.root / "state.json"

    def _empty(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "next_number": 1,
            "next_id": 1,
            "issues": {},
            "comments": {},
            "pulls": {},
            "reviews": {},
            "review_comments": {},
            "statuses": {},
            "check_runs": {},
            "releases": {},
            "assets": {},
            "permissions": {},
            "dispatches": [],
            "premium_usage": [],
        }

    @contextmanager
    def _state(self, write: bool = True) -> Iterator[dict[str, Any]]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
            try:
                try:
                    state = json.loads(self._file.read_text(encoding="utf-8"))
                except FileNotFoundError:
                    state = self._empty()
                except json.JSONDecodeError as err:
                    raise ForgeError(f"{self._file}: local forge state is corrupt ({err.msg}); delete it to start over") from None
                except UnicodeDecodeError:
                    raise ForgeError(f"{self._file}: local forge state is corrupt (not UTF-8); delete it to start over") from None
                if not isinstance(state, dict) or not isinstance(state.get("issues"), dict):
                    raise ForgeError(f"{self._file}: local forge state is corrupt (not a state object); delete it to start over")
                yield state
                if write:
                    atomic_write(self._file, json.dumps(state, indent=1, sort_keys=True))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _next_id(self, state: dict[str, Any]) -> int:
        value = state["next_id"]
        state["next_id"] = value + 1
        return int(value)

    def _issue_record(self, state: dict[str, Any], number: int) -> dict[str, Any]:
        record: dict[str, Any] | None = state["issues"].get(str(number))
        if record is None:
            raise NotFoundError(f"{self.repository}: issue #{number} not found (local forge)")
        return record

    def _pull_record(self, state: dict[str, Any], number: int) -> dict[str, Any]:
        record: dict[str, Any] | None = state["pulls"].get(str(number))
        if record is None:
            raise NotFoundError(f"{self.repository}: pull request #{number} not found (local forge)")
        return record

    def _web(self, kind: str, number: int | str) -> str:
        return f"local://{self.repository}/{kind}/{number}"

    # ---- seeding (demo and tests play the part of GitHub's users) ------------------------------
    def open_issue(self, title: str, body: str = "", *, labels: Sequence[str] = (), author: str = "octocat") -> Issue:
        with self._state() as state:
            number = state["next_number"]
            state["next_number"] = number + 1
            now = _now()
            state["issues"][str(number)] = {
                "number": number,
                "title": title,
                "body": body,
                "state": "open",
                "labels": list(labels),
                "assignees": [],
                "author": author,
                "url": self._web("issues", number),
                "created_at": now,
                "updated_at": now,
                "is_pull_request": False,
                "comments": [],
            }
            return _build(Issue, state["issues"][str(number)])

    def open_pull(
        self,
        title: str,
        *,
        head: str,
        base: str = "main",
        body: str = "",
        head_sha: str = "",
        base_sha: str = "",
        author: str = "octocat",
        files: Sequence[ChangedFile] | None = None,
        head_repo: str | None = None,
        labels: Sequence[str] = (),
        draft: bool = False,
    ) -> PullRequest:
        with self._state() as state:
            number = state["next_number"]
            state["next_number"] = number + 1
            now = _now()
            record = {
                "number": number,
                "title": title,
                "body": body,
                "state": "open",
                "merged": False,
                "merged_at": "",
                "merge_commit_sha": "",
                "draft": draft,
                "head_ref": head,
                "head_sha": head_sha,
                "head_repo": head_repo or self.repository,
                "base_ref": base,
                "base_sha": base_sha,
                "author": author,
                "url": self._web("pull", number),
                "labels": list(labels),
                "created_at": now,
                "updated_at": now,
                "files": [asdict(f) for f in files] if files is not None else None,
                "commits": [],
            }
            state["pulls"][str(number)] = record
            state["issues"][str(number)] = {
                "number": number,
                "title": title,
                "body": body,
                "state": "open",
                "labels": list(labels),
                "assignees": [],
                "author": author,
                "url": record["url"],
                "created_at": now,
                "updated_at": now,
                "is_pull_request": True,
                "comments": [],
            }
            return _build(PullRequest, record)

    def update_pull(self, number: int, **changes: Any) -> PullRequest:
        """Seeding: change fields of a pull request (a push moves ``head_sha``, for example)."""
        with self._state() as state:
            record = self._pull_record(state, number)
            for key, value in changes.items():
                record[key] = [asdict(f) for f in value] if key == "files" and value is not None else value
            record["updated_at"] = _now()
            return _build(PullRequest, record)

    def merge_pull(self, number: int, merge_commit_sha: str = "") -> PullRequest:
        with self._state() as state:
            record = self._pull_record(state, number)
            record.update(state="closed", merged=True, merged_at=_now(), merge_commit_sha=merge_commit_sha)
            state["issues"][str(number)]["state"] = "closed"
            return _build(PullRequest, record)

    def set_permission(self, username: str, permission: str) -> None:
        with self._state() as state:
            state["permissions"][username] = permission

    def dispatches(self) -> list[dict[str, Any]]:
        with self._state(write=False) as state:
            return list(state["dispatches"])

    # ---- issues ---------------------------------------------------------------------------------
    def get_issue(self, number: int) -> Issue:
        with self._state(write=False) as state:
            return _build(Issue, self._issue_record(state, number))

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> Issue:
        return self.open_issue(title, body, labels=labels, author=self.user)

    def update_issue(self, number: int, *, title: str | None = None, body: str | None = None) -> Issue:
        with self._state() as state:
            record = self._issue_record(state, number)
            if title is not None:
                record["title"] = title
            if body is not None:
                record["body"] = body
            record["updated_at"] = _now()
            return _build(Issue, record)

    def list_issues(self, *, state: str = "open", labels: Sequence[str] = ()) -> list[Issue]:
        with self._state(write=False) as data:
            found = []
            for record in data["issues"].values():
                if record["is_pull_request"]:
                    continue
                if state != "all" and record["state"] != state:
                    continue
                if not set(labels) <= set(record["labels"]):
                    continue
                found.append(_build(Issue, record))
            return sorted(found, key=lambda i: i.number)

    def close_issue(self, number: int, reason: str = "completed") -> None:
        with self._state() as state:
            record = self._issue_record(state, number)
            record.update(state="closed", state_reason=reason, updated_at=_now())

    def list_issue_comments(self, number: int) -> list[Comment]:
        with self._state(write=False) as state:
            record = self._issue_record(state, number)
            return [_build(Comment, state["comments"][str(cid)]) for cid in record["comments"]]

    def create_issue_comment(self, number: int, body: str) -> Comment:
        with self._state() as state:
            record = self._issue_record(state, number)
            cid = self._next_id(state)
            now = _now()
            state["comments"][str(cid)] = {
                "id": cid,
                "body": body,
                "author": self.user,
                "url": f"{record['url']}#issuecomment-{cid}",
                "created_at": now,
                "updated_at": now,
                "issue": number,
            }
            record["comments"].append(cid)
            return _build(Comment, state["comments"][str(cid)])

    def add_comment_as(self, number: int, body: str, author: str) -> Comment:
        """Seeding: a comment written by someone else (a maintainer's slash command, say)."""
        comment = self.create_issue_comment(number, body)
        with self._state() as state:
            state["comments"][str(comment.id)]["author"] = author
            return _build(Comment, state["comments"][str(comment.id)])

    def update_issue_comment(self, comment_id: int, body: str) -> Comment:
        with self._state() as state:
            record = state["comments"].get(str(comment_id))
            if record is None:
                raise NotFoundError(f"{self.repository}: comment {comment_id} not found (local forge)")
            record.update(body=body, updated_at=_now())
            return _build(Comment, record)

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        with self._state() as state:
            record = self._issue_record(state, number)
            for label in labels:
                if label not in record["labels"]:
                    record["labels"].append(label)
            if str(number) in state["pulls"]:
                state["pulls"][str(number)]["labels"] = list(record["labels"])

    def remove_label(self, number: int, label: str) -> None:
        with self._state() as state:
            record = self._issue_record(state, number)
            if label in record["labels"]:
                record["labels"].remove(label)
            if str(number) in state["pulls"]:
                state["pulls"][str(number)]["labels"] = list(record["labels"])

    def add_assignees(self, number: int, assignees: Sequence[str]) -> None:
        with self._state() as state:
            record = self._issue_record(state, number)
            for user in assignees:
                if user not in record["assignees"]:
                    record["assignees"].append(user)

    # ---- pull requests --------------------------------------------------------------------------
    def get_pull(self, number: int) -> PullRequest:
        with self._state(write=False) as state:
            return _build(PullRequest, self._pull_record(state, number))

    def list_pulls(self, *, state: str = "open", head: str | None = None, base: str | None = None) -> list[PullRequest]:
        with self._state(write=False) as data:
            found = []
            for record in data["pulls"].values():
                if state != "all" and record["state"] != state:
                    continue
                if head is not None and record["head_ref"] != head.split(":")[-1]:
                    continue
                if base is not None and record["base_ref"] != base:
                    continue
                found.append(_build(PullRequest, record))
            return sorted(found, key=lambda p: p.number)

    def create_pull(self, *, title: str, body: str, head: str, base: str, draft: bool = False) -> PullRequest:
        from leadforge.gitrepo import GitRepo

        git = GitRepo(self.repo_path)
        head_sha = git.rev_parse(head) if git.ref_exists(head) else ""
        base_sha = git.rev_parse(base) if git.ref_exists(base) else ""
        return self.open_pull(
            title, head=head, base=base, body=body, head_sha=head_sha, base_sha=base_sha, author=self.user, draft=draft
        )

    def list_pull_files(self, number: int) -> list[ChangedFile]:
        with self._state(write=False) as state:
            record = self._pull_record(state, number)
        if record.get("files") is not None:
            return [_build(ChangedFile, f) for f in record["files"]]
        return _files_from_git(self.repo_path, record["base_sha"] or record["base_ref"], record["head_sha"] or record["head_ref"])

    def list_pull_commits(self, number: int) -> list[str]:
        with self._state(write=False) as state:
            record = self._pull_record(state, number)
        if record.get("commits"):
            return list(record["commits"])
        from leadforge.gitrepo import GitRepo

        git = GitRepo(self.repo_path)
        base, head = record["base_sha"] or record["base_ref"], record["head_sha"] or record["head_ref"]
        return git.out("rev-list", "--reverse", f"{base}..{head}").split()

    def list_reviews(self, number: int) -> list[Review]:
        with self._state(write=False) as state:
            self._pull_record(state, number)
            return [_build(Review, r) for r in state["reviews"].values() if r["pull"] == number]

    def create_review(
        self, number: int, *, commit_sha: str, body: str, event: str, comments: Sequence[NewReviewComment] = ()
    ) -> Review:
        check_review_event(event)
        if event != "APPROVE" and not body.strip():
            raise ForgeError(f"a {event} review needs a body (GitHub refuses it with 422)")
        with self._state() as state:
            record = self._pull_record(state, number)
            rid = self._next_id(state)
            review: dict[str, Any] = {
                "id": rid,
                "body": body,
                "state": REVIEW_STATE_OF_EVENT[event],
                "commit_id": commit_sha or record["head_sha"],
                "author": self.user,
                "url": f"{record['url']}#pullrequestreview-{rid}",
                "submitted_at": _now(),
                "pull": number,
            }
            state["reviews"][str(rid)] = review
            for comment in comments:
                self._add_review_comment(state, number, rid, review["commit_id"], comment)
            return _build(Review, review)

    def _add_review_comment(
        self, state: dict[str, Any], number: int, review_id: int | None, commit: str, comment: NewReviewComment
    ) -> dict[str, Any]:
        cid = self._next_id(state)
        record = {
            "id": cid,
            "path": comment.path,
            "body": comment.body,
            "line": comment.line,
            "side": comment.side,
            "start_line": comment.start_line,
            "review_id": review_id,
            "author": self.user,
            "commit_id": commit,
            "url": f"{self._web('pull', number)}#discussion_r{cid}",
            "pull": number,
        }
        state["review_comments"][str(cid)] = record
        return record

    def update_review(self, number: int, review_id: int, body: str) -> Review:
        with self._state() as state:
            review = state["reviews"].get(str(review_id))
            if review is None or review["pull"] != number:
                raise NotFoundError(f"{self.repository}: review {review_id} on #{number} not found (local forge)")
            review["body"] = body
            return _build(Review, review)

    def dismiss_review(self, number: int, review_id: int, message: str) -> None:
        with self._state() as state:
            review = state["reviews"].get(str(review_id))
            if review is None or review["pull"] != number:
                raise NotFoundError(f"{self.repository}: review {review_id} on #{number} not found (local forge)")
            if review["state"] not in {"CHANGES_REQUESTED", "APPROVED"}:
                raise ForgeError(
                    f"review {review_id} is {review['state']}: only approvals and change requests "
                    "can be dismissed (GitHub refuses it with 422)"
                )
            review.update(state="DISMISSED", dismissal_message=message)

    def list_review_comments(self, number: int) -> list[ReviewComment]:
        with self._state(write=False) as state:
            self._pull_record(state, number)
            return [_build(ReviewComment, c) for c in state["review_comments"].values() if c["pull"] == number]

    def create_review_comment(self, number: int, *, commit_sha: str, comment: NewReviewComment) -> ReviewComment:
        with self._state() as state:
            self._pull_record(state, number)
            return _build(ReviewComment, self._add_review_comment(state, number, None, commit_sha, comment))

    def update_review_comment(self, comment_id: int, body: str) -> ReviewComment:
        with self._state() as state:
            record = state["review_comments"].get(str(comment_id))
            if record is None:
                raise NotFoundError(f"{self.repository}: review comment {comment_id} not found (local forge)")
            record["body"] = body
            return _build(ReviewComment, record)

    def delete_review_comment(self, comment_id: int) -> None:
        with self._state() as state:
            if state["review_comments"].pop(str(comment_id), None) is None:
                raise NotFoundError(f"{self.repository}: review comment {comment_id} not found (local forge)")

    # ---- commits: statuses and checks ------------------------------------------------------------
    def create_status(self, sha: str, status: CommitStatus) -> None:
        check_status_state(status.state)
        with self._state() as state:
            entries = [s for s in state["statuses"].get(sha, []) if s["context"] != status.context]
            state["statuses"][sha] = [*entries, asdict(status)]

    def list_statuses(self, sha: str) -> list[CommitStatus]:
        with self._state(write=False) as state:
            return [_build(CommitStatus, s) for s in state["statuses"].get(sha, [])]

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
        with self._state() as state:
            rid = self._next_id(state)
            record = {
                "id": rid,
                "name": name,
                "head_sha": head_sha,
                "status": status,
                "conclusion": conclusion,
                "title": title,
                "summary": summary,
                "url": self._web("runs", rid),
                "annotations": [asdict(a) for a in annotations],
            }
            state["check_runs"][str(rid)] = record
            return _build(CheckRun, record)

    def list_check_runs(self, sha: str) -> list[CheckRun]:
        with self._state(write=False) as state:
            return [_build(CheckRun, r) for r in state["check_runs"].values() if r["head_sha"] == sha]

    # ---- releases --------------------------------------------------------------------------------
    def _release(self, state: dict[str, Any], record: dict[str, Any]) -> Release:
        assets = tuple(_build(Asset, state["assets"][str(a)]) for a in record["assets"])
        return _build(Release, {**record, "assets": assets})

    def get_release_by_tag(self, tag: str) -> Release | None:
        with self._state(write=False) as state:
            for record in state["releases"].values():
                if record["tag"] == tag:
                    return self._release(state, record)
            return None

    def create_release(
        self, *, tag: str, name: str, body: str, draft: bool = False, prerelease: bool = False, target: str = ""
    ) -> Release:
        with self._state() as state:
            if any(r["tag"] == tag for r in state["releases"].values()):
                raise ForgeError(f"{self.repository}: a release for tag {tag} already exists (local forge)")
            rid = self._next_id(state)
            record = {
                "id": rid,
                "tag": tag,
                "name": name,
                "body": body,
                "draft": draft,
                "prerelease": prerelease,
                "url": self._web("releases/tag", tag),
                "target": target,
                "created_at": _now(),
                "assets": [],
            }
            state["releases"][str(rid)] = record
            return self._release(state, record)

    def update_release(
        self,
        release_id: int,
        *,
        name: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        prerelease: bool | None = None,
    ) -> Release:
        with self._state() as state:
            record = state["releases"].get(str(release_id))
            if record is None:
                raise NotFoundError(f"{self.repository}: release {release_id} not found (local forge)")
            for key, value in (("name", name), ("body", body), ("draft", draft), ("prerelease", prerelease)):
                if value is not None:
                    record[key] = value
            return self._release(state, record)

    def upload_asset(self, release_id: int, path: Path, *, name: str | None = None, content_type: str | None = None) -> Asset:
        path = Path(path)
        name = name or path.name
        if not path.is_file():
            raise ForgeError(f"{path}: no such file to upload as release asset {name}")
        with self._state() as state:
            record = state["releases"].get(str(release_id))
            if record is None:
                raise NotFoundError(f"{self.repository}: release {release_id} not found (local forge)")
            for aid in record["assets"]:
                if state["assets"][str(aid)]["name"] == name:
                    raise ForgeError(f"release {record['tag']} already has an asset named {name} (delete it first)")
            aid = self._next_id(state)
            stored = self.root / "assets" / f"{aid}-{name}"
            stored.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, stored)
            asset = {
                "id": aid,
                "name": name,
                "size": stored.stat().st_size,
                "content_type": content_type or mimetypes.guess_type(name)[0] or "application/octet-stream",
                "url": stored.resolve().as_uri(),
            }
            state["assets"][str(aid)] = asset
            record["assets"].append(aid)
            return _build(Asset, asset)

    def delete_asset(self, asset_id: int) -> None:
        with self._state() as state:
            asset = state["assets"].pop(str(asset_id), None)
            if asset is None:
                raise NotFoundError(f"{self.repository}: asset {asset_id} not found (local forge)")
            for record in state["releases"].values():
                if asset_id in record["assets"]:
                    record["assets"].remove(asset_id)
            (self.root / "assets" / f"{asset_id}-{asset['name']}").unlink(missing_ok=True)

    # ---- repository ------------------------------------------------------------------------------
    def get_permission(self, username: str) -> str:
        with self._state(write=False) as state:
            if username == self.user:
                return "admin"
            return str(state["permissions"].get(username, "read"))

    def add_premium_usage(
        self,
        user: str,
        date: str,
        *,
        quantity: float,
        price: float = 0.04,
        net: float | None = None,
        model: str = "Claude Sonnet 4",
    ) -> None:
        """Seed one day (YYYY-MM-DD) of Copilot premium-request usage billed to ``user`` (demos, tests), as
        GitHub's report lists it: ``net`` is what was billed after the included allowance (default: all of it)."""
        gross = round(quantity * price, 4)
        net_amount = gross if net is None else net
        with self._state() as state:
            state.setdefault("premium_usage", []).append(
                {
                    "user": user,
                    "date": date,
                    "item": {
                        "product": "Copilot",
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

    def premium_request_usage(
        self, org: str, *, year: int, month: int, day: int | None = None, user: str | None = None
    ) -> dict[str, Any]:
        with self._state(write=False) as state:
            items = []
            for record in state.get("premium_usage", []):
                y, m, d = (int(x) for x in record["date"].split("-"))
                if (y, m) != (year, month) or (day is not None and d != day):
                    continue
                if user and record["user"].lower() != user.lower():
                    continue
                items.append(dict(record["item"]))
        period: dict[str, int] = {"year": year, "month": month, **({"day": day} if day is not None else {})}
        return {"timePeriod": period, "organization": org, **({"user": user} if user else {}), "usageItems": items}

    def dispatch_workflow(self, workflow: str, ref: str, inputs: Mapping[str, str] | None = None) -> None:
        with self._state() as state:
            state["dispatches"].append(
                {"kind": "workflow", "workflow": workflow, "ref": ref, "inputs": dict(inputs or {}), "at": _now()}
            )

    def repository_dispatch(self, event_type: str, payload: Mapping[str, Any] | None = None) -> None:
        with self._state() as state:
            state["dispatches"].append(
                {"kind": "repository", "event_type": event_type, "client_payload": dict(payload or {}), "at": _now()}
            )


def _files_from_git(repo: Path, base: str, head: str) -> list[ChangedFile]:
    """A pull request's files as GitHub lists them, from ``git diff base...head``."""
    from leadforge.gitrepo import GitRepo

    git = GitRepo(repo)
    numstat = git.run("diff", "--numstat", "-z", "-M", f"{base}...{head}").stdout
    counts: dict[str, tuple[int, int]] = {}
    parts = numstat.split("\0")
    i = 0
    while i < len(parts) - 1:
        fields_ = parts[i].split("\t")
        if len(fields_) == 3 and fields_[2] == "":  # rename: next two parts are old and new path
            adds, dels = fields_[0], fields_[1]
            path = parts[i + 2]
            i += 3
        else:
            adds, dels, path = fields_[0], fields_[1], fields_[2] if len(fields_) > 2 else ""
            i += 1
        counts[path] = (int(adds) if adds.isdigit() else 0, int(dels) if dels.isdigit() else 0)
    statuses = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied", "T": "changed"}
    files = []
    for change in git.changed_files(base, head):
        diff = git.diff(base, head, [change.path] + ([change.old_path] if change.old_path else []))
        patch = _patch_body(diff)
        added, deleted = counts.get(change.path, (0, 0))
        files.append(
            ChangedFile(
                path=change.path,
                status=statuses.get(change.status, "modified"),
                additions=added,
                deletions=deleted,
                patch=patch,
                previous_path=change.old_path,
            )
        )
    return files


def _patch_body(diff: str) -> str | None:
    """GitHub's ``patch`` field: the hunks only, without the ``diff --git``/``---``/``+++`` header."""
    start = diff.find("\n@@")
    if start < 0:
        return None  # binary, or a pure rename
    return diff[start + 1 :].rstrip("\n")
