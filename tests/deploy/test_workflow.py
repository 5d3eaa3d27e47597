"""deploy.yml through the workflow harness: which event deploys which environment, and how."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, Repo
from tests.deploy.conftest import kubectl_kustomize, needs_kubectl, set_yaml
from tests.fixtures.events import load_event
from tests.harness import Harness, load_workflow
from tests.workflows.checks import check_all

WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"


def remote_git(harness: Harness, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=harness.remote, capture_output=True)


REUSABLE = ROOT / ".github" / "workflows" / "reusable-deploy.yml"


def test_deploy_workflow_is_thin_least_privilege_and_gated():
    caller = load_workflow(WORKFLOW)
    assert caller["permissions"] == {}
    assert check_all(WORKFLOW, "deploy.yml") == []
    (call,) = caller["jobs"].values()  # deploy.yml calls LeadForge's reusable deploy at this same commit
    assert call["uses"] == "$/.github/workflows/reusable-deploy.yml"
    assert call["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert call["with"] == {
        "environment": "${{ inputs.environment || 'dev' }}",
        "promote-from": "${{ inputs.promote_from || 'none' }}",
    }
    data = load_workflow(REUSABLE)
    jobs = data["jobs"]
    assert data["permissions"] == {}
    assert check_all(REUSABLE, "reusable-deploy.yml") == []
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "diff": {"contents": "read", "pull-requests": "write"},
        "dev": {"contents": "write"},
        "staging": {"contents": "write"},
        "prod": {"contents": "write"},
        "promote": {"contents": "write", "pull-requests": "write"},
        "promote-prod": {"contents": "write", "pull-requests": "write"},
    }
    assert {name: job.get("environment") for name, job in jobs.items()} == {
        "diff": None,
        "dev": "dev",
        "staging": "staging",
        "prod": "production",
        "promote": None,
        "promote-prod": "production",
    }
    for name in ("dev", "staging", "prod"):
        assert jobs[name]["concurrency"] == {"group": f"leadforge-deploy-{name}", "cancel-in-progress": False}
        runs = [s["run"] for s in jobs[name]["steps"] if "run" in s]
        assert runs == [f"leadforge deploy apply --env {name} --validate"]
        assert [s["with"] for s in jobs[name]["steps"] if s.get("uses") == "$/.github/actions/install"] == [{"extras": "deploy"}]
    # untrusted text (inputs, event fields) reaches the shell only through env:
    assert jobs["promote"]["steps"][-1]["env"]["SOURCE"] == "${{ inputs.promote-from }}"
    diff_step = next(s for s in jobs["diff"]["steps"] if s.get("name") == "Comment the rendered diff")
    assert diff_step["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert [s.get("run") for s in jobs["diff"]["steps"]][-2:] == [
        'leadforge deploy diff --base "$BASE_SHA" --head HEAD',
        "leadforge deploy validate --all --no-checkov",
    ]


@pytest.fixture
def harness(deploy_repo: Repo, tmp_path: Path) -> Harness:
    return Harness(deploy_repo.path, root=tmp_path / "gh")


@pytest.mark.integration
@needs_kubectl
def test_push_to_main_deploys_dev_only(harness, deploy_repo):
    result = harness.run("deploy.yml", "push", load_event("push", ref="refs/heads/main"), ref="refs/heads/main")

    assert result.ok, result.explain()
    assert result.ran == ["deploy/dev"]
    manifests = remote_git(harness, "show", "deploy/dev:manifests.yaml").stdout
    assert manifests == kubectl_kustomize(deploy_repo.path / "k8s/overlays/dev").stdout
    assert remote_git(harness, "rev-parse", "--verify", "-q", "deploy/staging").returncode != 0


@pytest.mark.integration
@needs_kubectl
def test_a_release_tag_deploys_staging(harness, deploy_repo):
    deploy_repo.git("tag", "v1.0.0")
    harness = Harness(deploy_repo.path, root=harness.root.parent / "gh-tag")

    result = harness.run("deploy.yml", "push", load_event("push.tag", ref="refs/tags/v1.0.0"), ref="refs/tags/v1.0.0")

    assert result.ok, result.explain()
    assert result.ran == ["deploy/staging"]
    assert b"namespace: leadforge-staging" in remote_git(harness, "show", "deploy/staging:manifests.yaml").stdout


@pytest.mark.integration
@needs_kubectl
def test_manual_prod_deploy_runs_in_the_production_environment(harness):
    result = harness.run("deploy.yml", "workflow_dispatch", inputs={"environment": "prod"})

    assert result.ok, result.explain()
    assert result.ran == ["deploy/prod"]
    assert b"namespace: leadforge-prod" in remote_git(harness, "show", "deploy/prod:manifests.yaml").stdout


@pytest.mark.integration
@needs_kubectl
def test_a_policy_failure_stops_the_dev_deploy(deploy_repo, tmp_path):
    set_yaml(deploy_repo, "k8s/overlays/dev/patch-deployment.yaml", '      cpu: "500m"\n', "")
    deploy_repo.commit("chore: no cpu limit in dev")
    harness = Harness(deploy_repo.path, root=tmp_path / "gh")

    result = harness.run("deploy.yml", "push", load_event("push", ref="refs/heads/main"), ref="refs/heads/main")

    assert not result.ok
    assert "no resources limits.cpu" in result.log
    assert remote_git(harness, "rev-parse", "--verify", "-q", "deploy/dev").returncode != 0


@pytest.mark.integration
@needs_kubectl
def test_pull_request_gets_validation_and_one_rendered_diff_comment(deploy_repo, tmp_path, github_double):
    deploy_repo.git("checkout", "-q", "-b", "more-replicas")
    set_yaml(
        deploy_repo, "k8s/overlays/staging/patch-deployment.yaml", "/spec/replicas\n  value: 2", "/spec/replicas\n  value: 3"
    )
    deploy_repo.commit("feat: three staging replicas")
    deploy_repo.git("checkout", "-q", "main")
    payload = load_event(
        "pull_request.opened",
        **{
            "pull_request.head.ref": "more-replicas",
            "pull_request.base.ref": "main",
            "repository.full_name": github_double.repository,
        },
    )
    payload["pull_request"]["head"]["repo"]["full_name"] = github_double.repository
    harness = Harness(deploy_repo.path, root=tmp_path / "gh", api_double=github_double)
    github_double.seed_event(payload)

    result = harness.run("deploy.yml", "pull_request", payload, changed_files=["k8s/overlays/staging/patch-deployment.yaml"])

    assert result.ok, result.explain()
    assert result.ran == ["deploy/diff"]
    comments = github_double.issue_comments(payload["pull_request"]["number"])
    assert len(comments) == 1
    body = comments[0]["body"]
    assert "<!-- leadforge:deploy-diff -->" in body
    assert "<summary><b>staging: 1 changed</b></summary>" in body
    assert "-  replicas: 2\n+  replicas: 3" in body
    assert "- prod: no changes" in body


@pytest.mark.integration
def test_manual_promotion_opens_a_pull_request(deploy_repo, tmp_path, github_double):
    harness = Harness(deploy_repo.path, root=tmp_path / "gh", api_double=github_double)

    result = harness.run("deploy.yml", "workflow_dispatch", inputs={"environment": "staging", "promote_from": "dev"})

    assert result.ok, result.explain()
    assert result.ran == ["deploy/promote"]
    branches = remote_git(harness, "branch", "--list", "promote/*").stdout.decode().split()
    assert len(branches) == 1 and branches[0].startswith("promote/dev-to-staging-")
    promoted = remote_git(harness, "show", f"{branches[0]}:k8s/overlays/staging/kustomization.yaml").stdout.decode()
    assert "newTag: sha-4f2c1e9 # promoted" in promoted
    pulls = github_double.forge().list_pulls(head=branches[0])
    assert [p.title for p in pulls] == ["deploy: promote dev to staging (leadforge sha-4f2c1e9)"]


@pytest.mark.integration
@needs_kubectl
def test_the_caller_init_writes_deploys_dev_and_opens_promotions(deploy_repo, tmp_path, github_double):
    """leadforge-deploy.yml (from `leadforge init --reusable`) calls reusable-deploy.yml pinned by SHA and passes
    its workflow_dispatch choices on."""
    from tests.workflows.callers import render_callers

    harness = Harness(
        deploy_repo.path, root=tmp_path / "gh", api_double=github_double, workflows_dir=render_callers(tmp_path / "user")
    )
    pushed = harness.run("leadforge-deploy.yml", "push", load_event("push", ref="refs/heads/main"), ref="refs/heads/main")
    assert pushed.ok, pushed.explain()
    assert pushed.ran == ["deploy/dev"]
    rendered = kubectl_kustomize(deploy_repo.path / "k8s/overlays/dev").stdout
    assert remote_git(harness, "show", "deploy/dev:manifests.yaml").stdout == rendered
    promoted = harness.run("leadforge-deploy.yml", "workflow_dispatch", inputs={"environment": "staging", "promote_from": "dev"})
    assert promoted.ok, promoted.explain()
    assert promoted.ran == ["deploy/promote"]
    assert remote_git(harness, "branch", "--list", "promote/dev-to-staging-*").stdout.strip()
    feature = load_event("push", ref="refs/heads/feature")
    assert not harness.run("leadforge-deploy.yml", "push", feature, ref="refs/heads/feature").triggered
