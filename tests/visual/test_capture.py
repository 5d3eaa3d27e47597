"""Capture: the plan, browser discovery, the origin allow-list, and real Chromium screenshots."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leadforge.config import parse_config
from leadforge.errors import ConfigError, ToolError
from leadforge.visual.capture import (
    Capturer,
    Shot,
    allowed_request,
    find_browser,
    plan_shots,
    split_file_name,
)
from leadforge.visual.server import serve_folder
from leadforge.visual.settings import Action, BrowserSettings
from tests.visual.site import write_site


def visual_settings(yaml: str):
    return parse_config(yaml).visual


CONFIG = """
visual:
  app: {static: site}
  viewports: [320x240, 800x600]
  pages:
    - name: home
      path: /index.html
      mask: ["#clock"]
    - name: blue
      path: /blue.html
      viewports: [200x100]
      full_page: false
"""


def test_plan_has_one_shot_per_page_and_viewport() -> None:
    shots = plan_shots(visual_settings(CONFIG))
    assert [s.file_name for s in shots] == ["home-320x240.png", "home-800x600.png", "blue-200x100.png"]
    assert shots[0].full_page and not shots[2].full_page
    assert shots[0].mask == ("#clock",)
    assert [s.file_name for s in plan_shots(visual_settings(CONFIG), ["blue"])] == ["blue-200x100.png"]
    assert split_file_name("home-320x240.png") == ("home", "320x240")
    assert split_file_name("notes.txt") is None


def test_plan_errors_name_the_problem() -> None:
    with pytest.raises(ConfigError, match="no page named nope"):
        plan_shots(visual_settings(CONFIG), ["nope"])
    with pytest.raises(ConfigError, match=r"visual\.pages is empty"):
        plan_shots(visual_settings("visual: {}"))


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("visual: {viewports: [big]}", "1280x800"),
        ("visual: {pages: [{name: Home}]}", "lower case"),
        ("visual: {pages: [{name: a, path: 'http://evil/'}]}", "single /"),
        ("visual: {pages: [{name: a}, {name: a}]}", "two pages"),
        ("visual: {app: {command: 'npm start'}}", "needs app.url"),
        ("visual: {pages: [{name: a, actions: [{action: click}]}]}", "needs a selector"),
        ("visual: {max_ratio: 2}", "max_ratio"),
    ],
)
def test_bad_visual_config_names_the_key(yaml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(yaml, ".github/leadforge.yml")


def test_browser_search_order(tmp_path: Path) -> None:
    configured = tmp_path / "my-chrome"
    configured.write_text("")
    bundled = tmp_path / "pw-chrome"
    bundled.write_text("")
    system = {"chromium": "/usr/bin/chromium", "chromium-browser": "/usr/bin/chromium-browser"}
    assert find_browser(str(configured), playwright_path=str(bundled), which=system.get).source == "configured"
    assert find_browser(None, playwright_path=str(bundled), which=system.get).executable == str(bundled)
    assert find_browser(None, playwright_path=str(tmp_path / "gone"), which=system.get).executable == "/usr/bin/chromium"
    only_browser = {"chromium-browser": "/snap/bin/chromium-browser"}
    assert find_browser(None, playwright_path=None, which=only_browser.get).executable == "/snap/bin/chromium-browser"
    with pytest.raises(ToolError, match="playwright install chromium"):
        find_browser(None, playwright_path=None, which=lambda name: None)
    with pytest.raises(ToolError, match=r"visual\.browser\.executable: .*does not exist"):
        find_browser(str(tmp_path / "missing"), playwright_path=str(bundled), which=system.get)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8000/app.js", True),
        ("http://127.0.0.1:8000", True),
        ("ws://127.0.0.1:8000/live", True),
        ("http://127.0.0.1:8001/app.js", False),
        ("https://127.0.0.1:8000/app.js", False),
        ("http://example.invalid/x.png", False),
        ("http://169.254.169.254/latest/meta-data/", False),
        ("file:///etc/passwd", False),
        ("data:image/png;base64,AAAA", True),
    ],
)
def test_only_the_app_origin_is_allowed(url: str, allowed: bool) -> None:
    assert allowed_request(url, "http://127.0.0.1:8000") is allowed


# ---- real Chromium (one browser for the module) ---------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = write_site(tmp_path_factory.mktemp("site"))
    with serve_folder(folder) as url:
        yield url


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.integration
def test_screenshot_is_stable_masked_and_blocks_other_origins(browser, site) -> None:
    capturer = Capturer(browser, site, BrowserSettings(timeout=15))
    shot = Shot("home", (320, 240), "/index.html", full_page=False, mask=("#clock",))
    first = capturer.shot(shot)
    second = capturer.shot(shot)
    assert first == second  # animation, caret and the ticking clock do not leak into the image
    pixels = decode(first)
    assert pixels.shape == (240, 320, 4)
    # the masked clock (top right, 80x24 at 10px from the edges) is painted in the mask colour
    assert (pixels[20, 320 - 40, :3] == (255, 0, 255)).all()
    # the heading rendered in its red
    assert ((pixels[..., 0] > 150) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)).sum() > 50
    assert "http://example.invalid/tracker.png" in capturer.blocked
    assert "https://example.invalid/api" in capturer.blocked


@pytest.mark.integration
def test_full_page_and_actions(browser, site) -> None:
    capturer = Capturer(browser, site, BrowserSettings(timeout=15))
    closed = decode(capturer.shot(Shot("menu", (320, 240), "/index.html", full_page=False, mask=("#clock",))))
    opened = decode(
        capturer.shot(
            Shot(
                "menu",
                (320, 240),
                "/index.html",
                full_page=True,
                mask=("#clock",),
                wait_for="#open",
                actions=(Action(action="click", selector="#open"),),
            )
        )
    )
    assert opened.shape[0] > 900 and opened.shape[1] == 320  # the whole scrollable page
    assert not np.array_equal(opened[:240], closed)  # the click opened the menu before the shot


@pytest.mark.integration
def test_a_selector_that_never_appears_fails_naming_the_page(browser, site) -> None:
    capturer = Capturer(browser, site, BrowserSettings(timeout=1))
    with pytest.raises(ToolError, match=r"page never at 200x100 \(.*/never.html\): did not show '#ready' within 1s"):
        capturer.shot(Shot("never", (200, 100), "/never.html", full_page=False, wait_for="#ready"))
    with pytest.raises(ToolError, match="HTTP 404"):
        capturer.shot(Shot("gone", (200, 100), "/gone.html", full_page=False))


def test_no_pages_configured_is_not_an_error(run_cli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "leadforge.yml").write_text("visual: {app: {static: site}}\n", encoding="utf-8")
    shots = tmp_path / "shots"
    result = run_cli("visual", "capture", "--out", str(shots), repo=repo)
    assert result.code == 0 and "nothing to capture" in result.stdout
    assert json.loads((shots / "capture.json").read_text()) == {"files": [], "blocked": []}
    report = run_cli("visual", "pr", "--current", str(shots), "--pr", "1", "--out", str(tmp_path / "r"), repo=repo)
    assert report.code == 0 and "nothing to report" in report.stdout


def test_shots_are_optimised_in_a_second_thread_with_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    """capture_shots hands each raw PNG to an encoder thread while the browser takes the next one: the
    result is what `Capturer.shot` (raw shot, then optimise) gives, in shot order; a failure stops it all."""
    import contextlib
    import threading

    from leadforge.visual import capture
    from leadforge.visual.images import optimize_png_bytes
    from tests.visual.reference import text_image

    def raw_png(text: str) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(text_image(200, 120, text), "RGBA").save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()

    threads: set[str] = set()
    real_optimize = optimize_png_bytes

    def spy_optimize(data: bytes, *, source: str = "screenshot") -> bytes:
        threads.add(threading.current_thread().name)
        return real_optimize(data, source=source)

    def fake_raw_shot(self, shot):
        if shot.page == "broken":
            raise ToolError(f"page {shot.page}: did not load")
        return raw_png(shot.file_name), f"page {shot.page}"

    monkeypatch.setattr("leadforge.visual.server.serve", lambda app, repo: contextlib.nullcontext("http://127.0.0.1:1"))
    monkeypatch.setattr(capture, "open_browser", lambda settings: contextlib.nullcontext(object()))
    monkeypatch.setattr(capture.Capturer, "raw_shot", fake_raw_shot)
    monkeypatch.setattr("leadforge.visual.images.optimize_png_bytes", spy_optimize)
    settings = visual_settings(CONFIG)
    shots = plan_shots(settings)
    done: list[str] = []
    results, blocked = capture.capture_shots(settings, tmp_path, shots, on_shot=done.append)
    assert list(results) == [s.file_name for s in shots] == done and blocked == []
    for shot in shots:
        assert results[shot.file_name] == real_optimize(raw_png(shot.file_name), source="x")
    assert threads and all(name.startswith("leadforge-png") for name in threads)
    broken = (*shots[:1], Shot("broken", (320, 240), "/x.html", full_page=False), *shots[1:])
    with pytest.raises(ToolError, match="page broken"):
        capture.capture_shots(settings, tmp_path, broken)
