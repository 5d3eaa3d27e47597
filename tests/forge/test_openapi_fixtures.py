"""The committed OpenAPI subset is what derive.py makes from ../shared, and covers every Forge call."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.apidouble.schemas import FIXTURE, Spec

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "github" / "openapi"
DERIVE = ROOT / "tests" / "fixtures" / "openapi" / "derive.py"


def load_derive():
    spec = importlib.util.spec_from_file_location("openapi_derive", DERIVE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (SOURCE / "operations.json").is_file(), reason="../shared/github/openapi is not present")
def test_committed_subset_matches_a_fresh_derivation() -> None:
    derive = load_derive()
    fresh = derive.render(derive.derive(SOURCE))
    assert fresh == FIXTURE.read_text(encoding="utf-8"), "re-run: python tests/fixtures/openapi/derive.py"


@pytest.mark.skipif(not (SOURCE / "operations.json").is_file(), reason="../shared/github/openapi is not present")
def test_every_listed_operation_is_in_the_subset() -> None:
    listed = json.loads((SOURCE / "operations.json").read_text(encoding="utf-8"))["operations"]
    subset = Spec()
    assert {(op["method"], op["path"]) for op in listed} <= {(op.method, op.path) for op in subset.operations}


def test_subset_is_self_contained_plain_json_schema() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    data = json.loads(text)
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs <= set(data["components"]["schemas"])  # every reference resolves inside the file
    keywords: set[str] = set()

    def walk(node: object, in_properties: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not in_properties:
                    keywords.add(key)
                walk(value, key == "properties" and not in_properties)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data["components"])
    assert not keywords & {"nullable", "description", "example", "x-github"}  # converted from OpenAPI 3.0, prose dropped
    assert {"type", "properties", "required", "$ref"} <= keywords


def test_the_protocol_calls_are_all_described() -> None:
    """Every endpoint GitHubForge calls, by operationId (the double refuses anything else)."""
    needed = {
        "issues/get",
        "issues/create",
        "issues/update",
        "issues/list-for-repo",
        "issues/list-comments",
        "issues/create-comment",
        "issues/update-comment",
        "issues/add-labels",
        "issues/remove-label",
        "issues/add-assignees",
        "pulls/get",
        "pulls/list",
        "pulls/create",
        "pulls/list-files",
        "pulls/list-commits",
        "pulls/list-reviews",
        "pulls/create-review",
        "pulls/update-review",
        "pulls/dismiss-review",
        "pulls/list-review-comments",
        "pulls/create-review-comment",
        "pulls/update-review-comment",
        "pulls/delete-review-comment",
        "repos/create-commit-status",
        "repos/list-commit-statuses-for-ref",
        "checks/create",
        "checks/update",
        "checks/list-for-ref",
        "repos/get-release-by-tag",
        "repos/get-release",
        "repos/list-releases",
        "repos/create-release",
        "repos/update-release",
        "repos/upload-release-asset",
        "repos/delete-release-asset",
        "repos/get-collaborator-permission-level",
        "actions/create-workflow-dispatch",
        "repos/create-dispatch-event",
    }
    assert needed <= set(Spec().by_id)
    upload = Spec().by_id["repos/upload-release-asset"]
    assert upload.request_body is not None
    assert upload.servers == ["https://uploads.github.com"] and upload.request_body["contentType"] != "application/json"


def test_a_missing_source_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    derive = load_derive()
    assert derive.main(["derive.py", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "operations.json not found" in err
