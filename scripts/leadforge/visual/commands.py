"""The `leadforge visual <verb>` handlers: read options, call the core, print the result."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import InputError

if TYPE_CHECKING:
    from leadforge.app import App


def _resolve(app: App, path: str | Path) -> Path:
    """Paths on the command line are relative to the working directory, like any CLI."""
    return Path(path).expanduser().resolve()


def diff(
    app: App,
    *,
    image1: str,
    image2: str,
    out: str | None,
    threshold: float,
    include_aa: bool,
    alpha: float,
    diff_mask: bool,
    diff_color: tuple[int, int, int],
    diff_color_alt: tuple[int, int, int] | None,
    aa_color: tuple[int, int, int],
) -> int:
    from leadforge.visual.diff import diff_images
    from leadforge.visual.images import check_canvas, load_rgba, save_png

    out_path = _resolve(app, out) if out is not None else None
    if out_path is not None and out_path.is_dir():
        raise InputError(f"--out {out}: is a folder; give the diff image's file name, e.g. {out_path / 'diff.png'}")
    img1 = load_rgba(_resolve(app, image1))
    img2 = load_rgba(_resolve(app, image2))
    if out_path is not None:
        check_canvas(img1, img2, what="the diff image", hint="run without --out to get the counts only")
    result, output = diff_images(
        img1,
        img2,
        with_output=out is not None,
        threshold=threshold,
        include_aa=include_aa,
        alpha=alpha,
        diff_mask=diff_mask,
        diff_color=diff_color,
        diff_color_alt=diff_color_alt,
        aa_color=aa_color,
    )
    if result.padded:
        (w1, h1), (w2, h2) = result.size1, result.size2
        app.out.info(
            f"note: the images differ in size ({w1}x{h1} vs {w2}x{h2}); compared on the padded "
            f"{result.width}x{result.height} union, where the {result.outside} pixels outside the overlap count as changed"
        )
    if out is not None and output is not None:
        if app.dry_run:
            app.out.would(f"write the diff image {out}")
        else:
            assert out_path is not None
            save_png(out_path, output)
    human = f"{result.mismatch} of {result.total} pixels differ ({result.ratio:.4%})"
    app.out.result(result.as_dict(), human)
    return 0


def capture(app: App, **options: Any) -> int:
    from leadforge.visual.capture import run_capture_command

    return run_capture_command(app, **options)


def compare(app: App, **options: Any) -> int:
    from leadforge.visual.report import run_compare_command

    return run_compare_command(app, **options)


def pr(app: App, **options: Any) -> int:
    from leadforge.visual.flow import run_pr_command

    return run_pr_command(app, **options)


def approve(app: App, **options: Any) -> int:
    from leadforge.visual.flow import run_approve_command

    return run_approve_command(app, **options)


def release(app: App, **options: Any) -> int:
    from leadforge.visual.release import run_release_command

    return run_release_command(app, **options)
