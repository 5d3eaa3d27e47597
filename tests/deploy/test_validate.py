"""`leadforge deploy validate` against the real tools: shipped overlays pass, planted problems are caught."""

from __future__ import annotations

import json

import pytest

from leadforge.tools import tool_path
from tests.deploy.conftest import needs_kubectl, set_yaml

pytestmark = [pytest.mark.integration, needs_kubectl]
needs_checkov = pytest.mark.skipif(tool_path("checkov") is None, reason="checkov is not installed (./setup.sh)")


@needs_checkov
def test_shipped_overlays_pass_schema_policy_and_checkov(deploy_repo, run_cli):
    result = run_cli("deploy", "validate", "--all", "--json", repo=deploy_repo.path)

    report = json.loads(result.stdout)
    assert result.code == 0, result.stdout
    assert report["ok"] is True
    assert report["checks"] == ["schema", "policy", "checkov"]
    envs = report["environments"]
    assert (envs["staging"]["findings"], envs["prod"]["findings"]) == ([], [])
    # dev may only warn about floating runner tags that agent profiles ask for (profiles/*.yml station.image), and
    # that the stations' runner sets are custom resources without an offline schema (test_arc.py checks them against ARC's CRD)
    assert {(f["rule"], f["severity"], f["path"].split("/")[1]) for f in envs["dev"]["findings"]} <= {
        ("deploy/image-tag", "warning", "stations"),
        ("schema-unknown", "warning", "stations"),
    }
    assert all("AutoscalingRunnerSet/" in f["message"] for f in envs["dev"]["findings"] if f["rule"] == "schema-unknown")


def _plant_problems(repo) -> None:
    overlay = "k8s/overlays/prod"
    set_yaml(repo, f"{overlay}/kustomization.yaml", "newTag: 0.1.0 # promoted", "newTag: latest # promoted")
    set_yaml(repo, f"{overlay}/patch-deployment.yaml", "  path: /spec/replicas\n  value: 3", "  path: /spec/replicas\n  value: 1")
    with (repo.path / overlay / "patch-deployment.yaml").open("a") as patch:
        patch.write(
            "- op: add\n  path: /spec/template/spec/containers/0/securityContext/privileged\n  value: true\n"
            # a sidecar without limits
            "- op: add\n  path: /spec/template/spec/containers/-\n  value:\n    name: sidecar\n"
            "    image: ghcr.io/acme/sidecar:1.0.0\n"
        )


@needs_checkov
def test_planted_problems_are_found_and_traced_to_the_overlay(deploy_repo, run_cli):
    _plant_problems(deploy_repo)

    result = run_cli("deploy", "validate", "--all", "--json", repo=deploy_repo.path)

    assert result.code == 1
    report = json.loads(result.stdout)["environments"]
    # one checkov run, split per env: the planted problems show up in prod only
    assert [f for f in report["dev"]["findings"] + report["staging"]["findings"] if f["severity"] == "error"] == []
    findings = report["prod"]["findings"]
    seen = {(f["tool"], f["rule"], f["path"]) for f in findings}
    patch, kustomization = "k8s/overlays/prod/patch-deployment.yaml", "k8s/overlays/prod/kustomization.yaml"
    assert ("policy", "deploy/image-tag", kustomization) in seen
    assert ("policy", "deploy/privileged", patch) in seen
    assert ("policy", "deploy/replicas", patch) in seen
    assert any(f["rule"] == "deploy/resources" and "'sidecar'" in f["message"] for f in findings)
    assert ("checkov", "CKV_K8S_16", patch) in seen  # checkov: privileged container, set by the overlay's patch
    assert ("checkov", "CKV_K8S_14", kustomization) in seen  # checkov: :latest, set by the overlay's images:
    line = {
        (f["rule"], f["message"].split("'")[1] if "'" in f["message"] else ""): f["line"] for f in findings if f["path"] == patch
    }
    text = (deploy_repo.path / patch).read_text().splitlines()
    assert text[line["deploy/replicas", ""] - 1] == "  path: /spec/replicas"
    assert text[line["deploy/privileged", "web"] - 1] == "  path: /spec/template/spec/containers/0/securityContext/privileged"
    # the sidecar the patch adds is blamed on the op that adds it, not on the base file without a line
    assert text[line["deploy/privileged", "sidecar"] - 1] == "  path: /spec/template/spec/containers/-"
    assert text[line["deploy/resources", "sidecar"] - 1] == "  path: /spec/template/spec/containers/-"


def test_latest_is_only_a_warning_in_dev(deploy_repo, run_cli):
    set_yaml(deploy_repo, "k8s/overlays/dev/kustomization.yaml", "newTag: sha-4f2c1e9", "newTag: latest")

    result = run_cli("deploy", "validate", "--env", "dev", "--no-checkov", repo=deploy_repo.path)

    assert result.code == 0, result.stdout
    assert "warning: [policy deploy/image-tag] dev: Deployment/leadforge-dev/leadforge-web" in result.stdout
    assert result.stdout.startswith("dev: ok, ")


def test_validate_fails_on_a_broken_overlay_with_one_line(deploy_repo, run_cli):
    set_yaml(deploy_repo, "k8s/overlays/staging/kustomization.yaml", "  - ../../base", "  - ../../nowhere")

    result = run_cli("deploy", "validate", "--env", "staging", repo=deploy_repo.path)

    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("leadforge: error: k8s/overlays/staging: kubectl kustomize failed:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_configured_checkov_that_is_not_there_is_one_line_with_the_way_out(deploy_repo, run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("LEADFORGE_CHECKOV", str(tmp_path / "no-checkov"))

    result = run_cli("deploy", "validate", "--env", "dev", repo=deploy_repo.path)

    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-checkov: command not found" in lines[0] and lines[0].endswith("(or pass --no-checkov)")
