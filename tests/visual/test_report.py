"""`leadforge visual compare`: verdicts per screenshot, the images, and the offline HTML report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from leadforge.config import parse_config
from leadforge.errors import InputError
from leadforge.visual.images import load_rgba
from leadforge.visual.report import allowed_ratio, format_percent, verdict
from tests.visual.reference import text_image

CONFIG = """
visual:
  max_ratio: 0.001
  pages:
    - {name: home}
    - {name: blog, max_ratio: 0.5}
"""


def save(path: Path, rgba: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgba, "RGBA").save(path)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "leadforge.yml").write_text(CONFIG, encoding="utf-8")
    base, cur = tmp_path / "baseline", tmp_path / "current"
    home = text_image(160, 90, "Home page")
    save(base / "home-160x90.png", home)
    save(cur / "home-160x90.png", text_image(160, 90, "Home pages"))  # changed beyond 0.1%
    blog = text_image(160, 90, "Blog")
    save(base / "blog-160x90.png", blog)
    save(cur / "blog-160x90.png", text_image(160, 90, "Blog!"))  # changed, but blog allows 50%
    save(base / "about-160x90.png", text_image(160, 90, "About"))
    save(cur / "about-160x90.png", text_image(160, 90, "About"))  # unchanged
    save(cur / "pricing-160x90.png", text_image(160, 90, "Pricing"))  # new
    save(base / "legacy-160x90.png", text_image(160, 90, "Legacy"))  # removed
    return repo, base, cur


def test_verdicts_follow_the_allowed_ratio() -> None:
    settings = parse_config(CONFIG).visual
    assert allowed_ratio(settings, "home") == 0.001
    assert allowed_ratio(settings, "blog") == 0.5
    assert allowed_ratio(settings, "blog", override=0.2) == 0.2
    assert verdict(0, 0.0, 0.0) == "unchanged"
    assert verdict(5, 0.001, 0.001) == "changed"
    assert verdict(6, 0.0011, 0.001) == "failed"
    assert format_percent(0.0123) == "1.23%" and format_percent(None) == "—" and format_percent(1e-6) == "<0.01%"


def test_compare_writes_images_and_report_and_fails_on_regressions(run_cli, folders, tmp_path: Path) -> None:
    repo, base, cur = folders
    out = tmp_path / "report"
    result = run_cli("visual", "compare", "--baseline", str(base), "--current", str(cur), "--out", str(out), "--json", repo=repo)
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    status = {e["name"]: e["status"] for e in data["entries"]}
    assert status == {
        "about-160x90.png": "unchanged",
        "blog-160x90.png": "changed",
        "home-160x90.png": "failed",
        "legacy-160x90.png": "removed",
        "pricing-160x90.png": "new",
    }
    assert data["passed"] is False
    home = next(e for e in data["entries"] if e["page"] == "home")
    assert home["viewport"] == "160x90" and 0 < home["ratio"] == home["mismatch"] / (160 * 90)
    side = load_rgba(out / home["side_by_side"])
    assert side.shape[1] == 3 * 160 + 2 * 12 and side.shape[0] > 90
    assert load_rgba(out / home["diff"]).shape == (90, 160, 4)
    assert json.loads((out / "report.json").read_text())["counts"]["failed"] == 1
    assert (out / "index.html").is_file()
    about = next(e for e in data["entries"] if e["page"] == "about")
    assert about["diff"] is None  # nothing to show for an unchanged page


def test_compare_passes_when_everything_is_within_its_ratio(run_cli, folders, tmp_path: Path) -> None:
    repo, base, cur = folders
    (cur / "pricing-160x90.png").unlink()
    result = run_cli(
        "visual",
        "compare",
        "--baseline",
        str(base),
        "--current",
        str(cur),
        "--out",
        str(tmp_path / "r"),
        "--max-ratio",
        "0.9",
        repo=repo,
    )
    assert result.code == 0, result.stdout + result.stderr
    assert "visual check passed" in result.stdout


def test_missing_current_folder_is_one_line(run_cli, folders, tmp_path: Path) -> None:
    repo, base, _ = folders
    result = run_cli(
        "visual", "compare", "--baseline", str(base), "--current", str(tmp_path / "nope"), "--out", str(tmp_path / "r"), repo=repo
    )
    assert result.code == 1 and "no such folder of screenshots" in result.stderr


@pytest.mark.integration
def test_html_report_works_offline_in_chromium(run_cli, folders, tmp_path: Path, browser) -> None:
    repo, base, cur = folders
    out = tmp_path / "report"
    run_cli("visual", "compare", "--baseline", str(base), "--current", str(cur), "--out", str(out), repo=repo)
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in {"error", "warning"} else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
    page.on("request", lambda request: problems.append(f"network {request.url}") if not request.url.startswith("file:") else None)
    page.goto((out / "index.html").as_uri(), wait_until="load")
    images = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
    assert len(images) >= 10
    assert all(complete and width > 0 for _, complete, width in images), images
    assert page.locator("h1").inner_text() == "Visual check failed"
    assert page.locator("td.status-failed").count() == 1
    # the slider view: switch to it and drag the control
    section = page.locator("section.shot", has_text="home")
    section.locator("button[data-view=slider]").click()
    assert section.locator("[data-name=slider]").is_visible()
    assert not section.locator("[data-name=side]").is_visible()
    section.locator(".slider-control").fill("20")
    assert "20%" in section.locator(".slider .after").evaluate("el => el.style.clipPath")
    page.close()
    assert problems == []


def test_only_plain_screenshot_files_are_compared(tmp_path: Path) -> None:
    from leadforge.visual.report import screenshot_names

    save(tmp_path / "home-10x10.png", text_image(10, 10, ""))
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "we ird.png").write_bytes(b"x")
    (tmp_path / "link-10x10.png").symlink_to(tmp_path / "home-10x10.png")
    assert list(screenshot_names(tmp_path)) == ["home-10x10.png"]
    assert screenshot_names(tmp_path / "missing") == {}


def test_out_that_is_a_file_is_one_line(run_cli, folders, tmp_path: Path) -> None:
    repo, base, cur = folders
    target = tmp_path / "report.txt"
    target.write_text("keep me", encoding="utf-8")
    result = run_cli("visual", "compare", "--baseline", str(base), "--current", str(cur), "--out", str(target), repo=repo)
    assert result.code == 1 and "is a file" in result.stderr and "Traceback" not in result.stderr
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_corrupt_new_screenshot_is_refused_not_listed_as_new(run_cli, folders, tmp_path: Path) -> None:
    repo, base, cur = folders
    (cur / "broken-160x90.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    result = run_cli("visual", "compare", "--baseline", str(base), "--current", str(cur), "--out", str(tmp_path / "r"), repo=repo)
    assert result.code == 1 and "broken-160x90.png" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r" / "report.json").exists()


def test_a_missing_baseline_folder_is_said_and_every_screenshot_is_new(run_cli, folders, tmp_path: Path) -> None:
    repo, _, cur = folders
    result = run_cli(
        "visual",
        "compare",
        "--baseline",
        str(tmp_path / "typo"),
        "--current",
        str(cur),
        "--out",
        str(tmp_path / "r"),
        "--json",
        repo=repo,
    )
    assert result.code == 1
    assert "typo: no such folder, so every screenshot is new" in result.stderr
    assert {e["status"] for e in json.loads(result.stdout)["entries"]} == {"new"}


# ---- speed choices that must not change the results ----------------------------------------------


def old_side_by_side(before: np.ndarray | None, after: np.ndarray | None, diff: np.ndarray | None) -> np.ndarray:
    """The side-by-side image as it was first drawn (one Pillow canvas): the reference for the striped one."""
    from PIL import ImageDraw, ImageFont

    panels = [(label, img) for label, img in (("before", before), ("after", after), ("diff", diff)) if img is not None]
    width = sum(img.shape[1] for _, img in panels) + 12 * (len(panels) - 1)
    height = max(img.shape[0] for _, img in panels) + 28
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=16)
    x = 0
    for label, img in panels:
        draw.text((x + 4, 5), label, fill=(40, 40, 40, 255), font=font)
        canvas.paste(Image.fromarray(img, "RGBA"), (x, 28))
        x += img.shape[1] + 12
    return np.asarray(canvas)


def test_striped_side_by_side_is_the_same_image(monkeypatch) -> None:
    from leadforge.visual import images
    from leadforge.visual.report import SideBySide, side_by_side

    wide, tall, tiny = text_image(160, 90, "Home"), text_image(120, 300, "Other"), text_image(3, 2, "x")
    translucent = wide.copy()
    translucent[..., 3] = 100
    monkeypatch.setattr(images, "_STRIPE_BYTES", 5000)  # many stripes, crossing the labels and the panels' ends
    for panels in ((wide, tall, wide), (wide, None, tall), (tiny, tiny, tiny), (translucent, wide, tall), (None, tiny, None)):
        expected = old_side_by_side(*panels)
        assert np.array_equal(side_by_side(*panels), expected)
        png = SideBySide.of(*panels).png()
        assert np.array_equal(load_rgba(Path("side.png"), png), expected)


def _report_without_folder(out: Path) -> dict:
    data = json.loads((out / "report.json").read_text())
    return data


def _pixels_of_images(out: Path) -> dict[str, bytes]:
    return {p.name: load_rgba(p).tobytes() for p in sorted((out / "images").iterdir())}


@pytest.mark.parametrize("other_thread", [False, True], ids=["forked-workers", "fork-server-workers"])
def test_parallel_compare_gives_the_serial_report_and_images(folders, tmp_path: Path, other_thread: bool) -> None:
    import threading

    from leadforge.visual.report import _worker_context, compare_folders

    _repo, base, cur = folders
    stop = threading.Event()
    if other_thread:  # forking a process with threads is unsafe: the workers then come from a fork server
        threading.Thread(target=stop.wait, daemon=True).start()
        assert _worker_context().get_start_method() != "fork"
    # more pairs than workers, of different sizes, so the workers finish out of order
    for n in range(6):
        save(base / f"extra{n}-200x{40 + 30 * n}.png", text_image(200, 40 + 30 * n, f"Extra {n}"))
        save(cur / f"extra{n}-200x{40 + 30 * n}.png", text_image(200, 40 + 30 * n, f"Extra {n}" + "!" * (n % 2)))
    settings = parse_config(CONFIG).visual
    serial = compare_folders(settings, base, cur, tmp_path / "serial", workers=1)
    try:
        parallel = compare_folders(settings, base, cur, tmp_path / "parallel", workers=3)
    finally:
        stop.set()
    assert [e.name for e in parallel.entries] == sorted(e.name for e in parallel.entries)
    assert serial.entries == parallel.entries
    assert _report_without_folder(tmp_path / "serial")["entries"] == _report_without_folder(tmp_path / "parallel")["entries"]
    assert _pixels_of_images(tmp_path / "serial") == _pixels_of_images(tmp_path / "parallel")
    assert (tmp_path / "serial" / "index.html").read_text() == (tmp_path / "parallel" / "index.html").read_text()
    assert {e.status for e in serial.entries} == {"unchanged", "changed", "failed", "new", "removed"}


def test_compare_jobs_option_reaches_the_workers(run_cli, folders, tmp_path: Path, monkeypatch) -> None:
    from leadforge.visual import report

    seen = []
    real = report.run_pairs

    def spy(jobs, *, workers=None, on_done=None):
        seen.append(workers)
        return real(jobs, workers=workers, on_done=on_done)

    monkeypatch.setattr(report, "run_pairs", spy)
    repo, base, cur = folders
    result = run_cli(
        "visual",
        "compare",
        "--baseline",
        str(base),
        "--current",
        str(cur),
        "--out",
        str(tmp_path / "r"),
        "--jobs",
        "2",
        repo=repo,
    )
    assert result.code == 1 and seen == [2]
    assert "[5/5] comparing" in result.stderr  # progress, one line per screenshot off a terminal
    bad = run_cli(
        "visual",
        "compare",
        "--baseline",
        str(base),
        "--current",
        str(cur),
        "--out",
        str(tmp_path / "r"),
        "--jobs",
        "0",
        repo=repo,
    )
    assert bad.code == 2 and "must be 1 or more" in bad.stderr


def test_byte_identical_files_are_unchanged_without_decoding(folders, tmp_path: Path, monkeypatch) -> None:
    from leadforge.visual import images
    from leadforge.visual.report import compare_folders

    _repo, base, cur = folders
    decoded: list[str] = []
    real = images.load_rgba

    def spy(path, data=None):
        decoded.append(Path(path).name)
        return real(path, data)

    monkeypatch.setattr(images, "load_rgba", spy)
    report = compare_folders(parse_config(CONFIG).visual, base, cur, tmp_path / "r", workers=1)
    about = next(e for e in report.entries if e.page == "about")
    assert (about.status, about.mismatch, about.total, about.ratio, about.diff) == ("unchanged", 0, 160 * 90, 0.0, None)
    assert "about-160x90.png" not in decoded and "home-160x90.png" in decoded
    assert not list((tmp_path / "r" / "images").glob("about-*"))


def test_identical_but_damaged_files_are_still_refused(folders, tmp_path: Path) -> None:
    from leadforge.visual.report import compare_folders

    _repo, base, cur = folders
    data = (base / "about-160x90.png").read_bytes()
    for path in (base / "about-160x90.png", cur / "about-160x90.png"):
        path.write_bytes(data[: len(data) - 30])  # truncated: the same bytes on both sides
    with pytest.raises(InputError, match=r"about-160x90\.png"):
        compare_folders(parse_config(CONFIG).visual, base, cur, tmp_path / "r", workers=1)


def test_same_pixels_in_other_bytes_are_unchanged_without_a_diff(folders, tmp_path: Path, monkeypatch) -> None:
    from leadforge.visual import diff
    from leadforge.visual.report import compare_folders

    _repo, base, cur = folders
    about = load_rgba(base / "about-160x90.png")
    Image.fromarray(about, "RGBA").save(cur / "about-160x90.png", compress_level=1)  # re-encoded
    assert (cur / "about-160x90.png").read_bytes() != (base / "about-160x90.png").read_bytes()
    diffed: list[tuple[int, ...]] = []
    real = diff.diff_images

    def counting(a: np.ndarray, b: np.ndarray, **kw: Any) -> Any:
        diffed.append(a.shape)
        return real(a, b, **kw)

    monkeypatch.setattr(diff, "diff_images", counting)
    report = compare_folders(parse_config(CONFIG).visual, base, cur, tmp_path / "r", workers=1)
    entry = next(e for e in report.entries if e.page == "about")
    assert (entry.status, entry.mismatch, entry.total, entry.diff, entry.side_by_side) == ("unchanged", 0, 160 * 90, None, None)
    assert len(diffed) == 2  # home and blog only
    assert not list((tmp_path / "r" / "images").glob("about-*"))


def test_the_first_bad_screenshot_in_name_order_is_reported(folders, tmp_path: Path) -> None:
    from leadforge.visual.report import compare_folders

    _repo, base, cur = folders
    (cur / "blog-160x90.png").write_bytes(b"not a png")
    (cur / "home-160x90.png").write_bytes(b"not a png either")
    with pytest.raises(InputError, match=r"blog-160x90\.png"):
        compare_folders(parse_config(CONFIG).visual, base, cur, tmp_path / "r", workers=2)


def test_same_pixels_compares_whole_arrays() -> None:
    from leadforge.visual.report import same_pixels

    tall = text_image(300, 2000, "Tall")
    other = tall.copy()
    other[-1, -1, 2] ^= 1  # the very last byte
    assert same_pixels(tall, tall.copy())
    assert not same_pixels(tall, other)
    assert not same_pixels(tall, tall[:-1])
    assert same_pixels(tall[:0], tall[:0])


def test_workers_keep_freed_memory_without_breaking_anything(tmp_path: Path) -> None:
    import subprocess
    import sys

    # in a process of its own: the setting is process-wide
    code = (
        "from leadforge.visual.report import keep_freed_memory; import numpy as np; keep_freed_memory(); "
        "a = np.ones((4000, 4000, 4), np.uint8); del a; b = np.zeros((4000, 4000, 4), np.uint8); print(int(b.sum()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "0", done.stderr
