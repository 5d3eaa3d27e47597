"""monitoring/prometheus/rules.yml: valid for promtool, its unit tests pass, and it reads only what /metrics exports."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.monitoring.conftest import MONITORING, PROMTOOL, needs_promtool
from tests.monitoring.promql import metric_names

RULES = MONITORING / "prometheus/rules.yml"
ALERTS = {
    "LeadForgeTaskStale",
    "LeadForgeSweepNotRequeuing",
    "LeadForgeAgentFailingVerification",
    "LeadForgeQueueWaitOverTarget",
    "LeadForgeRefreshStale",
    "LeadForgeServiceAbsent",
}


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


@pytest.mark.integration
@needs_promtool
def test_promtool_accepts_the_rules():
    done = subprocess.run([str(PROMTOOL), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules())} rules found" in done.stdout


@pytest.mark.integration
@needs_promtool
def test_the_rules_unit_tests_pass():
    done = subprocess.run([str(PROMTOOL), "test", "rules", "rules.test.yml"], cwd=RULES.parent, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.integration
@needs_promtool
def test_the_unit_tests_fail_when_an_alert_is_broken(tmp_path):
    """The promtool tests can fail: with the stale alert's threshold doubled they do."""
    threshold = "group_left () leadforge:sweep_stale_after_seconds:min"
    broken = RULES.read_text().replace(
        f"leadforge:task_silence_seconds:max > on (job) {threshold}",
        f"leadforge:task_silence_seconds:max > on (job) {threshold.replace('()', '() 2 *')}",
    )
    assert broken != RULES.read_text()
    (tmp_path / "rules.yml").write_text(broken)
    (tmp_path / "rules.test.yml").write_text((RULES.parent / "rules.test.yml").read_text())
    done = subprocess.run([str(PROMTOOL), "test", "rules", "rules.test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1 and "alertname: LeadForgeTaskStale" in done.stdout + done.stderr


def test_every_alert_the_issue_asks_for_is_there_with_a_runbook_in_the_docs():
    alerts = {rule["alert"]: rule for rule in rules() if "alert" in rule}
    assert set(alerts) == ALERTS
    slo_doc = (MONITORING.parent / "docs/monitoring.md").read_text()
    for name, rule in alerts.items():
        anchor = rule["annotations"]["runbook"].split("#")[1]
        assert anchor == name.lower() and f"### {name}" in slo_doc, name
        assert rule["labels"]["severity"] in {"warning", "critical"}


@pytest.mark.integration
def test_the_rules_read_only_what_serve_exports(exported):
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    for rule in rules():
        for name in metric_names(rule["expr"]):
            assert name in exported or name in recorded, f"{rule.get('record') or rule.get('alert')}: {name} is not exported"
