"""Screenshots per release: ``<releases_dir>/<tag>/`` and the list of what changed since the previous one.

The contract with the release area, which renders the "Visual changes" section of the notes and
the ``VISUAL_CHANGELOG.md`` entry from it (the release area asks; this area never imports it)::

    notes_section(repo: Path, tag: str, previous: str | None) -> list[dict]   # VisualChange.to_dict() each
    release_changes(repo: Path, tag: str, previous: str | None) -> list[VisualChange]

* the release's screenshots are ``<releases_dir>/<tag>/<page>-<viewport>.png``; when that folder
  does not exist yet, the baseline (the accepted state at the tagged commit) is stored there first;
* a screenshot that differs from ``<releases_dir>/<previous>/`` gets a diff image in
  ``<releases_dir>/<tag>/diffs/`` (written once; re-runs reuse it) and its mismatch ratio;
* new screenshots have ``before=None``; screenshots gone since the previous release have
  ``after=None``; unchanged ones are left out. Paths are repository-relative POSIX strings,
  sorted by page then viewport.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import ConfigError, InputError

if TYPE_CHECKING:
    import numpy as np

    from leadforge.app import App
    from leadforge.visual.settings import VisualSettings

_TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


@dataclass(frozen=True, slots=True)
class VisualChange:
    page: str
    viewport: str
    before: str | None  # repo-relative path of the previous release's screenshot, None for a new page
    after: str | None  # repo-relative path of this release's screenshot, None for a removed page
    diff: str | None  # repo-relative path of the diff image, when both exist
    mismatch_ratio: float | None  # changed pixels / total, when both exist

    def to_dict(self) -> dict[str, Any]:
        """This change as the release notes' plain data (one item of their ``visual`` context)."""
        return {
            "page": self.page,
            "viewport": self.viewport,
            "before": self.before,
            "after": self.after,
            "diff": self.diff,
            "mismatch_ratio": None if self.mismatch_ratio is None else float(self.mismatch_ratio),
        }


def _settings(repo: Path) -> VisualSettings:
    from leadforge.config import load_config

    try:
        return load_config(repo).visual
    except ConfigError:
        from leadforge.visual.settings import VisualSettings

        return VisualSettings()


def check_tag(tag: str) -> str:
    if not _TAG_RE.match(tag) or ".." in tag:
        raise InputError(f"release tag {tag!r}: only letters, digits and . _ + - are allowed")
    return tag


def store_release(repo: Path, settings: VisualSettings, tag: str, source: Path | None = None) -> tuple[Path, list[str]]:
    """Copy the screenshots (default: the baseline) into ``<releases_dir>/<tag>/``; returns the folder and file names."""
    from leadforge.fsutil import atomic_write
    from leadforge.visual.report import screenshot_names

    folder = repo / settings.releases_dir / check_tag(tag)
    source = source or repo / settings.baseline_dir
    files = screenshot_names(source)
    if not files:
        raise InputError(f"{source}: no screenshots to store for release {tag} (capture the baseline first)")
    for name, path in files.items():
        target = folder / name
        data = path.read_bytes()
        if not (target.is_file() and target.read_bytes() == data):
            atomic_write(target, data)
    return folder, sorted(files)


def release_changes(repo: Path, tag: str, previous: str | None) -> list[VisualChange]:
    """What the UI change between ``previous`` and ``tag`` looks like (see the module docstring).

    A repository without screenshots returns ``[]`` before numpy and Pillow are imported."""
    from leadforge.visual.report import screenshot_names

    repo = Path(repo)
    settings = _settings(repo)
    releases = repo / settings.releases_dir
    current_dir = releases / check_tag(tag)
    if not screenshot_names(current_dir):
        if not screenshot_names(repo / settings.baseline_dir):
            return []  # no screenshots in this repository: no visual section
        store_release(repo, settings, tag)
    from leadforge.visual.diff import diff_images
    from leadforge.visual.images import load_rgba, save_png
    from leadforge.visual.report import page_and_viewport

    after_files = screenshot_names(current_dir)
    before_files = screenshot_names(releases / check_tag(previous)) if previous else {}

    def rel(path: Path) -> str:
        return path.relative_to(repo).as_posix()

    changes = []
    for name in sorted(set(after_files) | set(before_files), key=lambda n: page_and_viewport(n)):
        page, viewport = page_and_viewport(name)
        before, after = before_files.get(name), after_files.get(name)
        if before is None or after is None:
            changes.append(
                VisualChange(page, viewport, rel(before) if before else None, rel(after) if after else None, None, None)
            )
            continue
        if before.read_bytes() == after.read_bytes():
            continue
        img1, img2 = load_rgba(before), load_rgba(after)
        diff_path = current_dir / "diffs" / name
        result, output = diff_images(img1, img2, threshold=settings.threshold, include_aa=settings.include_aa)
        if result.mismatch == 0:
            continue  # re-encoded but the same pixels
        assert output is not None
        if not _same_pixels(diff_path, output):
            # written once per comparison; a diff stored against another previous release is replaced
            save_png(diff_path, output, optimize=True)
        changes.append(VisualChange(page, viewport, rel(before), rel(after), rel(diff_path), result.ratio))
    return changes


def _same_pixels(path: Path, rgba: np.ndarray) -> bool:
    """Does the PNG at ``path`` hold exactly ``rgba`` (a missing or unreadable file does not)?"""
    import numpy as np

    from leadforge.visual.images import load_rgba

    if not path.is_file():
        return False
    try:
        return bool(np.array_equal(load_rgba(path), rgba))
    except InputError:
        return False


def latest_stored_release(repo: Path, settings: VisualSettings, tag: str, prefix: str = "v") -> str | None:
    """The release folder before ``tag``, for ``--previous`` by default. For a semver tag the same rule as
    the release notes' previous tag (highest semver below it; a final release skips pre-releases); other
    names go by the numbers in them."""
    from leadforge.semver import Version, candidates

    folder = repo / settings.releases_dir
    if not folder.is_dir():
        return None
    stored = [p.name for p in folder.iterdir() if p.is_dir() and p.name != tag]
    if Version.parse(tag, prefix) is not None:
        found = candidates(tag, stored, prefix)
        return found[0] if found else None

    def key(name: str) -> tuple[tuple[int, ...], str]:
        numbers = tuple(int(n) for n in re.findall(r"\d+", name))
        return numbers, name

    names = sorted(stored, key=key)
    older = [n for n in names if key(n) < key(tag)]
    return older[-1] if older else None


def notes_section(repo: Path, tag: str, previous: str | None) -> list[dict[str, Any]]:
    """What the release area asks for its notes: this release's visual changes as plain data."""
    return [change.to_dict() for change in release_changes(repo, tag, previous)]


def run_release_command(app: App, *, tag: str, source: str | None, previous: str | None, commit: bool) -> int:
    settings = app.config.visual
    check_tag(tag)
    source_dir = Path(source).expanduser().resolve() if source else None
    if previous is not None and not (app.repo / settings.releases_dir / check_tag(previous)).is_dir():
        raise InputError(
            f"--previous {previous}: no stored release in {settings.releases_dir}/{previous} "
            f"(run `leadforge visual release --tag {previous}` at that tag, or leave --previous out)"
        )
    previous = previous or latest_stored_release(app.repo, settings, tag, app.config.release.tag_prefix)
    folder = app.repo / settings.releases_dir / tag
    if app.dry_run:
        app.out.would(f"store the screenshots of {tag} in {folder} and diff them against {previous or 'nothing'}")
        return 0
    if source_dir is not None or not folder.is_dir():
        store_release(app.repo, settings, tag, source_dir)
    changes = release_changes(app.repo, tag, previous)
    if commit:
        git = app.git
        git.add([folder.relative_to(app.repo).as_posix()])
        if git.has_staged_changes():
            git.commit(f"chore(visual): screenshots of release {tag}")
    data = {
        "tag": tag,
        "previous": previous,
        "folder": folder.relative_to(app.repo).as_posix(),
        "changes": [c.to_dict() for c in changes],
    }
    lines = [f"stored the screenshots of {tag} in {data['folder']} (previous: {previous or 'none'})"]
    for c in changes:
        what = "new" if c.before is None else "removed" if c.after is None else f"{(c.mismatch_ratio or 0) * 100:.2f}% changed"
        lines.append(f"  {c.page} {c.viewport}: {what}")
    if not changes:
        lines.append("  no visual changes")
    app.out.result(data, "\n".join(lines))
    return 0
