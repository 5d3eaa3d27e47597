"""Publishing a release: decide everything first (a frozen plan), then apply it to the forge.

``plan_publish`` renders nothing itself and checks every asset file exists (screenshots and the extra
files given with ``--asset``), so a bad input fails before the forge sees a single request (nothing
half-published).
``apply_publish`` creates or edits the release by tag (``forge.base.upsert_release``)
and uploads each screenshot, replacing a same-named asset (``replace_asset``).
``plan_changelog``/``apply_changelog`` do the same for CHANGELOG.md and VISUAL_CHANGELOG.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadforge.errors import InputError
from leadforge.release.changelog import CHANGELOG_HEADER, VISUAL_HEADER, upsert_entry
from leadforge.release.notes import asset_name


@dataclass(frozen=True, slots=True)
class AssetPlan:
    path: str  # repository-relative, or absolute for an extra file given with --asset
    name: str


@dataclass(frozen=True, slots=True)
class PublishPlan:
    tag: str
    name: str
    body: str
    prerelease: bool
    assets: tuple[AssetPlan, ...]

    def describe(self) -> list[str]:
        kind = "pre-release" if self.prerelease else "release"
        lines = [f"create or update {kind} {self.tag} ({len(self.body)} characters of notes)"]
        lines += [f"upload asset {a.name} from {a.path} (replacing a same-named one)" for a in self.assets]
        return lines


@dataclass(frozen=True, slots=True)
class FileUpdate:
    path: str
    text: str
    changed: bool


@dataclass(frozen=True, slots=True)
class ChangelogPlan:
    tag: str
    files: tuple[FileUpdate, ...]

    @property
    def changed(self) -> tuple[FileUpdate, ...]:
        return tuple(f for f in self.files if f.changed)


def extra_assets(paths: Sequence[Path]) -> list[AssetPlan]:
    """``--asset`` paths as assets named by their file names: a folder stands for every file in it (sorted)."""
    assets: list[AssetPlan] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            if not files:
                raise InputError(f"--asset {path}: the folder is empty; nothing was published")
        elif path.is_file():
            files = [path]
        else:
            raise InputError(f"--asset {path}: no such file or folder; nothing was published")
        assets += [AssetPlan(str(f.resolve()), f.name) for f in files]
    return assets


def plan_publish(
    repo: Path, context: dict[str, Any], notes: str, *, prerelease: bool, upload: bool, extra: Sequence[Path] = ()
) -> PublishPlan:
    """The release to publish for ``context['version']``; every asset must exist on disk."""
    tag = context["version"]
    assets: list[AssetPlan] = []
    seen: set[str] = set()
    if upload:
        for change in context.get("visual", []):
            for key in ("before", "after", "diff"):
                path = change.get(key)
                if not path or path in seen:
                    continue
                seen.add(path)
                if not (repo / path).is_file():
                    raise InputError(f"{path}: screenshot of {change['page']} ({key}) is missing; nothing was published")
                assets.append(AssetPlan(path, asset_name(path)))
    assets += extra_assets(extra)
    names = [a.name for a in assets]
    if len(set(names)) != len(names):
        twice = min(n for n in names if names.count(n) > 1)
        raise InputError(f"two assets of {tag} have the same name: {twice}; nothing was published")
    return PublishPlan(tag=tag, name=tag, body=notes, prerelease=prerelease, assets=tuple(assets))


def apply_publish(plan: PublishPlan, forge: Any, repo: Path) -> dict[str, Any]:
    from leadforge.forge.base import replace_asset, upsert_release

    release, status = upsert_release(forge, tag=plan.tag, name=plan.name, body=plan.body, prerelease=plan.prerelease)
    uploaded = []
    for asset in plan.assets:
        current = forge.get_release_by_tag(plan.tag) or release
        uploaded.append(replace_asset(forge, current, repo / asset.path, asset.name).name)
    return {
        "tag": plan.tag,
        "status": status,
        "id": release.id,
        "url": release.url,
        "prerelease": plan.prerelease,
        "assets": uploaded,
    }


def plan_changelog(
    repo: Path, changelog: str, visual_changelog: str, tag: str, entry: str, visual_entry: str | None
) -> ChangelogPlan:
    """New texts of ``changelog`` (release.changelog) and, when there are visual changes or an entry
    exists, of ``visual_changelog`` (visual.changelog)."""
    files: list[FileUpdate] = []
    targets = [(changelog, entry, CHANGELOG_HEADER)]
    if visual_entry is not None:
        targets.append((visual_changelog, visual_entry, VISUAL_HEADER))
    for rel, text, header in targets:
        path = repo / rel
        try:
            old = path.read_text(encoding="utf-8") if path.exists() else None
        except UnicodeDecodeError:
            raise InputError(f"{rel}: not UTF-8 text; fix or remove it before the changelog is updated") from None
        new = upsert_entry(old, tag, text, header)
        files.append(FileUpdate(rel, new, new != old))
    return ChangelogPlan(tag, tuple(files))


def apply_changelog(plan: ChangelogPlan, repo: Path) -> list[str]:
    from leadforge.fsutil import atomic_write

    written = []
    for update in plan.changed:
        atomic_write(repo / update.path, update.text)
        written.append(update.path)
    return written
