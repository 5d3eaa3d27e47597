"""pytest plugin: the ``github_double`` fixture (see ``tests/apidouble/__init__.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

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


@pytest.fixture
def make_github_double() -> Iterator[Callable[..., GitHubDouble]]:
    """Factory for doubles of other repositories: ``make_github_double("Codertocat/Hello-World")``.

    Every double made is stopped and checked for OpenAPI violations at teardown.
    """
    made: list[GitHubDouble] = []

    def make(repository: str = "octo-org/octo-repo", **options: Any) -> GitHubDouble:
        double = GitHubDouble(repository, **options).start()
        made.append(double)
        return double

    try:
        yield make
    finally:
        for double in made:
            double.stop()
    for double in made:
        double.assert_clean()
