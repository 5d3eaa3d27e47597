"""Comparing a folder of screenshots with the baseline: per-screenshot verdicts, images and an HTML report.

* ``verdict`` / ``allowed_ratio`` (pure): what a mismatch ratio means for a page.
* ``plan_pairs`` (pure) / ``run_pairs``: every ``<page>-<viewport>.png`` as a ``PairJob``; byte-identical
  pairs settled without decoding, the others compared by ``compare_pair`` in worker processes.
* ``compare_folders``: diff every ``<page>-<viewport>.png`` pair, write the report folder
  (``images/<stem>.{before,after,diff,side-by-side}.png``, ``report.json``, ``index.html``,
  which works offline: inline CSS/JS, relative image paths) and return a ``CompareReport``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
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
        out = dict.fromkeys(FAILING, 0)
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
    return {p.name: p for p in sorted(folder.iterdir()) if _SAFE_NAME.match(p.name) and p.is_file() and not p.is_symlink()}


def page_and_viewport(name: str) -> tuple[str, str]:
    from leadforge.visual.capture import split_file_name

    return split_file_name(name) or (Path(name).stem, "")


# ---- images ---------------------------------------------------------------------------------


_GAP, _LABEL_HEIGHT = 12, 28
_LABEL_ROWS = 64  # rows the labels are drawn on: the text never reaches below them


@dataclass(frozen=True)
class SideBySide:
    """before | after | diff on one canvas with a label above each (absent ones left out), drawn a stripe
    of rows at a time so the PNG writer never holds the whole (3x wider) canvas."""

    panels: tuple[np.ndarray, ...]
    lefts: tuple[int, ...]
    labels: np.ndarray  # the first rows of the canvas, with the labels drawn by Pillow
    width: int
    height: int

    @classmethod
    def of(cls, before: np.ndarray | None, after: np.ndarray | None, diff: np.ndarray | None) -> SideBySide:
        import numpy as np
        from PIL import Image, ImageDraw, ImageFont

        panels = [(label, img) for label, img in (("before", before), ("after", after), ("diff", diff)) if img is not None]
        width = sum(img.shape[1] for _, img in panels) + _GAP * (len(panels) - 1)
        height = max(img.shape[0] for _, img in panels) + _LABEL_HEIGHT
        strip = Image.new("RGBA", (width, min(height, _LABEL_ROWS)), (255, 255, 255, 255))
        draw = ImageDraw.Draw(strip)
        font = ImageFont.load_default(size=16)
        lefts, x = [], 0
        for label, img in panels:
            draw.text((x + 4, 5), label, fill=(40, 40, 40, 255), font=font)
            lefts.append(x)
            x += img.shape[1] + _GAP
        return cls(tuple(img for _, img in panels), tuple(lefts), np.asarray(strip), width, height)

    def rows(self, top: int, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """Canvas rows ``top..top+n`` as an ``n × width*4`` array (written into the flat ``out`` when given)."""
        import numpy as np

        size = n * self.width * 4
        stripe = (np.empty(size, dtype=np.uint8) if out is None else out[:size]).reshape(n, self.width, 4)
        stripe.fill(255)
        if top < self.labels.shape[0]:
            count = min(n, self.labels.shape[0] - top)
            stripe[:count] = self.labels[top : top + count]
        for img, left in zip(self.panels, self.lefts, strict=True):
            first, last = max(top, _LABEL_HEIGHT), min(top + n, _LABEL_HEIGHT + img.shape[0])
            if first < last:
                stripe[first - top : last - top, left : left + img.shape[1]] = img[first - _LABEL_HEIGHT : last - _LABEL_HEIGHT]
        return stripe.reshape(n, self.width * 4)

    def array(self) -> np.ndarray:
        return self.rows(0, self.height).reshape(self.height, self.width, 4)

    def png(self) -> bytes:
        import numpy as np

        from leadforge.visual.images import encode_png_rows

        buffer = np.empty(0, dtype=np.uint8)

        def stripe(top: int, n: int) -> np.ndarray:
            nonlocal buffer
            if buffer.size < n * self.width * 4:
                buffer = np.empty(n * self.width * 4, dtype=np.uint8)
            return self.rows(top, n, buffer)

        return encode_png_rows(self.width, self.height, stripe)


def side_by_side(before: np.ndarray | None, after: np.ndarray | None, diff: np.ndarray | None) -> np.ndarray:
    """before | after | diff on one canvas with a label above each (absent ones left out)."""
    return SideBySide.of(before, after, diff).array()


def _stem(name: str) -> str:
    return name.removesuffix(".png")


@dataclass(frozen=True, slots=True)
class PairJob:
    """One screenshot to compare, as plain data (it crosses to a worker process)."""

    name: str
    page: str
    viewport: str
    allowed: float
    before: str | None  # the baseline file (None: a new screenshot)
    after: str | None  # the current file (None: a removed screenshot)
    out: str  # the report folder
    threshold: float
    include_aa: bool

    @property
    def stem(self) -> str:
        return _stem(self.name)


def plan_pairs(
    settings: VisualSettings,
    before_files: dict[str, Path],
    after_files: dict[str, Path],
    out: Path,
    *,
    threshold: float,
    max_ratio: float | None,
) -> tuple[PairJob, ...]:
    """Every screenshot of either folder, by name, with what it is compared with (pure)."""
    jobs = []
    for name in sorted(set(before_files) | set(after_files)):
        page, viewport = page_and_viewport(name)
        before, after = before_files.get(name), after_files.get(name)
        jobs.append(
            PairJob(
                name,
                page,
                viewport,
                allowed_ratio(settings, page, max_ratio),
                str(before) if before else None,
                str(after) if after else None,
                str(out),
                threshold,
                settings.include_aa,
            )
        )
    return tuple(jobs)


def identical_files(job: PairJob) -> Entry | None:
    """The cheap verdict: byte-identical files are unchanged without decoding them, once their PNG
    structure checks out (every chunk's CRC, IEND, the size under Pillow's limit). None: decode and diff."""
    from leadforge.visual.images import pixel_limit, png_layout

    if job.before is None or job.after is None:
        return None
    before, after = Path(job.before), Path(job.after)
    try:
        if before.stat().st_size != after.stat().st_size:
            return None
        data = before.read_bytes()
        if data != after.read_bytes():
            return None
    except OSError:
        return None  # the full comparison names the problem
    layout = png_layout(data, whole=True)
    limit = pixel_limit()
    if layout is None or not layout.complete or layout.pixels == 0 or (limit is not None and layout.pixels > limit):
        return None  # let the decoder accept it or word the error
    return Entry(job.name, job.page, job.viewport, "unchanged", job.allowed, 0, layout.pixels, 0.0, False)


def compare_pair(job: PairJob) -> Entry:
    """Compare one screenshot and write its report images: the expensive part, run in a worker process
    (a module-level function of plain data, so it pickles)."""
    from leadforge.fsutil import atomic_write
    from leadforge.visual.diff import DiffResult, diff_images
    from leadforge.visual.images import check_canvas, load_rgba, save_png

    out = Path(job.out)
    stem = job.stem
    if job.before is None or job.after is None:
        only = job.after or job.before
        assert only is not None  # a job has at least one side
        present = Path(only)
        rel = f"images/{stem}.{'after' if job.after else 'before'}.png"
        load_rgba(present)  # a corrupt or oversized new/removed screenshot is refused like a compared one
        shutil.copyfile(present, out / rel)
        if job.after:
            return Entry(job.name, job.page, job.viewport, "new", job.allowed, after=rel)
        return Entry(job.name, job.page, job.viewport, "removed", job.allowed, before=rel)
    before_path, after_path = Path(job.before), Path(job.after)
    img1, img2 = load_rgba(before_path), load_rgba(after_path)
    check_canvas(img1, img2, what=f"{job.name}: the diff image", hint="the two screenshots' sizes differ too much")
    if same_pixels(img1, img2):
        # the same pixels (re-encoded): pixelmatch counts 0 and nobody looks at an all-grey diff image
        height, width = img1.shape[:2]
        result: DiffResult = DiffResult(0, width, height, (width, height), (width, height))
        diff_img = None
    else:
        result, diff_img = diff_images(img1, img2, threshold=job.threshold, include_aa=job.include_aa)
    status = verdict(result.mismatch, result.ratio, job.allowed)
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
        atomic_write(out / fields["side_by_side"], SideBySide.of(img1, img2, diff_img).png())
    return Entry(
        job.name,
        job.page,
        job.viewport,
        status,
        job.allowed,
        result.mismatch,
        result.total,
        result.ratio,
        result.padded,
        **fields,
    )


def same_pixels(img1: np.ndarray, img2: np.ndarray) -> bool:
    """Equal arrays? Compared a band of rows at a time, so two different screenshots (which mostly differ
    near the top: a header, a banner) are told apart after a few rows, not after all of them."""
    import numpy as np

    if img1.shape != img2.shape:
        return False
    rows = max(1, (1 << 20) // max(img1.shape[1] * 4, 1))
    return all(np.array_equal(img1[top : top + rows], img2[top : top + rows]) for top in range(0, img1.shape[0], rows))


def available_cpus() -> int:
    """CPUs this process may run on (a container's or CI runner's share, not the host's count)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def run_pairs(
    jobs: Sequence[PairJob], *, workers: int | None = None, on_done: Callable[[str], None] | None = None
) -> list[Entry]:
    """``compare_pair`` for every job, in job order. Byte-identical pairs are settled here; the rest run in
    ``workers`` processes (default: one per CPU), the largest files first so no worker ends long after the
    others. Pairs whose files differ in size are sent to the workers before the others are read, so the
    workers start at once. The result does not depend on the number of workers; the first failure in job
    order is raised."""
    entries: list[Entry | None] = [None] * len(jobs)
    candidates = [_maybe_identical(job) for job in jobs]
    certain = [i for i, candidate in enumerate(candidates) if not candidate]
    maybe = [i for i, candidate in enumerate(candidates) if candidate]

    def settle(indices: list[int]) -> list[int]:
        """Settle the byte-identical ones among ``indices``; the rest, largest first."""
        rest = []
        for i in indices:
            entries[i] = identical_files(jobs[i])
            if entries[i] is None:
                rest.append(i)
            elif on_done is not None:
                on_done(jobs[i].name)
        return sorted(rest, key=lambda i: -_file_sizes(jobs[i]))

    if not certain:
        maybe, certain = [], settle(maybe)
    count = min(workers or available_cpus(), len(certain) + len(maybe))
    if count <= 1 or not certain:
        for i in sorted(certain + settle(maybe)):
            entries[i] = compare_pair(jobs[i])
            if on_done is not None:
                on_done(jobs[i].name)
        return _all_done(entries)
    import concurrent.futures

    certain.sort(key=lambda i: -_file_sizes(jobs[i]))
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=count, mp_context=_worker_context(), initializer=keep_freed_memory
    ) as pool:
        futures = {pool.submit(compare_pair, jobs[i]): i for i in certain}
        futures.update({pool.submit(compare_pair, jobs[i]): i for i in settle(maybe)})
        failures: dict[int, BaseException] = {}
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            error = future.exception()
            if error is not None:
                failures[i] = error
                for other in futures:
                    other.cancel()
                continue
            entries[i] = future.result()
            if on_done is not None:
                on_done(jobs[i].name)
    if failures:
        raise failures[min(failures)]
    return _all_done(entries)


def _all_done(entries: list[Entry | None]) -> list[Entry]:
    """Every slot filled (each job compared, or its failure raised before)."""
    done = [e for e in entries if e is not None]
    assert len(done) == len(entries)
    return done


def _maybe_identical(job: PairJob) -> bool:
    """Could the two files be byte-identical (both present, of one size)? Only a stat."""
    if job.before is None or job.after is None:
        return False
    try:
        return os.path.getsize(job.before) == os.path.getsize(job.after)
    except OSError:
        return True  # ``identical_files`` and then ``compare_pair`` name the problem


def keep_freed_memory() -> None:
    """In a worker process: let glibc keep freed memory instead of returning every block over 32 MB to the
    kernel. A worker compares one pair after another of similar sizes; without this each pair's arrays are
    page-faulted in anew, about a fifth of the CPU time of a 10-megapixel pair. (Other C libraries: no-op.)"""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 1 << 30)
    mallopt(m_trim_threshold, (1 << 31) - 1)


def _file_sizes(job: PairJob) -> int:
    return sum(os.path.getsize(p) for p in (job.before, job.after) if p is not None and os.path.isfile(p))


def _worker_context() -> Any:
    """Fork where it is safe (Linux, no other thread running): workers start at once and share the modules
    imported here. Otherwise a fork server that has imported them (POSIX), or fresh interpreters (Windows)."""
    import multiprocessing
    import sys
    import threading

    preload = ["numpy", "leadforge.visual.diff", "leadforge.visual.images", "leadforge.visual.report"]
    if sys.platform == "linux" and threading.active_count() == 1:
        import importlib

        for name in preload:
            importlib.import_module(name)
        return multiprocessing.get_context("fork")
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(preload)
        return context
    return multiprocessing.get_context("spawn")


def compare_folders(
    settings: VisualSettings,
    baseline: Path,
    current: Path,
    out: Path,
    *,
    threshold: float | None = None,
    max_ratio: float | None = None,
    workers: int | None = None,
    on_done: Callable[[str], None] | None = None,
) -> CompareReport:
    """Diff every screenshot of ``current`` against ``baseline`` and write the report to ``out``.
    ``workers``: processes comparing pairs at once (default one per CPU; 1: all in this process)."""
    if not current.is_dir():
        raise InputError(f"{current}: no such folder of screenshots (run `leadforge visual capture --out {current}`)")
    before_files = screenshot_names(baseline)
    after_files = screenshot_names(current)
    if not after_files:
        raise InputError(f"{current}: no PNG screenshots to compare")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder; give a folder for the report")
    colour_threshold = settings.threshold if threshold is None else threshold
    (out / "images").mkdir(parents=True, exist_ok=True)
    jobs = plan_pairs(settings, before_files, after_files, out, threshold=colour_threshold, max_ratio=max_ratio)
    entries = run_pairs(jobs, workers=workers, on_done=on_done)
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
    app: App,
    *,
    baseline: str,
    current: str,
    out: str,
    threshold: float | None,
    max_ratio: float | None,
    jobs: int | None = None,
) -> int:
    settings = app.config.visual
    out_dir = Path(out).expanduser().resolve()
    if app.dry_run:
        app.out.would(f"compare {current} with {baseline} and write the report to {out_dir}")
        return 0
    baseline_dir = Path(baseline).expanduser().resolve()
    if not baseline_dir.is_dir():
        app.out.info(
            f"note: --baseline {baseline}: no such folder, so every screenshot is new "
            "(capture one with `leadforge visual capture --baseline`)"
        )
    current_dir = Path(current).expanduser().resolve()
    total = len(set(screenshot_names(baseline_dir)) | set(screenshot_names(current_dir)))
    with app.out.progress(total, "comparing") as bar:
        report = compare_folders(
            settings,
            baseline_dir,
            current_dir,
            out_dir,
            threshold=threshold,
            max_ratio=max_ratio,
            workers=jobs,
            on_done=bar.advance,
        )
    human = "\n".join([human_table(report.entries), "", summary_line(report), f"report: {out_dir / 'index.html'}"])
    app.out.result(report.as_dict(), human)
    return 0 if report.passed else 1
