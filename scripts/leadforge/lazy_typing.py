"""``overload`` without importing ``typing`` at run time.

``typing`` takes ~9 ms to import, and ``leadforge.proc`` loads before ``deploy render`` starts kustomize
(``deploy/early.py``). Type checkers see ``typing.overload`` here; at run time each decorated variant is
kept as it is and then replaced by the implementation that follows it. (ruff reads this module as
``typing``: ``typing-modules`` in pyproject.toml.)
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import overload as overload
else:

    def overload(function):
        return function
