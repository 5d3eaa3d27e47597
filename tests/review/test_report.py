"""The --json shape and the artifact the fork-safe poster reads (which trusts nothing)."""

from __future__ import annotations

import json

import pytest

from leadforge.errors import InputError
from leadforge.review.coverage import CoverageResult
from leadforge.review.filter import Placed
from leadforge.review.report import from_artifact, load_artifact_file
from tests.review.factories import KEY, OLD, SG, inline, report

COV = CoverageResult(changed_lines=4, covered=3, percent=75.0, uncovered={"app/new.py": ((4, 4),)}, threshold=80.0)


def test_json_output_has_exactly_the_documented_shape() -> None:
    data = report([inline(KEY), Placed(OLD, "elsewhere", False)], coverage=COV).to_json()
    assert set(data) == {"findings", "verdict", "coverage"}
    assert data["verdict"] == "REQUEST_CHANGES"
    assert data["coverage"] == {"changed_lines": 4, "covered": 3, "percent": 75.0}
    assert [set(f) for f in data["findings"]] == [
        {"tool", "rule", "severity", "path", "line", "end_line", "message", "in_diff"}
    ] * 2
    assert [(f["path"], f["in_diff"]) for f in data["findings"]] == [("app/new.py", True), ("app/old.py", False)]


def test_artifact_round_trips() -> None:
    original = report([inline(KEY), inline(SG, 2, 5), Placed(OLD, "elsewhere", False)], coverage=COV, notes=("n",))
    loaded = from_artifact(json.loads(json.dumps(original.to_artifact())))
    assert loaded == original


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda a: a.update(leadforge_review=2), "not a LeadForge review artifact"),
        (lambda a: a.update(pull="7; rm -rf /"), "pull must be a positive number"),
        (lambda a: a.update(head_sha="HEAD~1"), "head_sha must be a hex commit id"),
        (lambda a: a.update(repository="../../etc"), "repository must be owner/name"),
        (lambda a: a.update(blocking=["fatal"]), "blocking must list severities"),
        (lambda a: a["findings"][0].update(severity="critical"), "findings[0]: severity must be one of"),
        (lambda a: a["findings"][0].update(line="3"), "findings[0]: finding field 'line' must be int"),
        (lambda a: a["findings"][0].update(place="inline"), "findings[0].place must be one of"),
        (lambda a: a["findings"][0].update(anchor=[5, 2]), "findings[0].anchor must be [start_line, line]"),
        (lambda a: a["findings"][0].update(fingerprint="../x"), "fingerprint must be hex"),
        (lambda a: a.update(coverage=[]), "coverage must be an object"),
    ],
)
def test_a_tampered_artifact_is_refused_with_the_field_named(change, needle: str) -> None:
    artifact = report([inline(KEY)], coverage=COV).to_artifact()
    change(artifact)
    with pytest.raises(InputError) as err:
        from_artifact(artifact, "review.json")
    assert str(err.value).startswith("review.json: ")
    assert needle in str(err.value)


def test_oversized_text_is_capped(tmp_path) -> None:
    artifact = report([inline(KEY)]).to_artifact()
    artifact["findings"][0]["message"] = "x" * 100_000
    path = tmp_path / "review.json"
    path.write_text(json.dumps(artifact))
    assert len(load_artifact_file(str(path)).placed[0].finding.message) < 5000


def test_missing_or_broken_artifact_files_are_one_line_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="review artifact not found"):
        load_artifact_file(str(tmp_path / "nope.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        load_artifact_file(str(tmp_path / "bad.json"))
