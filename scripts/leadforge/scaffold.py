"""``leadforge init``: put LeadForge into an existing repository, never overwriting.

Two ways, both leaving every existing file alone:

* copy (the default): LeadForge's own files, as this repository uses them (LeadForge is its own template;
  the package's ``scaffold/`` folder links to them): the workflows and the reusable workflows they call, the
  install action, issue form, config, queue folders, profiles, ``k8s/`` and ``screenshots/``. The copied
  install action installs the released package (this version) instead of a LeadForge checkout.
* ``--reusable``: instead of the workflows, one short caller file per pipeline that calls LeadForge's reusable
  workflows in LeadForge's repository, pinned to a full commit SHA: the release commit this package was built
  from (recorded by the release workflow, or by pip for a git install), or ``--ref``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib.metadata
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from leadforge import __version__
from leadforge.errors import InputError
from leadforge.fsutil import atomic_write

if TYPE_CHECKING:
    from leadforge.app import App

SCAFFOLD_ROOT = Path(__file__).with_name("scaffold")
CALLERS_ROOT = SCAFFOLD_ROOT / "callers"
# The repository whose reusable workflows the callers pin (GitHub resolves the SHA there).
LEADFORGE_REPOSITORY = "leadforge/leadforge"
# Written into the package by the release workflow before it builds (git rev-parse HEAD of the tag).
RELEASE_COMMIT_FILE = Path(__file__).with_name("RELEASE_COMMIT")

# (glob relative to the scaffold root, destination folder or None for the same place)
SCAFFOLD: tuple[str, ...] = (
    ".github/ISSUE_TEMPLATE/*.yml",
    ".github/workflows/*.yml",
    ".github/actions/install/*",
    ".github/leadforge.yml",
    "docs/TASKS/queue/*/.gitkeep",
    "docs/TASKS/queue/README.md",
    "docs/REVIEW_CRITERIA.md",
    "profiles/*.yml",
    "k8s/**/*",
    "screenshots/**/.gitkeep",
)
# LeadForge's own CI (runs LeadForge's test suite) and release (publishes LeadForge) are not something a user's
# repository wants, and its own config names LeadForge's modules and pages: a user's repository starts from the
# starter config and a release workflow that only publishes the release.
EXCLUDE: tuple[str, ...] = (".github/workflows/ci.yml", ".github/workflows/release.yml", ".github/leadforge.yml")
# Files whose template lives elsewhere in the scaffold: destination -> source.
RENAMED: dict[str, str] = {
    ".github/leadforge.yml": "starter/leadforge.yml",
    ".github/workflows/release.yml": "starter/release.yml",
}
# Before the install action, workflows installed LeadForge with this line; no copied workflow has it.
SELF_INSTALL = "python -m pip install ."
# The line of the install action that a copy pins to this release (the action then installs it from PyPI).
INSTALL_ACTION = ".github/actions/install/action.yml"
INSTALL_VERSION_LINE = 'default: "" # leadforge init (copy mode) pins the released version here'

# pipeline -> its caller files (the fork-safe review and visual pipelines need a trusted second workflow)
PIPELINES: dict[str, tuple[str, ...]] = {
    "tasks": ("leadforge-tasks.yml",),
    "review": ("leadforge-review.yml", "leadforge-review-post.yml"),
    "security": ("leadforge-security.yml",),
    "visual": ("leadforge-visual.yml", "leadforge-visual-post.yml", "leadforge-visual-approve.yml"),
    "release": ("leadforge-release.yml",),
    "deploy": ("leadforge-deploy.yml",),
    "metrics": ("leadforge-metrics.yml",),
    "pages": ("leadforge-pages.yml",),
}
PIN_PLACEHOLDER = "LEADFORGE_PIN"
_SHA = re.compile(r"[0-9a-f]{40}")
# files the default (copy) mode writes that --reusable replaces with callers
_WORKFLOW_COPIES = (".github/workflows/*", ".github/actions/*")


@dataclass(frozen=True, slots=True)
class ScaffoldPlan:
    create: tuple[str, ...]
    skip: tuple[str, ...]  # already present: left as they are


@dataclass(frozen=True, slots=True)
class Pin:
    """What a caller's ``uses:`` ends with: ``@<sha> # <comment>``."""

    sha: str
    comment: str

    def render(self) -> str:
        return f"{self.sha} # {self.comment}"


def template_files(root: Path = SCAFFOLD_ROOT) -> list[str]:
    """Every file the scaffold offers, relative to its root, sorted."""
    found: set[str] = set()
    for pattern in SCAFFOLD:
        for path in root.glob(pattern):
            if path.is_file():
                rel = path.relative_to(root).as_posix()
                if not any(fnmatch.fnmatch(rel, ex) for ex in EXCLUDE):
                    found.add(rel)
    found.update(dest for dest, source in RENAMED.items() if (root / source).is_file())
    return sorted(found)


def caller_files(pipelines: list[str] | None = None) -> list[str]:
    """The caller files (``.github/workflows/leadforge-*.yml``) of ``pipelines`` (default: all)."""
    chosen = pipelines or list(PIPELINES)
    unknown = [p for p in chosen if p not in PIPELINES]
    if unknown:
        raise InputError(f"--pipeline {unknown[0]}: no such pipeline (choose from {', '.join(PIPELINES)})")
    return [f".github/workflows/{name}" for pipeline in chosen for name in PIPELINES[pipeline]]


def release_commit() -> str | None:
    """The LeadForge commit this package was built from: recorded by the release workflow into the package, or
    by pip (``direct_url.json``) when it was installed from git. None for a source checkout."""
    try:
        recorded = RELEASE_COMMIT_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        recorded = ""
    if _SHA.fullmatch(recorded):
        return recorded
    try:
        raw = importlib.metadata.distribution("leadforge").read_text("direct_url.json") or ""
        commit = str(((json.loads(raw) if raw else {}).get("vcs_info") or {}).get("commit_id") or "")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None
    return commit if _SHA.fullmatch(commit) else None


def resolve_pin(ref: str | None, recorded: str | None) -> Pin:
    """The commit the callers pin: ``--ref`` (a full SHA), else the recorded release commit."""
    if ref is not None:
        if not _SHA.fullmatch(ref):
            raise InputError(
                f"--ref {ref}: give the full 40-character commit SHA of a LeadForge release "
                "(reusable workflows are pinned by SHA, not by tag or branch)"
            )
        return Pin(ref, f"v{__version__}" if ref == recorded else "leadforge init --ref")
    if recorded is None:
        raise InputError(
            f"this LeadForge ({__version__}) was installed from a source checkout and does not know its release "
            f"commit: pass --ref <the 40-character SHA of a {LEADFORGE_REPOSITORY} release commit>"
        )
    return Pin(recorded, f"v{__version__}")


def render_caller(text: str, pin: Pin) -> str:
    if PIN_PLACEHOLDER not in text:
        raise InputError(f"{CALLERS_ROOT}: a caller template without {PIN_PLACEHOLDER} (broken installation?)")
    return text.replace(PIN_PLACEHOLDER, pin.render())


def plan_init(target: Path, files: list[str]) -> ScaffoldPlan:
    # lexists: a dangling symlink is something the user put there too; it is skipped, not replaced.
    create = tuple(f for f in files if not os.path.lexists(target / f))
    skip = tuple(f for f in files if os.path.lexists(target / f))
    return ScaffoldPlan(create, skip)


def blocker(target: Path, rel: str) -> str | None:
    """The first folder on the way to ``rel`` that exists but is not a folder (a file, a broken link)."""
    parts = Path(rel).parts[:-1]
    for depth in range(1, len(parts) + 1):
        folder = Path(*parts[:depth])
        if os.path.lexists(target / folder) and not (target / folder).is_dir():
            return folder.as_posix()
    return None


def adapt(rel: str, text: str) -> str:
    """A copy installs the released package: the install action's version is pinned to this release."""
    if rel == INSTALL_ACTION:
        if INSTALL_VERSION_LINE not in text:
            raise InputError(f"{SCAFFOLD_ROOT / rel}: the version line to pin is missing (broken installation?)")
        return text.replace(INSTALL_VERSION_LINE, f'default: "{__version__}" # the LeadForge release `leadforge init` copied')
    return text


def _sources(reusable: bool, pipelines: list[str] | None, pin: Pin | None) -> dict[str, str | Path]:
    """destination -> the source file (a Path) or, for callers, the rendered text."""
    files: dict[str, str | Path] = {}
    for rel in template_files():
        if reusable and any(fnmatch.fnmatch(rel, pattern) for pattern in _WORKFLOW_COPIES):
            continue
        files[rel] = SCAFFOLD_ROOT / RENAMED.get(rel, rel)
    if reusable:
        assert pin is not None
        for rel in caller_files(pipelines):
            source = CALLERS_ROOT / Path(rel).name
            try:
                files[rel] = render_caller(source.read_text(encoding="utf-8"), pin)
            except OSError as err:
                reason = err.strerror or err
                raise InputError(f"{source}: cannot read the caller template ({reason}); broken installation?") from None
    return dict(sorted(files.items()))


def init_repository(
    app: App, path: str | None, *, reusable: bool = False, ref: str | None = None, pipelines: list[str] | None = None
) -> int:
    target = Path(path).resolve() if path else app.repo
    if not target.is_dir():
        raise InputError(f"{target}: not a directory (leadforge init PATH expects an existing repository)")
    if not reusable and (ref is not None or pipelines):
        raise InputError("--ref and --pipeline choose the callers of `leadforge init --reusable`; add --reusable")
    pin = resolve_pin(ref, release_commit()) if reusable else None
    sources = _sources(reusable, pipelines, pin)
    if not sources:
        raise InputError(f"{SCAFFOLD_ROOT}: the scaffold is empty (broken installation?)")
    plan = plan_init(target, list(sources))
    # Checked before writing anything, so a refused init leaves the repository as it was.
    blocked = [(rel, where) for rel in plan.create if (where := blocker(target, rel))]
    if blocked:
        rel, where = blocked[0]
        raise InputError(
            f"{target / where}: is not a folder, but init puts {rel}"
            + (f" (and {len(blocked) - 1} more file(s))" if len(blocked) > 1 else "")
            + " there; move it away and re-run (nothing was written)"
        )
    for rel in plan.create:
        if app.dry_run:
            app.out.would(f"create {rel}")
            continue
        source = sources[rel]
        if isinstance(source, str):
            data = source.encode("utf-8")
        else:
            data = source.read_bytes()
            with contextlib.suppress(UnicodeDecodeError):
                data = adapt(rel, data.decode("utf-8")).encode("utf-8")
        try:
            atomic_write(target / rel, data)
        except OSError as err:
            raise InputError(f"{target / rel}: cannot write ({err.strerror or err}); check the folder's permissions") from None
    for rel in plan.skip:
        app.out.info(f"skipped {rel} (already exists)")
    verb = "would create" if app.dry_run else "created"
    human = f"{verb} {len(plan.create)} file(s) in {target}; skipped {len(plan.skip)} existing"
    if pin is not None:
        human += f"; callers pin {LEADFORGE_REPOSITORY}@{pin.sha[:12]} ({pin.comment})"
    result = {
        "target": str(target),
        "created": list(plan.create),
        "skipped": list(plan.skip),
        "dry_run": app.dry_run,
        "reusable": reusable,
        "pin": pin.sha if pin else None,
    }
    app.out.result(result, human)
    return 0
