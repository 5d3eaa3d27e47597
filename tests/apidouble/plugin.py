"""pytest plugin: the ``github_double`` fixture (see ``tests/apidouble/__init__.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.apidouble.server import GitHubDouble


@pytest.fixture
def github_double() -> Iterator[GitHubDouble]:
    """A started GitHub API double for ``octo-org/octo-repo``; fails the test on any OpenAPI violation."""
    double = GitHubDouble().start()
    try:
        yield double
    finally:
        double.stop()
    double.assert_clean()
