"""The one list of third-party actions LeadForge workflows may use, pinned to full commit SHAs.

Every ``uses:`` in ``.github/workflows/*.yml`` and in the composite actions (``action.yml``,
``.github/actions/*/action.yml``) must be ``<action>@<sha> # <version>`` with a pair from
this table (``test_workflow_security.py`` enforces it). Copy the line from :func:`uses`:

    >>> uses("actions/checkout")
    'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2'

The SHAs are the commits the release tags point at, as used (with the same version comment) in many
public workflows. To bump an action: change the pair here and in ``docs/workflows.md``, then update
the workflows (the security test lists every stale reference).
"""

from __future__ import annotations

from typing import NamedTuple


class Pin(NamedTuple):
    sha: str
    version: str


PINS: dict[str, Pin] = {
    "actions/checkout": Pin("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": Pin("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/setup-node": Pin("49933ea5288caeca8642d1e84afbd3f7d6820020", "v4.4.0"),
    "actions/upload-artifact": Pin("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": Pin("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
    "actions/cache": Pin("5a3ec84eff668545956fd18022155c47e93e2684", "v4.2.3"),
    "actions/configure-pages": Pin("983d7736d9b0ae728b81ab479565c72886d7745b", "v5.0.0"),
    "actions/upload-pages-artifact": Pin("56afc609e74202658d3ffba0e8f6dda462b719fa", "v3.0.1"),
    "actions/deploy-pages": Pin("d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e", "v4.0.5"),
    "github/codeql-action/upload-sarif": Pin("5d4e8d1aca955e8d8589aabd499c5cae939e33c7", "v4.31.9"),
    "aws-actions/configure-aws-credentials": Pin("b47578312673ae6fa5b5096b330d9fbac3d116df", "v4.2.1"),
    "astral-sh/setup-uv": Pin("e92bafb6253dcd438e0484186d7669ea7a8ca1cc", "v6.4.3"),
    "pypa/gh-action-pypi-publish": Pin("76f52bc884231f62b9a034ebfe128415bbaabdfc", "v1.12.4"),
    "docker/login-action": Pin("74a5d142397b4f367a81961eba4e8cd7edddf772", "v3.4.0"),
    "actions/attest-build-provenance": Pin("e8998f949152b193b063cb0ec769d69d929409be", "v2.4.0"),
}


def uses(action: str) -> str:
    """The exact ``uses:`` value (with its version comment) for a pinned action."""
    pin = PINS[action]
    return f"{action}@{pin.sha} # {pin.version}"


def pinned_sha(action: str) -> str | None:
    """The pinned SHA of ``action`` (``owner/repo`` or ``owner/repo/sub/path``), or None if unknown."""
    pin = PINS.get(action)
    return pin.sha if pin else None
