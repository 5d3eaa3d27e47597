"""LeadForge's own infrastructure: terraform fmt/validate offline; checkov clean over terraform/, k8s/ and deploy.yml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from leadforge.deploy.validate import CHECKOV_ENV
from leadforge.tools import tool_path
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")


def provider_mirror() -> Path | None:
    """A local plugin directory holding the AWS provider (the registry is not reachable offline)."""
    candidates = [os.environ.get("LEADFORGE_TF_PLUGIN_DIR", ""), "/opt/tf-plugins", str(Path.home() / ".terraform.d/plugins")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "registry.terraform.io/hashicorp/aws").is_dir():
            return Path(candidate)
    return None


def tf(args: list[str], cwd: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TF_DATA_DIR": str(data_dir),
        "TF_IN_AUTOMATION": "1",
        "TF_CLI_CONFIG_FILE": os.devnull,
        "CHECKPOINT_DISABLE": "1",
    }
    return subprocess.run([str(TERRAFORM), *args], cwd=cwd, env=env, capture_output=True, text=True)


@needs_terraform
def test_terraform_is_formatted(tmp_path):
    result = tf(["fmt", "-check", "-recursive", "-diff", str(ROOT / "terraform")], ROOT, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_terraform
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_environment_root_validates_offline(env, tmp_path):
    mirror = provider_mirror()
    if mirror is None:
        pytest.skip(
            "no local terraform provider mirror with hashicorp/aws (set LEADFORGE_TF_PLUGIN_DIR); the registry is offline"
        )
    tree = tmp_path / "terraform"
    shutil.copytree(ROOT / "terraform", tree, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl"))
    root = tree / "envs" / env

    init = tf(["init", "-backend=false", f"-plugin-dir={mirror}", "-input=false", "-no-color"], root, tmp_path / "data")
    assert init.returncode == 0, init.stderr
    validate = tf(["validate", "-json", "-no-color"], root, tmp_path / "data")

    report = json.loads(validate.stdout)
    assert report["valid"] is True, report["diagnostics"]
    assert report["error_count"] == 0 and report["warning_count"] == 0, report["diagnostics"]


def test_every_environment_root_documents_its_remote_state():
    for env in ("dev", "staging", "prod"):
        versions = (ROOT / f"terraform/envs/{env}/versions.tf").read_text()
        backend = (ROOT / f"terraform/envs/{env}/backend.s3.tfbackend").read_text()
        assert 'backend "s3" {}' in versions and "-backend-config=backend.s3.tfbackend" in versions
        assert f'key          = "envs/{env}/terraform.tfstate"' in backend
        assert "use_lockfile = true" in backend and "encrypt      = true" in backend


def test_the_deploy_role_trusts_one_repository_and_environment_only():
    module = (ROOT / "terraform/modules/github-oidc/main.tf").read_text()
    assert 'subject = "repo:${var.repository}:environment:${var.github_environment}"' in module
    assert 'variable = "${local.issuer}:sub"' in module and "values   = [local.subject]" in module
    assert "aws_iam_access_key" not in module  # no long-lived keys
    prod = (ROOT / "terraform/envs/prod/main.tf").read_text()
    assert 'github_environment = "production"' in prod


@pytest.mark.skipif(tool_path("checkov") is None, reason="checkov is not installed (./setup.sh)")
def test_checkov_passes_on_terraform_and_k8s_with_every_skip_justified(tmp_path):
    shutil.copytree(ROOT / "terraform", tmp_path / "terraform", ignore=shutil.ignore_patterns(".terraform*"))
    shutil.copytree(ROOT / "k8s", tmp_path / "k8s")
    (tmp_path / ".github/workflows").mkdir(parents=True)
    # deploy.yml is the caller; its jobs are in reusable-deploy.yml
    for name in ("deploy.yml", "reusable-deploy.yml"):
        shutil.copyfile(ROOT / ".github/workflows" / name, tmp_path / ".github/workflows" / name)
    result = subprocess.run(
        [
            str(tool_path("checkov")),
            "-d",
            ".",
            "--framework",
            "terraform",
            "kubernetes",
            "github_actions",
            "--skip-download",
            "-o",
            "json",
            "--compact",
        ],
        cwd=tmp_path,
        env={**os.environ, **CHECKOV_ENV},
        capture_output=True,
        text=True,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    by_type = {r["check_type"]: r for r in reports}
    assert set(by_type) == {"terraform", "kubernetes", "github_actions"}
    failed = [(r["check_type"], c["check_id"], c["resource"]) for r in reports for c in r["results"]["failed_checks"]]
    assert failed == []
    for report in reports:
        assert report["summary"]["passed"] > 50, report["check_type"]
        for skipped in report["results"]["skipped_checks"]:
            assert len(skipped["check_result"].get("suppress_comment") or "") > 20, skipped["check_id"]


def test_every_environment_root_is_one_platform_call():
    """The roots differ only in their values: the wiring lives once, in modules/platform."""
    for env in ("dev", "staging", "prod"):
        main = (ROOT / f"terraform/envs/{env}/main.tf").read_text()
        assert main.count('module "') == 1 and 'source = "../../modules/platform"' in main
        assert f'environment        = "{env}"' in main and f'deploy_namespaces  = ["leadforge-{env}"]' in main
        assert "resource " not in main
        outputs = (ROOT / f"terraform/envs/{env}/outputs.tf").read_text()
        for name in ("cluster_name", "deploy_role_arn", "repository_urls"):
            assert f'output "{name}" {{ value = module.platform.{name} }}' in outputs


def test_gitops_examples_follow_the_deploy_branches():
    import yaml

    from leadforge.deploy.applying import pull_files
    from leadforge.deploy.settings import DeploySettings

    settings = DeploySettings()
    appset = yaml.safe_load((ROOT / "k8s/gitops/argocd/applicationset.yaml").read_text())
    envs = [e["env"] for e in appset["spec"]["generators"][0]["list"]["elements"]]
    assert envs == list(settings.environments)
    assert appset["spec"]["template"]["spec"]["source"]["targetRevision"] == settings.branch_prefix + "{{.env}}"
    assert "kustomization.yaml" in pull_files(b"")  # Argo CD and Flux build the branch root with kustomize
    for env in settings.environments:
        repo, kustomization = yaml.safe_load_all((ROOT / f"k8s/gitops/flux/{env}.yaml").read_text())
        assert repo["spec"]["ref"] == {"branch": f"{settings.branch_prefix}{env}"}
        assert kustomization["spec"]["sourceRef"]["name"] == repo["metadata"]["name"]
        assert kustomization["spec"]["prune"] is True
