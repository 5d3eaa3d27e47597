"""security.yml through the workflow harness: a scheduled full scan uploads SARIF to code scanning.

Substitution (visible as ``replaced``): the ``tools`` step (``pipx install semgrep checkov``) would
download from a registry; the project's ``.venv-tools`` scanners are used instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness import Harness
from tests.scan.planted import make_planted

pytestmark = pytest.mark.integration


def test_scheduled_scan_uploads_sarif_for_code_scanning(tmp_path: Path) -> None:
    planted = make_planted(tmp_path / "repo")
    planted.git("checkout", "-q", "main")
    harness = Harness(planted.path, root=tmp_path / "gh")
    result = harness.run("security.yml", "schedule", replace_run={"tools": "true  # scanners from .venv-tools"})
    assert result.ok, result.explain()
    assert result.ran == ["scan/scan"]  # security.yml calls reusable-security.yml at this same commit
    job = result.job("scan/scan")
    assert job.step("tools").replaced and not job.step("scan").replaced
    (upload,) = result.uses_of("github/codeql-action/upload-sarif")
    assert upload.with_["category"] == "leadforge"
    log = json.loads(upload.path("sarif_file").read_text())
    rules = {(run["tool"]["driver"]["name"], r["ruleId"]) for run in log["runs"] for r in run["results"]}
    assert ("secrets", "aws-access-key") in rules
    assert ("checkov", "CKV_AWS_20") in rules  # the old public bucket: a full scan sees old code too
    assert ("semgrep", "leadforge.actions.expression-injection") in rules
    assert "AKIAIOSFODNN7OLDKEY1" not in json.dumps(log)
    assert "LeadForge scan (full)" in result.summary
