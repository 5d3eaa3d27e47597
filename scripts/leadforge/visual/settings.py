"""The `visual:` section of `.github/leadforge.yml` (Visual regression).

How to start the app, which pages to screenshot at which sizes, how sensitive the
comparison is and when a pull request fails, where baselines live, and how new
baselines are approved.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from leadforge.strict import StrictModel
from leadforge.visual.folders import BASELINE_DIR, RELEASES_DIR

_VIEWPORT_RE = re.compile(r"^([1-9][0-9]{1,4})x([1-9][0-9]{1,4})$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def parse_viewport(text: str) -> tuple[int, int]:
    """``"1280x800"`` -> ``(1280, 800)``."""
    match = _VIEWPORT_RE.match(text)
    if not match:
        raise ValueError(f"viewport {text!r} must look like 1280x800 (width x height, 10..99999)")
    return int(match.group(1)), int(match.group(2))


class Action(StrictModel):
    """One step run on the page before the screenshot, in order."""

    action: Literal["click", "hover", "fill", "press", "wait", "scroll", "evaluate"] = Field(
        description="click|hover|fill|press|scroll: on `selector`; wait: `ms` milliseconds; evaluate: run the `value` script."
    )
    selector: str | None = Field(None, description="CSS selector the action targets (click, hover, fill, press, scroll).")
    value: str | None = Field(None, description="Text to type (fill), key to press (press, e.g. Enter), or script (evaluate).")
    ms: int | None = Field(None, ge=0, le=60000, description="Milliseconds to wait (wait).")

    @model_validator(mode="after")
    def _check(self) -> Action:
        needs_selector = {"click", "hover", "fill", "press", "scroll"}
        if self.action in needs_selector and not self.selector:
            raise ValueError(f"action {self.action} needs a selector")
        if self.action in {"fill", "press", "evaluate"} and self.value is None:
            raise ValueError(f"action {self.action} needs a value")
        if self.action == "wait" and self.ms is None:
            raise ValueError("action wait needs ms")
        return self


class Page(StrictModel):
    """A page to screenshot: one PNG per viewport, named `<name>-<viewport>.png`."""

    name: str = Field(description="File-name-safe id (lower case, digits, . _ -).")
    path: str = Field("/", description="Path on the app's origin, e.g. /pricing?plan=pro.")
    viewports: tuple[str, ...] | None = Field(None, description="Viewport sizes like 1280x800; default: visual.viewports.")
    full_page: bool | None = Field(None, description="Capture the whole scrollable page; default: visual.full_page.")
    mask: tuple[str, ...] = Field((), description="CSS selectors of dynamic regions painted over (clocks, avatars, ads).")
    wait_for: str | None = Field(None, description="CSS selector that must be visible before the capture.")
    actions: tuple[Action, ...] = Field((), description="Steps before the capture (click a menu open, fill a form...).")
    max_ratio: float | None = Field(
        None, ge=0, le=1, description="This page's allowed mismatch ratio (0..1); default: visual.max_ratio."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise ValueError(f"page name {value!r} must be lower case letters, digits, '.', '_' or '-'")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//"):
            raise ValueError(f"page path {value!r} must start with a single / (a path on the app's origin)")
        return value

    @field_validator("viewports")
    @classmethod
    def _viewports(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for item in value or ():
            parse_viewport(item)
        if value is not None and not value:
            raise ValueError("viewports must not be empty (leave it out to use visual.viewports)")
        return value


class AppSettings(StrictModel):
    """How the app under test is reached: a command that serves it, or a static folder we serve."""

    command: str | None = Field(
        None, description="Shell command that starts the app (run from the repo root), e.g. npm run preview."
    )
    url: str | None = Field(
        None, description="Base URL of the app (with command: polled until it answers), e.g. http://127.0.0.1:4173."
    )
    static: str | None = Field(None, description="Folder (relative to the repo) served on a local port instead of a command.")
    start_timeout: float = Field(60.0, gt=0, le=600, description="Seconds to wait for the app to answer.")

    @model_validator(mode="after")
    def _check(self) -> AppSettings:
        if self.command and self.static:
            raise ValueError("set either app.command (with app.url) or app.static, not both")
        if self.command and not self.url:
            raise ValueError("app.command needs app.url: the address to wait for")
        if self.url and not re.match(r"^https?://[^/\s]+(/.*)?$", self.url):
            raise ValueError(f"app.url {self.url!r} must be an http(s) URL")
        return self


class BrowserSettings(StrictModel):
    """The Chromium that Playwright drives."""

    executable: str | None = Field(
        None, description="Path to Chromium; default: Playwright's own, then `chromium`/`chromium-browser` on PATH."
    )
    args: tuple[str, ...] = Field((), description="Extra Chromium command-line flags.")
    timeout: float = Field(30.0, gt=0, le=600, description="Seconds a page may take to load and settle.")
    device_scale_factor: float = Field(1.0, gt=0, le=4, description="Device pixel ratio of the screenshots.")
    stability_attempts: int = Field(
        5, ge=2, le=20, description="Screenshots taken until two in a row are identical (then the page is stable)."
    )
    locale: str = Field("en-US", description="Browser locale (dates and numbers render the same on every run).")
    timezone: str = Field("UTC", description="Browser time zone.")


class VisualSettings(StrictModel):
    """Visual regression settings."""

    app: AppSettings = Field(default_factory=AppSettings, description="How to start or serve the app.")
    pages: tuple[Page, ...] = Field((), description="Pages to screenshot.")
    viewports: tuple[str, ...] = Field(("1280x800",), description="Default viewport sizes (width x height).")
    full_page: bool = Field(True, description="Default for pages: capture the whole scrollable page.")
    browser: BrowserSettings = Field(default_factory=BrowserSettings, description="Browser options.")
    threshold: float = Field(
        0.1, ge=0, le=1, description="Per-pixel colour threshold of the diff (pixelmatch; smaller is stricter)."
    )
    include_aa: bool = Field(False, description="Count anti-aliased pixels as differences too.")
    max_ratio: float = Field(
        0.0, ge=0, le=1, description="Allowed share of changed pixels per screenshot before the check fails (0..1)."
    )
    baseline_dir: str = Field(BASELINE_DIR, description="Accepted screenshots, committed on the default branch.")
    releases_dir: str = Field(RELEASES_DIR, description="Screenshots per release: <releases_dir>/<tag>/.")
    history_dir: str = Field("screenshots/history", description="Dated captures: <history_dir>/<YYYY-MM-DD>/.")
    changelog: str = Field("VISUAL_CHANGELOG.md", description="The visual changelog file (newest release first).")
    assets_branch: str = Field(
        "leadforge-visual-assets", description="Branch that holds PR comment images (never the PR branch)."
    )
    approve_command: str = Field("/leadforge approve-visual", description="PR comment that accepts the new screenshots.")
    approve_label: str = Field("visual:approve", description="PR label that accepts the new screenshots.")

    @field_validator("viewports")
    @classmethod
    def _viewports(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("visual.viewports needs at least one size")
        for item in value:
            parse_viewport(item)
        return value

    @model_validator(mode="after")
    def _unique_pages(self) -> VisualSettings:
        seen: set[str] = set()
        for page in self.pages:
            if page.name in seen:
                raise ValueError(f"two pages are named {page.name!r}")
            seen.add(page.name)
        return self
