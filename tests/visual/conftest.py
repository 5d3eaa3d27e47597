"""Fixtures of the visual tests: one Chromium per test module (launching it is the slow part)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadforge.errors import ToolError


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from leadforge.visual.capture import open_browser
    from leadforge.visual.settings import BrowserSettings

    try:
        with open_browser(BrowserSettings()) as launched:
            yield launched
    except ToolError as err:  # pragma: no cover - depends on the machine
        pytest.skip(str(err))
