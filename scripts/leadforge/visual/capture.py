"""Screenshots with Playwright (Python) driving Chromium.

* ``plan_shots`` (pure): the configured pages x viewports -> ``Shot`` records named
  ``<page>-<WxH>.png``.
* ``find_browser``: the configured executable, Playwright's own Chromium, then the system's
  ``chromium``/``chromium-browser``; none -> one line saying how to install one.
* ``Capturer``: one browser, one fresh context per shot; only the app's origin may be
  loaded (every other request is aborted and reported); animations and the caret are
  disabled, web fonts and the network settle, masked regions are painted over, and the
  page is re-shot until two consecutive screenshots are identical.
* ``capture_to``: everything or nothing: shots go to the folder only when all succeeded,
  so a failed run never overwrites a baseline.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from leadforge.errors import ConfigError, ToolError

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.visual.settings import Action, BrowserSettings, Page, VisualSettings

# Flags that make headless Chromium quiet, offline-friendly and deterministic in CI containers.
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--font-render-hinting=none",
    "--force-color-profile=srgb",
    "--mute-audio",
)

MASK_COLOR = "#FF00FF"

INSTALL_HINT = (
    "install one: `python -m playwright install chromium`, or `apt-get install chromium`, or set visual.browser.executable"
)


@dataclass(frozen=True, slots=True)
class Shot:
    """One screenshot to take: a page at a viewport size."""

    page: str
    viewport: tuple[int, int]
    path: str
    full_page: bool
    mask: tuple[str, ...] = ()
    wait_for: str | None = None
    actions: tuple[Action, ...] = ()

    @property
    def viewport_name(self) -> str:
        return f"{self.viewport[0]}x{self.viewport[1]}"

    @property
    def file_name(self) -> str:
        return shot_file_name(self.page, self.viewport_name)


def shot_file_name(page: str, viewport: str) -> str:
    return f"{page}-{viewport}.png"


_FILE_RE = re.compile(r"^(?P<page>[a-z0-9][a-z0-9._-]*)-(?P<viewport>[0-9]+x[0-9]+)\.png$")


def split_file_name(name: str) -> tuple[str, str] | None:
    """``home-1280x800.png`` -> ``("home", "1280x800")``; None for other names."""
    match = _FILE_RE.match(name)
    return (match.group("page"), match.group("viewport")) if match else None


def plan_shots(settings: VisualSettings, only: Sequence[str] | None = None) -> tuple[Shot, ...]:
    """Every configured page at every one of its viewports (pure)."""
    from leadforge.visual.settings import parse_viewport

    names = [p.name for p in settings.pages]
    if not settings.pages:
        raise ConfigError("visual.pages is empty: list the pages to screenshot in .github/leadforge.yml")
    unknown = [name for name in only or () if name not in names]
    if unknown:
        raise ConfigError(f"visual.pages has no page named {', '.join(unknown)} (pages: {', '.join(names)})")
    shots = []
    for page in settings.pages:
        if only and page.name not in only:
            continue
        for viewport in page.viewports or settings.viewports:
            shots.append(
                Shot(
                    page=page.name,
                    viewport=parse_viewport(viewport),
                    path=page.path,
                    full_page=settings.full_page if page.full_page is None else page.full_page,
                    mask=page.mask,
                    wait_for=page.wait_for,
                    actions=page.actions,
                )
            )
    return tuple(shots)


def page_settings(settings: VisualSettings, name: str) -> Page | None:
    return next((p for p in settings.pages if p.name == name), None)


# ---- the browser ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrowserChoice:
    executable: str
    source: str  # configured | playwright | system


def find_browser(
    configured: str | None,
    *,
    playwright_path: str | None,
    which: Callable[[str], str | None] = shutil.which,
) -> BrowserChoice:
    """The Chromium to drive: the configured path, Playwright's own, then the system's."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ToolError(f"visual.browser.executable: {configured} does not exist; {INSTALL_HINT}")
        return BrowserChoice(str(path), "configured")
    if playwright_path and Path(playwright_path).is_file():
        return BrowserChoice(playwright_path, "playwright")
    for name in ("chromium", "chromium-browser"):
        found = which(name)
        if found:
            return BrowserChoice(found, "system")
    raise ToolError(f"no Chromium found (none configured, no Playwright browser, no chromium on PATH); {INSTALL_HINT}")


@contextmanager
def open_browser(settings: BrowserSettings) -> Iterator[Any]:
    """Start Playwright and launch Chromium headless; close both on exit."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            bundled = playwright.chromium.executable_path
        except PlaywrightError:
            bundled = None
        choice = find_browser(settings.executable, playwright_path=bundled)
        try:
            browser = playwright.chromium.launch(
                executable_path=choice.executable, headless=True, args=[*CHROMIUM_FLAGS, *settings.args]
            )
        except PlaywrightError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ToolError(f"{choice.executable} ({choice.source} Chromium) did not start: {first}; {INSTALL_HINT}") from None
        try:
            yield browser
        finally:
            browser.close()


# ---- taking screenshots ---------------------------------------------------------------------


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def allowed_request(url: str, origin: str) -> bool:
    """Only the app's own origin (and inline data/blob URLs) may be fetched; web sockets to the
    same host and port count as the same origin."""
    scheme = urlsplit(url).scheme
    if scheme in {"data", "blob", "about"}:
        return True
    as_http = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    if as_http not in {"http", "https"}:
        return False
    return origin_of(as_http + url[len(scheme) :]) == origin


@dataclass
class Capturer:
    """Takes shots of one running app with one launched browser."""

    browser: Any
    base_url: str
    browser_settings: BrowserSettings
    blocked: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return origin_of(self.base_url)

    def url_of(self, shot: Shot) -> str:
        return self.base_url.rstrip("/") + shot.path

    def shot(self, shot: Shot) -> bytes:
        """The stable, optimised PNG of ``shot``; ``ToolError`` naming the page when it cannot be had."""
        from leadforge.visual.images import optimize_png_bytes

        png, label = self.raw_shot(shot)
        return optimize_png_bytes(png, source=label)

    def raw_shot(self, shot: Shot) -> tuple[bytes, str]:
        """The stable PNG of ``shot`` as Chromium wrote it, and the label errors name the page by."""
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        settings = self.browser_settings
        timeout_ms = settings.timeout * 1000
        url = self.url_of(shot)
        label = f"page {shot.page} at {shot.viewport_name} ({url})"
        context = self.browser.new_context(
            viewport={"width": shot.viewport[0], "height": shot.viewport[1]},
            device_scale_factor=settings.device_scale_factor,
            locale=settings.locale,
            timezone_id=settings.timezone,
            color_scheme="light",
            reduced_motion="reduce",
            service_workers="block",
        )
        try:
            context.set_default_timeout(timeout_ms)
            context.route("**/*", self._route)
            context.route_web_socket(re.compile(".*"), self._route_web_socket)
            page = context.new_page()
            step = "load"
            try:
                response = page.goto(url, wait_until="load", timeout=timeout_ms)
                if response is not None and response.status >= 400:
                    raise ToolError(f"{label}: the app answered HTTP {response.status}")
                step = "settle (network idle)"
                page.wait_for_load_state("networkidle", timeout=timeout_ms)
                if shot.wait_for:
                    step = f"show {shot.wait_for!r}"
                    page.locator(shot.wait_for).first.wait_for(state="visible", timeout=timeout_ms)
                step = "load its fonts"
                page.evaluate("async () => { await document.fonts.ready; }")
                for action in shot.actions:
                    step = f"run action {action.action} {action.selector or action.value or action.ms or ''}".strip()
                    _run_action(page, action, timeout_ms)
                if shot.actions:
                    step = "settle after its actions"
                    page.wait_for_load_state("networkidle", timeout=timeout_ms)
                    page.evaluate("async () => { await document.fonts.ready; }")
                step = "render stable screenshots"
                png = self._stable_screenshot(page, shot, label, timeout_ms)
            except PlaywrightTimeout:
                raise ToolError(f"{label}: did not {step} within {settings.timeout:g}s") from None
            except PlaywrightError as err:
                first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                raise ToolError(f"{label}: could not {step}: {first}") from None
        finally:
            context.close()
        return png, label

    def _route(self, route: Any) -> None:
        url = route.request.url
        if allowed_request(url, self.origin):
            route.continue_()
        else:
            if url not in self.blocked:
                self.blocked.append(url)
            route.abort("blockedbyclient")

    def _route_web_socket(self, socket: Any) -> None:
        if allowed_request(socket.url, self.origin):
            socket.connect_to_server()
        else:
            if socket.url not in self.blocked:
                self.blocked.append(socket.url)
            socket.close()

    def _stable_screenshot(self, page: Any, shot: Shot, label: str, timeout_ms: float) -> bytes:
        attempts = self.browser_settings.stability_attempts
        previous: bytes | None = None
        for _ in range(attempts):
            data = page.screenshot(
                full_page=shot.full_page,
                animations="disabled",
                caret="hide",
                mask=[page.locator(selector) for selector in shot.mask],
                mask_color=MASK_COLOR,
                timeout=timeout_ms,
                type="png",
            )
            if data == previous:
                return data
            previous = data
            page.wait_for_timeout(150)
        raise ToolError(
            f"{label}: never settled: {attempts} screenshots in a row all differed; mask the moving parts "
            f"(visual.pages[].mask) or raise visual.browser.stability_attempts"
        )


def _run_action(page: Any, action: Action, timeout_ms: float) -> None:
    if action.action == "wait":
        page.wait_for_timeout(action.ms or 0)
        return
    if action.action == "evaluate":
        page.evaluate(action.value)
        return
    target = page.locator(action.selector).first
    if action.action == "click":
        target.click(timeout=timeout_ms)
    elif action.action == "hover":
        target.hover(timeout=timeout_ms)
    elif action.action == "fill":
        target.fill(action.value or "", timeout=timeout_ms)
    elif action.action == "press":
        target.press(action.value or "", timeout=timeout_ms)
    elif action.action == "scroll":
        target.scroll_into_view_if_needed(timeout=timeout_ms)


# ---- the whole run -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaptureResult:
    files: tuple[str, ...]  # the file names written
    folder: str
    blocked: tuple[str, ...]  # requests to other origins that were refused


def capture_shots(
    settings: VisualSettings, repo: Path, shots: Sequence[Shot], on_shot: Callable[[str], None] | None = None
) -> tuple[dict[str, bytes], list[str]]:
    """Serve the app, launch the browser and take every shot; all PNGs in memory, or an error.
    ``on_shot(file_name)`` is called after each one (progress).

    Re-encoding a PNG smaller (Pillow at level 9, which releases the GIL) takes as long as taking it;
    a second thread does it while the browser loads and renders the next page."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from leadforge.visual.images import optimize_png_bytes
    from leadforge.visual.server import serve

    pending: dict[str, Future[bytes]] = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadforge-png") as encoder:
        try:
            with serve(settings.app, repo) as base_url, open_browser(settings.browser) as browser:
                capturer = Capturer(browser, base_url, settings.browser)
                for shot in shots:
                    png, label = capturer.raw_shot(shot)
                    pending[shot.file_name] = encoder.submit(optimize_png_bytes, png, source=label)
                    if on_shot is not None:
                        on_shot(shot.file_name)
        except BaseException:
            for future in pending.values():
                future.cancel()
            raise
        results = {name: future.result() for name, future in pending.items()}
    return results, capturer.blocked


def write_shots(results: dict[str, bytes], folder: Path) -> tuple[str, ...]:
    """Write every PNG (each atomically); called only once all shots succeeded."""
    from leadforge.fsutil import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(results.items()):
        target = folder / name
        if target.is_file() and target.read_bytes() == data:
            continue  # unchanged: keep the file (and its git blob) as is
        atomic_write(target, data)
    return tuple(sorted(results))


MANIFEST = "capture.json"


def _write_manifest(folder: Path, files: Sequence[str], blocked: Sequence[str]) -> None:
    """``capture.json`` beside the screenshots: the artifact always exists, even with no pages."""
    import json

    from leadforge.fsutil import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / MANIFEST, json.dumps({"files": list(files), "blocked": list(blocked)}, indent=2) + "\n")


def history_folder(settings: VisualSettings, repo: Path, today: dt.date | None = None) -> Path:
    day = (today or dt.datetime.now(dt.UTC).date()).isoformat()
    return repo / settings.history_dir / day


def run_capture_command(app: App, *, out: str | None, baseline: bool, history: bool, page: list[str] | None) -> int:
    settings = app.config.visual
    if baseline:
        folder = app.repo / settings.baseline_dir
    elif history:
        folder = history_folder(settings, app.repo)
    elif out:
        folder = Path(out).expanduser().resolve()
    else:
        raise ConfigError("visual capture: say where the screenshots go: --out DIR, --baseline or --history")
    if not settings.pages and not page:
        # a repository that has not configured pages yet: nothing to do, and not an error
        if out and not app.dry_run:
            _write_manifest(folder, (), ())
        app.out.result(
            {"folder": str(folder), "files": [], "blocked": []}, "visual.pages is empty: nothing to capture (see docs/visual.md)"
        )
        return 0
    shots = plan_shots(settings, page)
    if app.dry_run:
        for shot in shots:
            app.out.would(f"capture {shot.path} at {shot.viewport_name} -> {folder / shot.file_name}")
        app.out.result({"folder": str(folder), "files": [s.file_name for s in shots], "dry_run": True}, "")
        return 0
    pages = len({s.page for s in shots})
    with app.out.progress(len(shots), f"capturing {len(shots)} screenshot(s) of {pages} page(s)") as bar:
        results, blocked = capture_shots(settings, app.repo, shots, on_shot=bar.advance)
    for url in blocked:
        app.out.info(f"blocked a request outside the app's origin: {url}")
    files = write_shots(results, folder)
    if out:
        _write_manifest(folder, files, blocked)
    result = CaptureResult(files, str(folder), tuple(blocked))
    human = "\n".join([f"wrote {len(files)} screenshot(s) to {folder}", *(f"  {name}" for name in files)])
    app.out.result({"folder": result.folder, "files": list(result.files), "blocked": list(result.blocked)}, human)
    return 0
