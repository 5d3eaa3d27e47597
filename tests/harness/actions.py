"""What ``uses:`` steps become in the harness: local stand-ins for the actions LeadForge uses.

Each emulation gets a :class:`UsesContext` and returns the step's outputs, or raises
:class:`StepFailed` (the step fails with that message, like the action would).

* ``actions/checkout``: clones the harness remote (the test's repo) into the workspace, at the
  event's commit or at ``ref:``, into ``path:``; ``repository:`` naming another repo is recorded only.
* ``actions/setup-python`` / ``actions/setup-node``: no-ops (the harness PATH already has the
  project's venv and node); outputs the versions found.
* ``actions/upload-artifact`` / ``actions/download-artifact``: a local artifact store shared by all
  jobs and workflows of one :class:`~tests.harness.Harness`.
* ``actions/upload-pages-artifact``: stores the site folder as the ``github-pages`` artifact (files,
  not the tarball); ``actions/configure-pages`` / ``actions/deploy-pages``: recorded, with outputs.
* ``github/codeql-action/upload-sarif``: recorded, not uploaded; fails like the action when the SARIF
  file is missing or is not a SARIF 2.1.0 log. ``actions/cache``: recorded, always a miss.
* ``astral-sh/setup-uv``: puts the uv shim (``tests/harness/shims.py``) on the job's PATH; its cache is a miss.
* ``pypa/gh-action-pypi-publish``: recorded, not uploaded; fails like the action when ``packages-dir`` holds no
  distributions, or when it would use trusted publishing (no ``password``) in a job without ``id-token: write``.
* ``actions/attest-build-provenance``: recorded, not signed; fails like the action without ``id-token: write`` or
  without a subject (``subject-path``, or ``subject-name`` with a ``sha256:`` ``subject-digest``).
* composite actions (``./x``, ``$/x``, and ``owner/repo@ref`` of a repository in ``Harness(repositories=)``) are
  not emulated here: the runner runs their steps (``tests/harness/runner.py``).
* anything else (cloud credentials, ...): recorded in ``RunResult.uses`` with its evaluated ``with:``
  inputs and nothing run.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EMULATED", "StepFailed", "UsesCall", "UsesContext", "emulate"]


class StepFailed(Exception):
    """An emulated action failed; the message becomes an ``::error::`` annotation."""


@dataclass
class UsesCall:
    """One ``uses:`` step as the harness saw it."""

    job: str
    step: str
    action: str  # "owner/repo[/path]" without the @ref
    ref: str  # the pinned SHA (or tag) after '@'
    with_: dict[str, Any]
    workspace: Path
    emulated: bool  # True: the harness did what the action does; False: only recorded
    outputs: dict[str, str] = field(default_factory=dict)

    def path(self, input_name: str) -> Path:
        """An input that names a file, resolved against the job's workspace (e.g. ``sarif_file``)."""
        value = str(self.with_.get(input_name, ""))
        return (self.workspace / value).resolve() if value else self.workspace


@dataclass
class UsesContext:
    """What an emulation may touch."""

    call: UsesCall
    remote: Path  # the bare repo standing in for GitHub's copy of the repository
    repository: str  # owner/name of the run
    sha: str
    ref: str
    artifacts: Path  # the artifact store root: one folder per artifact name
    uploaded_this_run: set[str]
    warn: Callable[[str], None]
    env: dict[str, str]
    add_path: Callable[[str], None] = lambda folder: None  # like a line in GITHUB_PATH
    uv_bin: Path | None = None  # the folder with the uv shim (tests/harness/shims.py)


def _git(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise StepFailed(f"git {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def _empty_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _checkout(ctx: UsesContext) -> dict[str, str]:
    w = ctx.call.with_
    repository = str(w.get("repository") or ctx.repository)
    if repository.lower() != ctx.repository.lower():
        ctx.call.emulated = False
        ctx.warn(f"checkout of another repository ({repository}) is not emulated; recorded only")
        return {}
    workspace = ctx.call.workspace
    dest = (workspace / str(w.get("path") or "")).resolve()
    if workspace.resolve() not in (dest, *dest.parents):
        raise StepFailed(f"checkout path {w.get('path')!r} is outside the workspace")
    _empty_dir(dest)
    env = {k: v for k, v in ctx.env.items() if not k.startswith("GIT_")} | {"GIT_TERMINAL_PROMPT": "0"}
    _git(["clone", "--quiet", "--no-checkout", str(ctx.remote), str(dest)], workspace, env)
    ref = str(w.get("ref") or "")
    if not ref:
        # the event's commit, on its branch when the ref is a branch (like the action does for push)
        if ctx.ref.startswith("refs/heads/"):
            branch = ctx.ref[len("refs/heads/") :]
            remote_head = subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{branch}"],
                cwd=dest,
                capture_output=True,
                text=True,
            ).stdout.strip()
            if remote_head == ctx.sha:
                _git(["checkout", "--quiet", "--force", "-B", branch, f"refs/remotes/origin/{branch}"], dest, env)
            else:
                _git(["checkout", "--quiet", "--force", "--detach", ctx.sha], dest, env)
        else:
            _git(["checkout", "--quiet", "--force", "--detach", ctx.sha], dest, env)
    else:
        name = ref.removeprefix("refs/heads/")
        is_branch = (
            subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{name}"], cwd=dest, capture_output=True
            ).returncode
            == 0
        )
        if is_branch:
            _git(["checkout", "--quiet", "--force", "-B", name, f"refs/remotes/origin/{name}"], dest, env)
        else:
            target = ref.removeprefix("refs/tags/")
            _git(["checkout", "--quiet", "--force", "--detach", target], dest, env)
    # fetch-depth/fetch-tags need nothing: a local clone already has the whole history and every tag
    commit = _git(["rev-parse", "HEAD"], dest, env)
    return {"ref": ref or ctx.ref, "commit": commit}


def _setup_python(ctx: UsesContext) -> dict[str, str]:
    version = ".".join(str(part) for part in sys.version_info[:3])
    return {"python-version": version, "python-path": str(Path(sys.prefix) / "bin" / "python"), "cache-hit": "false"}


def _setup_node(ctx: UsesContext) -> dict[str, str]:
    node = shutil.which("node", path=ctx.env.get("PATH"))
    if not node:
        raise StepFailed("setup-node: no node on PATH (the harness uses the machine's node)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    return {"node-version": version, "cache-hit": "false"}


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def _is_hidden(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = path.parts
    return any(part.startswith(".") for part in parts)


def _upload_files(ctx: UsesContext, patterns: list[str], include_hidden: bool) -> tuple[Path, list[Path]]:
    """Resolve upload-artifact ``path:`` lines to files and their common root, as the action does."""
    workspace = ctx.call.workspace
    includes = [p for p in patterns if not p.startswith("!")]
    excludes = [p[1:] for p in patterns if p.startswith("!")]
    files: set[Path] = set()
    roots: list[Path] = []
    for pattern in includes:
        full = pattern if os.path.isabs(pattern) else str(workspace / pattern)
        for hit in sorted(glob.glob(full, recursive=True, include_hidden=True)):
            hit_path = Path(hit)
            if hit_path.is_dir():
                roots.append(hit_path)
                search_root = hit_path
                for found in hit_path.rglob("*"):
                    if found.is_file() and (include_hidden or not _is_hidden(found, search_root)):
                        files.add(found)
            elif hit_path.is_file():
                roots.append(hit_path.parent)
                if include_hidden or not hit_path.name.startswith("."):
                    files.add(hit_path)
    for pattern in excludes:
        full = pattern if os.path.isabs(pattern) else str(workspace / pattern)
        for hit in glob.glob(full, recursive=True, include_hidden=True):
            hit_path = Path(hit)
            files.discard(hit_path)
            if hit_path.is_dir():
                files = {f for f in files if hit_path not in f.parents}
    if not files:
        return workspace, []
    root = Path(os.path.commonpath([str(r) for r in roots])) if roots else workspace
    return root, sorted(files)


def _store(ctx: UsesContext, name: str, root: Path, files: list[Path], overwrite: bool) -> dict[str, str]:
    target = ctx.artifacts / name
    if name in ctx.uploaded_this_run and not overwrite:
        raise StepFailed(f"an artifact named {name!r} was already uploaded in this run (set overwrite: true)")
    if target.exists():
        shutil.rmtree(target)
    for file in files:
        dest = target / file.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, dest)
    target.mkdir(parents=True, exist_ok=True)
    ctx.uploaded_this_run.add(name)
    artifact_id = str(zlib.crc32(name.encode("utf-8")))
    return {"artifact-id": artifact_id, "artifact-url": f"harness-artifact://{name}", "artifact-digest": ""}


def _upload_artifact(ctx: UsesContext) -> dict[str, str]:
    w = ctx.call.with_
    name = str(w.get("name") or "artifact")
    patterns = _lines(w.get("path"))
    if not patterns:
        raise StepFailed("upload-artifact: input 'path' is required")
    include_hidden = str(w.get("include-hidden-files", "false")).lower() == "true"
    root, files = _upload_files(ctx, patterns, include_hidden)
    if not files:
        mode = str(w.get("if-no-files-found") or "warn")
        message = f"No files were found with the provided path: {' '.join(patterns)}. No artifacts will be uploaded."
        if mode == "error":
            raise StepFailed(message)
        if mode == "warn":
            ctx.warn(message)
        return {}
    return _store(ctx, name, root, files, str(w.get("overwrite", "false")).lower() == "true")


def _download_artifact(ctx: UsesContext) -> dict[str, str]:
    w = ctx.call.with_
    workspace = ctx.call.workspace
    dest = Path(str(w.get("path") or workspace))
    if not dest.is_absolute():
        dest = workspace / dest
    name = str(w.get("name") or "")
    if name:
        source = ctx.artifacts / name
        if not source.is_dir():
            known = sorted(p.name for p in ctx.artifacts.iterdir()) if ctx.artifacts.exists() else []
            raise StepFailed(f"Unable to download artifact(s): Artifact not found for name: {name} (have: {known})")
        shutil.copytree(source, dest, dirs_exist_ok=True)
        return {"download-path": str(dest)}
    pattern = str(w.get("pattern") or "*")
    merge = str(w.get("merge-multiple", "false")).lower() == "true"
    for source in sorted(ctx.artifacts.iterdir()) if ctx.artifacts.exists() else []:
        if source.is_dir() and fnmatch.fnmatch(source.name, pattern):
            shutil.copytree(source, dest if merge else dest / source.name, dirs_exist_ok=True)
    return {"download-path": str(dest)}


def _upload_pages_artifact(ctx: UsesContext) -> dict[str, str]:
    w = ctx.call.with_
    site = Path(str(w.get("path") or "_site"))
    if not site.is_absolute():
        site = ctx.call.workspace / site
    if not site.is_dir():
        raise StepFailed(f"upload-pages-artifact: {site} is not a directory")
    files = [p for p in site.rglob("*") if p.is_file() and not _is_hidden(p, site)]
    name = str(w.get("name") or "github-pages")
    return _store(ctx, name, site, files, overwrite=True)


def _configure_pages(ctx: UsesContext) -> dict[str, str]:
    ctx.call.emulated = False
    owner, _, repo = ctx.repository.partition("/")
    host = f"{owner.lower()}.github.io"
    return {"base_url": f"https://{host}/{repo}", "origin": f"https://{host}", "host": host, "base_path": f"/{repo}"}


def _deploy_pages(ctx: UsesContext) -> dict[str, str]:
    ctx.call.emulated = False
    if not (ctx.artifacts / str(ctx.call.with_.get("artifact_name") or "github-pages")).is_dir():
        raise StepFailed("deploy-pages: no github-pages artifact was uploaded")
    owner, _, repo = ctx.repository.partition("/")
    return {"page_url": f"https://{owner.lower()}.github.io/{repo}/"}


def _upload_sarif(ctx: UsesContext) -> dict[str, str]:
    """Recorded, not uploaded; but like the real action it fails on a missing or malformed SARIF file."""
    ctx.call.emulated = False
    target = ctx.call.path("sarif_file") if ctx.call.with_.get("sarif_file") else ctx.call.workspace / "../results"
    files = sorted(target.rglob("*.sarif")) if target.is_dir() else [target]
    if not files or not files[0].exists():
        raise StepFailed(f"upload-sarif: Path does not exist: {target}")
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise StepFailed(f"upload-sarif: {file} is not valid JSON: {err}") from None
        if not isinstance(data, dict) or data.get("version") != "2.1.0" or not isinstance(data.get("runs"), list):
            raise StepFailed(f"upload-sarif: {file} is not a SARIF 2.1.0 log (needs version 2.1.0 and a runs list)")
    return {"sarif-id": f"harness-{zlib.crc32(str(files).encode('utf-8'))}"}


def _cache(ctx: UsesContext) -> dict[str, str]:
    ctx.call.emulated = False
    return {"cache-hit": "false"}  # always a miss: the step that fills the cache runs


def _setup_uv(ctx: UsesContext) -> dict[str, str]:
    if ctx.uv_bin is None:
        raise StepFailed("setup-uv: the harness has no uv shim")
    ctx.add_path(str(ctx.uv_bin))
    version = str(ctx.call.with_.get("version") or "latest")
    return {"uv-version": version, "uv-path": str(ctx.uv_bin / "uv"), "uvx-path": str(ctx.uv_bin / "uvx"), "cache-hit": "false"}


def _has_oidc(ctx: UsesContext) -> bool:
    return bool(ctx.env.get("ACTIONS_ID_TOKEN_REQUEST_URL") and ctx.env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))


def _pypi_publish(ctx: UsesContext) -> dict[str, str]:
    """Recorded, not uploaded; but it checks what the real action checks before it uploads anything."""
    ctx.call.emulated = False
    folder = ctx.call.path("packages-dir") if ctx.call.with_.get("packages-dir") else ctx.call.workspace / "dist"
    dists = sorted(p.name for p in folder.iterdir() if p.name.endswith((".whl", ".tar.gz"))) if folder.is_dir() else []
    if not dists:
        raise StepFailed(f"pypi-publish: no distribution packages (*.whl, *.tar.gz) in {folder}")
    if not ctx.call.with_.get("password") and not _has_oidc(ctx):
        raise StepFailed(
            "Trusted publishing exchange failure: OpenID Connect token retrieval failed: "
            "the job needs 'permissions: id-token: write'"
        )
    return {}


def _attest_provenance(ctx: UsesContext) -> dict[str, str]:
    ctx.call.emulated = False
    if not _has_oidc(ctx):
        raise StepFailed(
            "attest-build-provenance: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable "
            "(the job needs 'permissions: id-token: write')"
        )
    w = ctx.call.with_
    if not w.get("subject-path"):
        digest = str(w.get("subject-digest") or "")
        if not w.get("subject-name") or not (digest.startswith("sha256:") and len(digest) == 71):
            raise StepFailed("attest-build-provenance: give subject-path, or subject-name with a sha256:<64 hex> subject-digest")
    return {
        "attestation-id": f"harness-{zlib.crc32(json.dumps(w, sort_keys=True, default=str).encode('utf-8'))}",
        "attestation-url": "",
        "bundle-path": str(ctx.call.workspace / "attestation.jsonl"),
    }


EMULATED: dict[str, Callable[[UsesContext], dict[str, str]]] = {
    "astral-sh/setup-uv": _setup_uv,
    "pypa/gh-action-pypi-publish": _pypi_publish,
    "actions/attest-build-provenance": _attest_provenance,
    "github/codeql-action/upload-sarif": _upload_sarif,
    "actions/cache": _cache,
    "actions/cache/restore": _cache,
    "actions/checkout": _checkout,
    "actions/setup-python": _setup_python,
    "actions/setup-node": _setup_node,
    "actions/upload-artifact": _upload_artifact,
    "actions/download-artifact": _download_artifact,
    "actions/upload-pages-artifact": _upload_pages_artifact,
    "actions/configure-pages": _configure_pages,
    "actions/deploy-pages": _deploy_pages,
}


def emulate(ctx: UsesContext) -> dict[str, str]:
    """Run the stand-in for ``ctx.call.action`` (or only record it); returns the step outputs."""
    handler = EMULATED.get(ctx.call.action.lower())
    if handler is None:
        ctx.call.emulated = False
        return {}
    ctx.call.emulated = True
    return handler(ctx)
