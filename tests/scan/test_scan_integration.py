"""Real semgrep, checkov and detect-secrets on a planted repository (one run of each per module)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from leadforge.scan import sarif
from leadforge.scan.runner import Scanner, ScanReport
from tests.scan.planted import Planted, make_planted

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return make_planted(tmp_path_factory.mktemp("scan") / "repo")


@pytest.fixture(scope="module")
def full(planted: Planted) -> ScanReport:
    return Scanner(planted.path).scan(None)


@pytest.fixture(scope="module")
def changed(planted: Planted) -> ScanReport:
    files = planted.git("diff", "--name-only", f"{planted.base}...{planted.head}").split()
    return Scanner(planted.path).scan(files)


def _where(report: ScanReport) -> set[tuple[str, str, str]]:
    return {(f.tool, f.path, f.rule) for f in report.findings}


def test_full_scan_finds_old_and_new_problems_with_every_scanner(full: ScanReport) -> None:
    assert [(s.name, s.status) for s in full.sources] == [("semgrep", "ok"), ("checkov", "ok"), ("secrets", "ok")]
    found = _where(full)
    assert ("secrets", "app/old.py", "aws-access-key") in found
    assert ("secrets", "app/new.py", "aws-access-key") in found
    assert ("semgrep", "app/old.py", "leadforge.python.subprocess-shell-true") in found
    assert ("semgrep", "app/new.py", "leadforge.python.hardcoded-credential") in found
    assert ("semgrep", ".github/workflows/old.yml", "leadforge.actions.expression-injection") in found
    assert ("checkov", "infra/old.tf", "CKV_AWS_20") in found
    assert ("checkov", "infra/new.tf", "CKV_AWS_24") in found


def test_changed_only_scan_looks_at_changed_files_only(changed: ScanReport) -> None:
    paths = {f.path for f in changed.findings}
    assert "infra/old.tf" not in paths and ".github/workflows/old.yml" not in paths
    assert {"app/new.py", "infra/new.tf"} <= paths
    checkov = next(s for s in changed.sources if s.name == "checkov")
    assert checkov.files == 1  # only infra/new.tf matches scan.checkov.paths


def test_no_secret_value_reaches_the_report(full: ScanReport) -> None:
    text = json.dumps(full.to_dict()) + json.dumps(sarif.render(full.findings))
    assert "AKIAIOSFODNN7EXAMPLE" not in text
    assert "AKIAIOSFODNN7OLDKEY1" not in text


def test_scan_cli_writes_sarif_and_fails_on_request(planted: Planted, run_cli, tmp_path: Path) -> None:
    out = tmp_path / "out.sarif"
    result = run_cli("--json", "scan", "--tool", "secrets", "--sarif", str(out), "--fail-on", "error", repo=planted.path)
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["scope"] == "full" and {f["path"] for f in data["findings"]} == {"app/old.py", "app/new.py"}
    log = json.loads(out.read_text())
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == ["secrets"]
    assert len(log["runs"][0]["results"]) == 2


def test_scan_cli_changed_only_with_dry_run_plans_without_running(planted: Planted, run_cli) -> None:
    result = run_cli("--json", "--dry-run", "scan", "--changed-only", "--base", "main", "--head", "feature", repo=planted.path)
    assert result.code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["scope"] == "changed"
    assert sorted(plan["files"]) == ["app/new.py", "app/old.py", "infra/new.tf", "tests/test_new.py"]
    assert "[dry-run] would scan changed" in result.stderr


def _fake_tool(tmp_path: Path, name: str, script: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.mark.parametrize(
    ("script", "needle"),
    [
        (None, "semgrep not found"),
        ("echo 'Fatal: out of memory' >&2; exit 2", "semgrep exited 2 without output: Fatal: out of memory"),
        ("echo '{\"runs\": 5}'", "not a SARIF log"),
    ],
)
def test_a_missing_or_broken_scanner_is_a_note_and_the_others_still_report(
    planted: Planted, tmp_path: Path, script: str | None, needle: str
) -> None:
    def which(name: str) -> str | None:
        if name == "semgrep":
            return None if script is None else _fake_tool(tmp_path, "semgrep", script)
        from leadforge.tools import tool_path

        return tool_path(name)

    report = Scanner(planted.path, which=which).scan(["app/new.py"], sources=("semgrep", "secrets"))
    status = {s.name: s for s in report.sources}
    assert status["semgrep"].status == "failed"
    assert needle in status["semgrep"].note
    assert any(n.startswith("semgrep: ") for n in report.notes)
    assert status["secrets"].status == "ok"
    assert [f.rule for f in report.findings] == ["aws-access-key"]


def test_the_full_scans_sarif_is_valid_and_describes_rules_and_scanners(full: ScanReport) -> None:
    from leadforge.scan.command import render_sarif
    from tests.scan.test_sarif import schema_errors

    log = render_sarif(full, "leadforge")
    assert schema_errors(log) == []
    drivers = {run["tool"]["driver"]["name"]: run["tool"]["driver"] for run in log["runs"]}
    assert {name: bool(d.get("semanticVersion")) for name, d in drivers.items()} == {
        "semgrep": True,
        "checkov": True,
        "secrets": True,
    }
    from importlib.metadata import version

    assert drivers["secrets"]["semanticVersion"] == version("detect-secrets")  # the scanner's, not LeadForge's
    titles = {(name, r["id"]): r["shortDescription"]["text"] for name, d in drivers.items() for r in d["rules"]}
    bucket = next(f for f in full.findings if f.rule == "CKV_AWS_20")
    assert titles["checkov", "CKV_AWS_20"] == bucket.message.rsplit(" (", 1)[0]  # the check name, no resource
    assert titles["semgrep", "leadforge.actions.expression-injection"].startswith("Untrusted event text is expanded")
