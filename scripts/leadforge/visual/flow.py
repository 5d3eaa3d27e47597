"""The pull request flows: the report comment (``visual pr``) and accepting new baselines (``visual approve``).

Trust model (see docs/visual.md and the workflows):

* ``visual.yml`` runs the PR's code to take the screenshots, with a read-only token, and
  uploads them as an artifact. Nothing else.
* ``visual-post.yml`` (``workflow_run``, the default branch's code) runs ``visual pr``: it compares
  the artifact's screenshots (untrusted data: decoded with Pillow's limits) with the default
  branch's baseline, pushes the images to the assets branch (never the PR branch), upserts one
  comment and sets the ``leadforge/visual`` commit status. Pages whose exact pixels a writer
  approved before (a record on the assets branch) pass.
* ``visual-approve.yml`` (``issue_comment`` / ``pull_request_target`` label; the default branch's
  code) runs ``visual approve``: only for a sender with write permission, it commits the PR's
  new screenshots (read from the assets branch, where only trusted runs write) as the baseline
  on top of the PR head with git plumbing (the PR's code is never checked out or run), pushes
  it to the PR branch, records the approval and marks the status green.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import InputError

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.gitrepo import GitRepo
    from leadforge.visual.report import Entry
    from leadforge.visual.settings import VisualSettings

COMMENT_KEY = "visual"
STATUS_CONTEXT = "leadforge/visual"
WRITERS = frozenset({"admin", "maintain", "write"})
ICONS = {"unchanged": "⚪", "changed": "🟡", "failed": "🔴", "new": "🆕", "removed": "➖", "approved": "✅"}


# ---- pure decisions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PullTarget:
    number: int
    head_sha: str


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    number: int
    sender: str
    via: str  # comment | label


def pixel_hash(rgba: Any) -> str:
    """Identity of a screenshot's pixels (independent of the PNG encoding)."""
    digest = hashlib.sha256()
    digest.update(f"{rgba.shape[1]}x{rgba.shape[0]}:".encode())
    digest.update(rgba.tobytes())
    return digest.hexdigest()


def apply_approvals(entries: Sequence[Entry], approved: Mapping[str, str], hashes: Mapping[str, str]) -> tuple[Entry, ...]:
    """Failing or new screenshots whose exact pixels were approved on this PR become ``approved``."""
    out = []
    for entry in entries:
        if entry.status in {"failed", "new"} and entry.name in hashes and approved.get(entry.name) == hashes[entry.name]:
            entry = replace(entry, status="approved")
        out.append(entry)
    return tuple(out)


def status_of(passed: bool, counts: Mapping[str, int]) -> tuple[str, str]:
    """The commit status state and its description (at most 140 characters)."""
    parts = [f"{n} {status}" for status, n in counts.items() if n]
    text = ", ".join(parts) or "no screenshots"
    return ("success" if passed else "failure"), (("passed: " if passed else "failed: ") + text)[:140]


def approval_request(event_name: str, payload: Mapping[str, Any], settings: VisualSettings) -> ApprovalRequest | None:
    """Is this event a request to approve the PR's screenshots? (None: not for us.)"""
    if event_name == "issue_comment":
        issue = payload.get("issue") or {}
        comment = payload.get("comment") or {}
        if payload.get("action") != "created" or not issue.get("pull_request"):
            return None
        first_line = (str(comment.get("body") or "").strip().splitlines() or [""])[0].strip()
        if first_line != settings.approve_command:
            return None
        sender = (comment.get("user") or {}).get("login") or (payload.get("sender") or {}).get("login")
        return ApprovalRequest(int(issue["number"]), str(sender or ""), "comment")
    if event_name in {"pull_request", "pull_request_target"}:
        label = (payload.get("label") or {}).get("name")
        if payload.get("action") != "labeled" or label != settings.approve_label:
            return None
        pull = payload.get("pull_request") or {}
        sender = (payload.get("sender") or {}).get("login")
        number: Any = pull.get("number") or payload.get("number")  # event JSON
        return ApprovalRequest(int(number), str(sender or ""), "label")
    return None


def baseline_updates(report: Mapping[str, Any], baseline_dir: str, prefix: str) -> dict[str, str | None]:
    """Baseline path -> the assets-branch image to store there (None: delete), from a PR report."""
    updates: dict[str, str | None] = {}
    for entry in report.get("entries", []):
        name = str(entry.get("name", ""))
        if "/" in name or not name.endswith(".png"):
            raise InputError(f"report entry {name!r}: not a screenshot file name")
        target = f"{baseline_dir.rstrip('/')}/{name}"
        if entry.get("status") in {"changed", "failed", "new", "approved"} and entry.get("after"):
            updates[target] = f"{prefix}/{entry['after']}"
        elif entry.get("status") == "removed":
            updates[target] = None
    return updates


# ---- the PR comment -------------------------------------------------------------------------


def render_comment(
    entries: Sequence[Entry],
    *,
    passed: bool,
    head_sha: str,
    settings: VisualSettings,
    images: str | None,
    run_url: str,
    approved_by: str | None = None,
    repo: Path | None = None,
) -> str:
    from leadforge.visual.report import _environment

    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    template = _environment(repo).get_template("pr-comment.md.j2")
    return (
        template.render(
            entries=entries,
            passed=passed,
            counts=counts,
            head_sha=head_sha,
            images=images,
            run_url=run_url,
            approved_by=approved_by,
            approve_command=settings.approve_command,
            approve_label=settings.approve_label,
            icons=ICONS,
        ).strip()
        + "\n"
    )


def pr_prefix(number: int) -> str:
    return f"pr-{number}"


def _approvals_path(number: int) -> str:
    return f"approvals/{pr_prefix(number)}.json"


def read_approvals(git: GitRepo, remote: str | None, branch: str, number: int) -> dict[str, str]:
    from leadforge.visual.assets import read_file, remote_branch_head

    data = read_file(git, remote_branch_head(git, remote, branch), _approvals_path(number))
    if not data:
        return {}
    try:
        record = json.loads(data)
        return {str(k): str(v["pixels"]) for k, v in record.get("approved", {}).items()}
    except (ValueError, AttributeError, KeyError, TypeError):
        return {}


def _pull_target(app: App, pr: int | None) -> PullTarget:
    event = app.context.event() if app.context.event_path else {}
    number = pr
    head = ""
    run = event.get("workflow_run") or {}
    if number is None and run.get("pull_requests"):
        number = int(run["pull_requests"][0]["number"])
    if number is None and event.get("pull_request"):
        number = int(event["pull_request"]["number"])
    if number is None and run.get("head_sha"):
        # GitHub leaves workflow_run.pull_requests empty for PRs from forks: find it by head
        owner = ((run.get("head_repository") or {}).get("owner") or {}).get("login")
        branch = run.get("head_branch")
        if owner and branch:
            for pull in app.forge.list_pulls(state="open", head=f"{owner}:{branch}"):
                if pull.head_sha == run["head_sha"]:
                    number = pull.number
                    break
    if number is None:
        raise InputError("visual pr: which pull request? pass --pr N (or run on a pull_request/workflow_run event)")
    if run.get("head_sha"):
        head = str(run["head_sha"])
    elif (event.get("pull_request") or {}).get("head", {}).get("sha"):
        head = str(event["pull_request"]["head"]["sha"])
    else:
        head = app.forge.get_pull(number).head_sha
    return PullTarget(number, head)


def run_pr_command(app: App, *, current: str, baseline: str | None, out: str, pr: int | None, remote: str, no_push: bool) -> int:
    from leadforge.forge.base import upsert_issue_comment
    from leadforge.forge.models import CommitStatus
    from leadforge.visual.assets import update_branch
    from leadforge.visual.images import load_rgba
    from leadforge.visual.report import CompareReport, compare_folders, screenshot_names

    settings = app.config.visual
    current_dir = Path(current).expanduser().resolve()
    baseline_dir = Path(baseline).expanduser().resolve() if baseline else app.repo / settings.baseline_dir
    out_dir = Path(out).expanduser().resolve()
    if not screenshot_names(current_dir) and not screenshot_names(baseline_dir):
        app.out.result(
            {"entries": [], "passed": True}, "no screenshots and no baseline (visual.pages is empty?): nothing to report"
        )
        return 0
    target = _pull_target(app, pr)
    if app.dry_run:
        app.out.would(
            f"compare {current_dir} with {baseline_dir}, publish images to {settings.assets_branch}, "
            f"comment on #{target.number} and set {STATUS_CONTEXT} on {target.head_sha[:7]}"
        )
        return 0
    report = compare_folders(settings, baseline_dir, current_dir, out_dir)
    git = app.git
    push_remote = None if no_push else remote
    approvals = read_approvals(git, push_remote, settings.assets_branch, target.number)
    hashes = {}
    if approvals:
        for name, path in screenshot_names(current_dir).items():
            if name in approvals:
                hashes[name] = pixel_hash(load_rgba(path))
    entries = apply_approvals(report.entries, approvals, hashes)
    final = CompareReport(entries, report.folder, report.threshold)
    from leadforge.fsutil import atomic_write

    atomic_write(out_dir / "report.json", json.dumps(final.as_dict(), indent=2) + "\n")

    images_url = None
    if not no_push:
        prefix = f"{pr_prefix(target.number)}/{target.head_sha[:12]}"
        files: dict[str, bytes | None] = {f"{prefix}/report.json": (out_dir / "report.json").read_bytes()}
        for entry in entries:
            for rel in (entry.before, entry.after, entry.diff):
                if rel:
                    files[f"{prefix}/{rel}"] = (out_dir / rel).read_bytes()
        commit = update_branch(
            git,
            remote,
            settings.assets_branch,
            files,
            f"visual: images of #{target.number} at {target.head_sha[:7]}",
            clear_prefix=pr_prefix(target.number),
        )
        repository = app.context.repository or app.forge.repository
        images_url = f"{app.context.server_url}/{repository}/raw/{commit}/{prefix}/"
    body = render_comment(
        entries,
        passed=final.passed,
        head_sha=target.head_sha,
        settings=settings,
        images=images_url,
        run_url=app.context.run_url,
        repo=app.repo,
    )
    comment, action = upsert_issue_comment(app.forge, target.number, COMMENT_KEY, body)
    state, description = status_of(final.passed, final.counts)
    app.forge.create_status(target.head_sha, CommitStatus(STATUS_CONTEXT, state, description, app.context.run_url))
    app.actions.summary(body)
    app.actions.set_output("passed", "true" if final.passed else "false")
    data = {
        **final.as_dict(),
        "pr": target.number,
        "head_sha": target.head_sha,
        "comment": comment.id,
        "comment_action": action,
        "images": images_url,
        "status": state,
    }
    app.out.result(data, f"{description}\ncomment {action} on #{target.number}: {comment.url or comment.id}")
    return 0


# ---- approving ------------------------------------------------------------------------------


def _reply(app: App, number: int, text: str) -> None:
    if app.dry_run:
        app.out.would(f"reply on #{number}: {text}")
        return
    app.forge.create_issue_comment(number, text)
    app.out.info(text)


def run_approve_command(app: App, *, current: str | None, push: bool, remote: str) -> int:
    settings = app.config.visual
    if current:
        return _approve_local(app, settings, Path(current).expanduser().resolve(), push, remote)
    if not app.context.event_path:
        raise InputError("visual approve: run it on an issue_comment or labeled event, or pass --current DIR")
    event = app.context.event()
    request = approval_request(app.context.event_name, event, settings)
    if request is None:
        app.out.result({"approved": False, "reason": "not an approval request"}, "not an approval request: nothing to do")
        return 0
    permission = app.forge.get_permission(request.sender)
    if permission not in WRITERS:
        _reply(
            app,
            request.number,
            f"@{request.sender} only people with write permission can approve screenshots "
            f"(yours: {permission}). Nothing was changed.",
        )
        app.out.result({"approved": False, "reason": "permission", "sender": request.sender}, "")
        return 0
    pull = app.forge.get_pull(request.number)
    if pull.head_repo and app.forge.repository and pull.head_repo != app.forge.repository:
        _reply(
            app,
            request.number,
            f"@{request.sender} this PR comes from the fork {pull.head_repo}; the workflow cannot "
            f"push to it. Run `leadforge visual approve --current DIR` on the branch instead.",
        )
        return 1
    return _approve_from_assets(app, settings, request, pull, push, remote)


def _approve_from_assets(app: App, settings: VisualSettings, request: ApprovalRequest, pull: Any, push: bool, remote: str) -> int:
    from leadforge.forge.base import upsert_issue_comment
    from leadforge.forge.models import CommitStatus
    from leadforge.visual.assets import commit_files, read_file, remote_branch_head, update_branch
    from leadforge.visual.images import optimize_png_bytes
    from leadforge.visual.report import Entry

    git = app.git
    push_remote = remote if push else None
    assets_head = remote_branch_head(git, push_remote, settings.assets_branch)
    prefix = f"{pr_prefix(request.number)}/{pull.head_sha[:12]}"
    raw = read_file(git, assets_head, f"{prefix}/report.json")
    if raw is None:
        _reply(
            app,
            request.number,
            f"@{request.sender} there is no visual report for the PR head {pull.head_sha[:7]} "
            f"yet; wait for the Visual check to finish, then approve again.",
        )
        return 1
    report = json.loads(raw)
    updates = baseline_updates(report, settings.baseline_dir, prefix)
    if not updates:
        _reply(app, request.number, f"@{request.sender} the screenshots already match the baseline: nothing to approve.")
        return 0
    files: dict[str, bytes | None] = {}
    approved: dict[str, dict[str, str]] = {}
    from leadforge.visual.images import decode_png

    for target, source in updates.items():
        if source is None:
            files[target] = None
            continue
        data = read_file(git, assets_head, source)
        if data is None:
            raise InputError(f"{settings.assets_branch}:{source}: image missing from the assets branch")
        files[target] = optimize_png_bytes(data, source=source)
        name = target.rsplit("/", 1)[-1]
        pixels = decode_png(data, source=f"{settings.assets_branch}:{source}")
        approved[name] = {"pixels": pixel_hash(pixels), "by": request.sender, "head": pull.head_sha}
    if app.dry_run:
        for target in sorted(files):
            app.out.would(
                ("delete " if files[target] is None else "write ") + f"{target} in a commit on top of "
                f"{pull.head_ref} ({pull.head_sha[:7]})" + (f" and push it to {remote}" if push_remote else "")
            )
        app.out.would(
            f"record the approval of #{request.number} on {settings.assets_branch}, update the comment "
            f"and set {STATUS_CONTEXT} to success"
        )
        return 0
    # the baseline commit, on top of the PR head (fetched, never checked out)
    if push_remote and git.remote_url(push_remote):
        git.run("fetch", "-q", push_remote, f"+refs/heads/{pull.head_ref}:refs/remotes/{push_remote}/{pull.head_ref}")
    head = pull.head_sha
    message = f"chore(visual): accept new screenshots (approved by @{request.sender})"
    commit = commit_files(git, head, files, message)
    if commit is not None:
        if push_remote and git.remote_url(push_remote):
            git.push(push_remote, f"{commit}:refs/heads/{pull.head_ref}")
        else:
            git.run("update-ref", f"refs/heads/{pull.head_ref}", commit, head)
    new_head = commit or head
    previous = read_approvals(git, push_remote, settings.assets_branch, request.number)
    record = {"approved": {**{k: {"pixels": v} for k, v in previous.items()}, **approved}}
    update_branch(
        git,
        push_remote,
        settings.assets_branch,
        {_approvals_path(request.number): (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()},
        f"visual: approval of #{request.number} by @{request.sender}",
    )
    entries = tuple(
        replace(Entry(**e), status="approved") if e.get("status") in {"failed", "new", "changed"} else Entry(**e)
        for e in report.get("entries", [])
    )
    repository = app.context.repository or app.forge.repository
    images = f"{app.context.server_url}/{repository}/raw/{assets_head}/{prefix}/" if assets_head else None
    body = render_comment(
        entries,
        passed=True,
        head_sha=new_head,
        settings=settings,
        images=images,
        run_url=app.context.run_url,
        approved_by=request.sender,
        repo=app.repo,
    )
    upsert_issue_comment(app.forge, request.number, COMMENT_KEY, body)
    app.forge.create_status(
        new_head, CommitStatus(STATUS_CONTEXT, "success", f"approved by @{request.sender}", app.context.run_url)
    )
    result = {
        "approved": True,
        "pr": request.number,
        "by": request.sender,
        "commit": commit,
        "baseline": sorted(files),
        "via": request.via,
    }
    app.out.result(
        result,
        f"accepted {len(files)} screenshot(s) as the baseline of #{request.number}"
        + (f" in {commit[:7]}" if commit else " (already there)"),
    )
    return 0


def _approve_local(app: App, settings: VisualSettings, current: Path, push: bool, remote: str) -> int:
    """Developer mode: copy ``current`` into the baseline folder and commit on the checked-out branch."""
    from leadforge.visual.report import screenshot_names

    files = screenshot_names(current)
    if not files:
        raise InputError(f"{current}: no screenshots to approve")
    target = app.repo / settings.baseline_dir
    if app.dry_run:
        for name in files:
            app.out.would(f"copy {name} to {target}")
        return 0
    target.mkdir(parents=True, exist_ok=True)
    for name, path in files.items():
        shutil.copyfile(path, target / name)
    git = app.git
    git.add([settings.baseline_dir])
    commit = None
    if git.has_staged_changes():
        commit = git.commit("chore(visual): accept new screenshots")
        if push and git.remote_url(remote):
            git.push(remote, f"HEAD:refs/heads/{git.current_branch()}")
    app.out.result(
        {"approved": True, "commit": commit, "baseline": sorted(files)},
        f"accepted {len(files)} screenshot(s) as the baseline" + (f" in {commit[:7]}" if commit else " (unchanged)"),
    )
    return 0
