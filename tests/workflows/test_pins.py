"""The pin table is well-formed and the docs show exactly the same pins (the CI smoke selection, too)."""

from __future__ import annotations

import re

from tests.harness import PROJECT_ROOT
from tests.workflows.pins import PINS, pinned_sha, uses

SHA = re.compile(r"[0-9a-f]{40}")


def test_every_pin_is_a_full_sha_with_a_semver_tag() -> None:
    assert PINS, "no pins"
    for action, pin in PINS.items():
        assert re.fullmatch(r"[a-z0-9-]+/[a-z0-9._-]+(/[a-z0-9._/-]+)?", action), action
        assert SHA.fullmatch(pin.sha), f"{action}: {pin.sha!r} is not a 40-hex commit SHA"
        assert re.fullmatch(r"v\d+\.\d+\.\d+", pin.version), f"{action}: version comment {pin.version!r}"


def test_uses_line_and_lookup() -> None:
    line = uses("actions/checkout")
    action, _, rest = line.partition("@")
    sha, _, comment = rest.partition(" # ")
    assert action == "actions/checkout" and sha == PINS[action].sha and comment == PINS[action].version
    assert pinned_sha("actions/checkout") == PINS["actions/checkout"].sha
    assert pinned_sha("someone/else") is None


def test_docs_table_matches_pins() -> None:
    doc = (PROJECT_ROOT / "docs" / "workflows.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([^`]+)` \| `v[^`]+` \| `[^`@]+@([0-9a-f]{40}) # v[^`]+` \|$", doc, re.MULTILINE))
    assert rows == {action: pin.sha for action, pin in PINS.items()}
    for action in PINS:
        assert f"`{uses(action)}`" in doc, f"docs/workflows.md: the line for {action} differs from pins.py"
