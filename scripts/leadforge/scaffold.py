"""``leadforge init``: copy LeadForge's files into an existing repository, never overwriting.

The files come from this repository itself (LeadForge is its own template): the
package's ``scaffold/`` folder links to them, and ``SCAFFOLD`` says which ones a
user's repository gets. Workflows are rewritten to install the released package
instead of the template's own source.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadforge import __version__
from leadforge.errors import InputError
from leadforge.fsutil import atomic_write

SCAFFOLD_ROOT = Path(__file__).with_name("scaffold")

# (glob relative to the scaffold root, destination folder or None for the same place)
SCAFFOLD: tuple[str, ...] = (
    ".github/ISSUE_TEMPLATE/*.yml",
    ".github/workflows/*.yml",
    ".github/leadforge.yml",
    "docs/TASKS/queue/*/.gitkeep",
    "docs/TASKS/queue/README.md",
    "docs/REVIEW_CRITERIA.md",
    "profiles/*.yml",
    "k8s/**/*",
    "screenshots/**/.gitkeep",
)
# LeadForge's own CI (runs LeadForge's test suite) is not something a user's repository wants, and its own
# config names LeadForge's modules and pages: a user's repository starts from the starter config instead.
EXCLUDE: tuple[str, ...] = (".github/workflows/ci.yml", ".github/leadforge.yml")
# Files whose template lives elsewhere in the scaffold: destination -> source.
RENAMED: dict[str, str] = {".github/leadforge.yml": "starter/leadforge.yml"}
SELF_INSTALL = "python -m pip install ."


@dataclass(frozen=True, slots=True)
class ScaffoldPlan:
    create: tuple[str, ...]
    skip: tuple[str, ...]  # already present: left as they are


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
    """Workflows in a user's repository install the released package, not ``.``."""
    if rel.startswith(".github/workflows/"):
        return text.replace(SELF_INSTALL, f"python -m pip install 'leadforge=={__version__}'")
    return text


def init_repository(app: Any, path: str | None) -> int:
    target = Path(path).resolve() if path else app.repo
    if not target.is_dir():
        raise InputError(f"{target}: not a directory (leadforge init PATH expects an existing repository)")
    files = template_files()
    if not files:
        raise InputError(f"{SCAFFOLD_ROOT}: the scaffold is empty (broken installation?)")
    plan = plan_init(target, files)
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
        source = SCAFFOLD_ROOT / RENAMED.get(rel, rel)
        if app.dry_run:
            app.out.would(f"create {rel}")
            continue
        data = source.read_bytes()
        try:
            data = adapt(rel, data.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            pass
        try:
            atomic_write(target / rel, data)
        except OSError as err:
            raise InputError(f"{target / rel}: cannot write ({err.strerror or err}); check the folder's permissions") from None
    for rel in plan.skip:
        app.out.info(f"skipped {rel} (already exists)")
    verb = "would create" if app.dry_run else "created"
    human = f"{verb} {len(plan.create)} file(s) in {target}; skipped {len(plan.skip)} existing"
    app.out.result({"target": str(target), "created": list(plan.create), "skipped": list(plan.skip),
                    "dry_run": app.dry_run}, human)
    return 0
