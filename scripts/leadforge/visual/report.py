"""Comparing a folder of screenshots with the baseline: per-screenshot verdicts, images and an HTML report.

* ``verdict`` / ``allowed_ratio`` (pure): what a mismatch ratio means for a page.
* ``compare_folders``: diff every ``<page>-<viewport>.png`` pair, write the report folder
  (``images/<stem>.{before,after,diff,side-by-side}.png``, ``report.json``, ``index.html``,
  which works offline: inline CSS/JS, relative image paths) and return a ``CompareReport``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import InputError
from leadforge.templating import BUILTIN_TEMPLATES, sandboxed_environment

if TYPE_CHECKING:
    import numpy as np

    from leadforge.app import App
    from leadforge.visual.settings import VisualSettings

TEMPLATE_DIR = BUILTIN_TEMPLATES / "visual"
OVERRIDE_DIR = Path(".github") / "leadforge" / "visual"

# status -> does it fail the check?
FAILING = {"failed": True, "new": True, "changed": False, "approved": False, "unchanged": False, "removed": False}


@dataclass(frozen=True, slots=True)
class Entry:
    """One screenshot's comparison. Image paths are relative to the report folder."""

    name: str  # the file name, e.g. home-1280x800.png
    page: str
    viewport: str
    status: str  # unchanged | changed (within its allowed ratio) | failed | new | removed | approved
    allowed: float
    mismatch: int | None = None
    total: int | None = None
    ratio: float | None = None
    padded: bool = False  # the sizes differ: compared on the padded union
    before: str | None = None
    after: str | None = None
    diff: str | None = None
    side_by_side: str | None = None

    @property
    def failing(self) -> bool:
        return FAILING[self.status]


@dataclass(frozen=True, slots=True)
class CompareReport:
    entries: tuple[Entry, ...]
    folder: str
    threshold: float

    @property
    def passed(self) -> bool:
        return not any(e.failing for e in self.entries)

    @property
    def counts(self) -> dict[str, int]:
        out = {status: 0 for status in FAILING}
        for entry in self.entries:
            out[entry.status] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "threshold": self.threshold,
            "counts": self.counts,
            "entries": [asdict(e) for e in self.entries],
        }


# ---- pure decisions -------------------------------------------------------------------------


def allowed_ratio(settings: VisualSettings, page: str, override: float | None = None) -> float:
    """The page's allowed mismatch ratio: the command-line override, the page's own, the default."""
    if override is not None:
        return override
    for configured in settings.pages:
        if configured.name == page and configured.max_ratio is not None:
            return configured.max_ratio
    return settings.max_ratio


def verdict(mismatch: int, ratio: float, allowed: float) -> str:
    if mismatch == 0:
        return "unchanged"
    return "changed" if ratio <= allowed else "failed"


_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.png$")


def screenshot_names(folder: Path) -> dict[str, Path]:
    """The PNGs of a screenshot folder by file name (a missing folder has none).

    Only plain files with plain names count: the folder may come from an untrusted run's
    artifact, so symlinks and names with other characters are ignored."""
    if not folder.is_dir():
        return {}
    return {
        p.name: p for p in sorted(folder.iterdir()) if _SAFE_NAME.match(p.name) and p.is_file() and not p.is_symlink()
    }


def page_and_viewport(name: str) -> tuple[str, str]:
    from leadforge.visual.capture import split_file_name

    return split_file_name(name) or (Path(name).stem, "")


# ---- images ---------------------------------------------------------------------------------


def side_by_side(before: np.ndarray | None, after: np.ndarray | None, diff: np.ndarray | None) -> np.ndarray:
    """before | after | diff on one canvas with a label above each (absent ones left out)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    panels = [(label, img) for label, img in (("before", before), ("after", after), ("diff", diff)) if img is not None]
    gap, label_height = 12, 28
    width = sum(img.shape[1] for _, img in panels) + gap * (len(panels) - 1)
    height = max(img.shape[0] for _, img in panels) + label_height
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=16)
    x = 0
    for label, img in panels:
        draw.text((x + 4, 5), label, fill=(40, 40, 40, 255), font=font)
        canvas.paste(Image.fromarray(img, "RGBA"), (x, label_height))
        x += img.shape[1] + gap
    return np.asarray(canvas)


def _stem(name: str) -> str:
    return name[:-4] if name.endswith(".png") else name


def compare_folders(
    settings: VisualSettings,
    baseline: Path,
    current: Path,
    out: Path,
    *,
    threshold: float | None = None,
    max_ratio: float | None = None,
) -> CompareReport:
    """Diff every screenshot of ``current`` against ``baseline`` and write the report to ``out``."""
    from leadforge.visual.diff import diff_images
    from leadforge.visual.images import check_canvas, load_rgba, save_png

    if not current.is_dir():
        raise InputError(f"{current}: no such folder of screenshots (run `leadforge visual capture --out {current}`)")
    before_files = screenshot_names(baseline)
    after_files = screenshot_names(current)
    if not after_files:
        raise InputError(f"{current}: no PNG screenshots to compare")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder; give a folder for the report")
    colour_threshold = settings.threshold if threshold is None else threshold
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    entries = []
    for name in sorted(set(before_files) | set(after_files)):
        page, viewport = page_and_viewport(name)
        allowed = allowed_ratio(settings, page, max_ratio)
        stem = _stem(name)
        before_path, after_path = before_files.get(name), after_files.get(name)
        if before_path is None or after_path is None:
            present = after_path or before_path
            assert present is not None
            kind = "after" if after_path else "before"
            rel = f"images/{stem}.{kind}.png"
            load_rgba(present)  # a corrupt or oversized new/removed screenshot is refused like a compared one
            shutil.copyfile(present, out / rel)
            entries.append(
                Entry(name, page, viewport, "new" if after_path else "removed", allowed, **{kind: rel})  # type: ignore[arg-type]
            )
            continue
        img1, img2 = load_rgba(before_path), load_rgba(after_path)
        check_canvas(img1, img2, what=f"{name}: the diff image", hint="the two screenshots' sizes differ too much")
        result, diff_img = diff_images(img1, img2, threshold=colour_threshold, include_aa=settings.include_aa)
        status = verdict(result.mismatch, result.ratio, allowed)
        fields: dict[str, Any] = {}
        if status != "unchanged":
            assert diff_img is not None
            fields = {
                "before": f"images/{stem}.before.png",
                "after": f"images/{stem}.after.png",
                "diff": f"images/{stem}.diff.png",
                "side_by_side": f"images/{stem}.side-by-side.png",
            }
            shutil.copyfile(before_path, out / fields["before"])
            shutil.copyfile(after_path, out / fields["after"])
            save_png(out / fields["diff"], diff_img)
            save_png(out / fields["side_by_side"], side_by_side(img1, img2, diff_img))
        entries.append(
            Entry(name, page, viewport, status, allowed, result.mismatch, result.total, result.ratio, result.padded, **fields)
        )
    report = CompareReport(tuple(entries), str(out), colour_threshold)
    from leadforge.fsutil import atomic_write

    atomic_write(out / "report.json", json.dumps(report.as_dict(), indent=2) + "\n")
    atomic_write(out / "index.html", render_html(report, repo=None))
    return report


# ---- rendering ------------------------------------------------------------------------------


def _environment(repo: Path | None) -> Any:
    env = sandboxed_environment(TEMPLATE_DIR, repo, OVERRIDE_DIR, autoescape=True)
    env.filters["percent"] = format_percent
    return env


def format_percent(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    if ratio == 0:
        return "0%"
    if ratio < 0.0001:
        return "<0.01%"
    return f"{ratio * 100:.2f}%"


def render_html(report: CompareReport, repo: Path | None) -> str:
    return _environment(repo).get_template("report.html.j2").render(report=report, entries=report.entries)


def summary_line(report: CompareReport) -> str:
    counts = report.counts
    parts = [f"{n} {status}" for status, n in counts.items() if n]
    verdict_text = "passed" if report.passed else "FAILED"
    return f"visual check {verdict_text}: {len(report.entries)} screenshot(s): {', '.join(parts)}"


def human_table(entries: Sequence[Entry]) -> str:
    rows = [f"{'screenshot':<40} {'status':<10} {'changed':>9} {'allowed':>9}"]
    for e in entries:
        rows.append(f"{e.name:<40} {e.status:<10} {format_percent(e.ratio):>9} {format_percent(e.allowed):>9}")
    return "\n".join(rows)


def run_compare_command(
    app: App, *, baseline: str, current: str, out: str, threshold: float | None, max_ratio: float | None
) -> int:
    settings = app.config.visual
    out_dir = Path(out).expanduser().resolve()
    if app.dry_run:
        app.out.would(f"compare {current} with {baseline} and write the report to {out_dir}")
        return 0
    baseline_dir = Path(baseline).expanduser().resolve()
    if not baseline_dir.is_dir():
        app.out.info(f"note: --baseline {baseline}: no such folder, so every screenshot is new "
                     "(capture one with `leadforge visual capture --baseline`)")
    report = compare_folders(
        settings,
        baseline_dir,
        Path(current).expanduser().resolve(),
        out_dir,
        threshold=threshold,
        max_ratio=max_ratio,
    )
    human = "\n".join([human_table(report.entries), "", summary_line(report), f"report: {out_dir / 'index.html'}"])
    app.out.result(report.as_dict(), human)
    return 0 if report.passed else 1
