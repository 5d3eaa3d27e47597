"""`leadforge deploy apply`: pull mode commits to a bare remote; push mode up to kubectl."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from leadforge.deploy.applying import find_kubeconfig, push_plan
from leadforge.deploy.manifests import parse_objects
from tests.conftest import git
from tests.deploy.conftest import kubectl_kustomize, needs_kubectl, set_yaml

pytestmark = [pytest.mark.integration, needs_kubectl]


@pytest.fixture
def remote(deploy_repo, tmp_path) -> Path:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    deploy_repo.git("remote", "add", "origin", str(bare))
    deploy_repo.git("push", "-q", "origin", "main")
    return bare


def test_pull_mode_commits_the_render_to_the_deploy_branch_of_the_remote(deploy_repo, remote, run_cli):
    source = deploy_repo.git("rev-parse", "HEAD")

    result = run_cli("deploy", "apply", "--env", "dev", "--json", repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["result"], data["target"], data["pushed"]) == ("committed", "branch deploy/dev", True)
    assert git(remote, "rev-parse", "deploy/dev") == data["commit"]
    assert git(remote, "ls-tree", "--name-only", "deploy/dev").splitlines() == ["kustomization.yaml", "manifests.yaml"]
    manifests = subprocess.run(["git", "show", "deploy/dev:manifests.yaml"], cwd=remote, capture_output=True).stdout
    assert manifests == kubectl_kustomize(deploy_repo.path / "k8s/overlays/dev").stdout
    message = git(remote, "log", "-1", "--format=%B", "deploy/dev")
    assert f"Source-Commit: {source}" in message
    # the deploy branch has its own history: it shares nothing with main
    assert git(remote, "rev-list", "--count", "deploy/dev") == "1"
    # the user's checkout did not move
    assert deploy_repo.git("rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert deploy_repo.git("status", "--porcelain") == ""

    again = run_cli("deploy", "apply", "--env", "dev", "--json", repo=deploy_repo.path)
    assert json.loads(again.stdout)["result"] == "unchanged"
    assert git(remote, "rev-list", "--count", "deploy/dev") == "1"

    set_yaml(deploy_repo, "k8s/overlays/dev/patch-hpa.yaml", "maxReplicas\n  value: 2", "maxReplicas\n  value: 3")
    deploy_repo.commit("feat: dev may scale to 3")
    third = run_cli("deploy", "apply", "--env", "dev", "--json", repo=deploy_repo.path)
    assert json.loads(third.stdout)["result"] == "committed"
    assert git(remote, "rev-list", "--count", "deploy/dev") == "2"


def test_pull_mode_continues_from_the_remote_branch_made_elsewhere(deploy_repo, remote, run_cli, tmp_path):
    run_cli("deploy", "apply", "--env", "staging", repo=deploy_repo.path)
    deploy_repo.git("branch", "-D", "deploy/staging")  # another runner made it: we only know the remote's
    set_yaml(deploy_repo, "k8s/overlays/staging/patch-hpa.yaml", "maxReplicas\n  value: 4", "maxReplicas\n  value: 5")
    deploy_repo.commit("feat: staging may scale to 5")

    result = run_cli("deploy", "apply", "--env", "staging", "--json", repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    assert git(remote, "rev-list", "--count", "deploy/staging") == "2"


def test_pull_mode_into_a_folder_commits_on_the_current_branch(deploy_repo, remote, run_cli):
    deploy_repo.write(".github/leadforge.yml", "deploy:\n  pull_target: folder\n")
    deploy_repo.commit("chore: config")

    result = run_cli(
        "deploy",
        "apply",
        "--env",
        "prod",
        "--json",
        repo=deploy_repo.path,
        env={"GITHUB_ACTIONS": "true", "LEADFORGE_APPROVED_ENVIRONMENT": "production"},
    )

    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["target"] == "rendered/prod/ on main"
    assert git(remote, "log", "-1", "--format=%s", "main").startswith("deploy(prod): rendered manifests of")
    assert (deploy_repo.path / "rendered/prod/manifests.yaml").read_bytes() == kubectl_kustomize(
        deploy_repo.path / "k8s/overlays/prod"
    ).stdout


def test_a_broken_overlay_commits_nothing(deploy_repo, remote, run_cli):
    set_yaml(deploy_repo, "k8s/overlays/dev/kustomization.yaml", "  - namespace.yaml", "  - missing.yaml")

    result = run_cli("deploy", "apply", "--env", "dev", repo=deploy_repo.path)

    assert result.code == 1
    assert result.stderr.startswith("leadforge: error: k8s/overlays/dev: kubectl kustomize failed:")
    assert "deploy/dev" not in git(remote, "branch", "--list")
    assert deploy_repo.git("branch", "--list", "deploy/*") == ""


def test_apply_to_prod_outside_the_approved_job_is_refused(deploy_repo, run_cli, monkeypatch):
    monkeypatch.delenv("LEADFORGE_APPROVED_ENVIRONMENT", raising=False)

    result = run_cli("deploy", "apply", "--env", "prod", repo=deploy_repo.path)

    assert result.code == 1
    assert result.stderr.strip().splitlines() == [
        (
            "leadforge: error: apply to 'prod' needs the GitHub environment 'production': run it from the deploy workflow's "
            "production job (required reviewers), which sets LEADFORGE_APPROVED_ENVIRONMENT"
        )
    ]
    assert deploy_repo.git("branch", "--list", "deploy/*") == ""
    assert "apply to 'prod' needs the GitHub environment 'production'" in result.stderr


def test_push_mode_plan_is_server_side_apply_with_an_applyset_then_rollouts(deploy_repo, run_cli):
    result = run_cli("deploy", "apply", "--env", "staging", "--mode", "push", "--dry-run", "--json", repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    apply, rollout = data["steps"]
    assert apply[1:8] == [
        "apply",
        "--server-side",
        "--field-manager=leadforge",
        "--prune",
        "--applyset=leadforge-staging",
        "--namespace",
        "leadforge-staging",
    ]
    assert apply[8] == "-f" and apply[9].endswith("staging.yaml")
    assert rollout[1:] == ["rollout", "status", "deployment/leadforge-web", "--namespace", "leadforge-staging", "--timeout=300s"]
    assert data["on_failure"][0][1:] == ["rollout", "undo", "deployment/leadforge-web", "--namespace", "leadforge-staging"]
    assert "[dry-run] would run" in result.stderr


def test_push_mode_without_a_kubeconfig_says_so(deploy_repo, run_cli, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)

    result = run_cli("deploy", "apply", "--env", "dev", "--mode", "push", repo=deploy_repo.path)

    assert result.code == 1
    assert result.stderr.strip() == (
        "leadforge: error: k8s/overlays/dev: push mode needs a kubeconfig: set KUBECONFIG or create ~/.kube/config "
        "(e.g. `aws eks update-kubeconfig --name <cluster>`), or use --mode pull"
    )


def test_push_mode_with_kubeconfig_naming_a_missing_file_says_which(deploy_repo, run_cli, monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / "config"
    monkeypatch.setenv("KUBECONFIG", str(missing))

    result = run_cli("deploy", "apply", "--env", "dev", "--mode", "push", repo=deploy_repo.path)

    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"KUBECONFIG={missing} names no existing file" in lines[0] and lines[0].startswith(
        "leadforge: error: k8s/overlays/dev: push mode needs a kubeconfig"
    )


KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
  - name: nowhere
    cluster:
      server: https://127.0.0.1:9
contexts:
  - name: nowhere
    context: {cluster: nowhere, user: nobody}
current-context: nowhere
users:
  - name: nobody
    user: {token: not-a-secret}
"""


def test_push_mode_reports_kubectls_own_message_when_the_cluster_is_unreachable(deploy_repo, run_cli, tmp_path):
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG, encoding="utf-8")

    result = run_cli("deploy", "apply", "--env", "dev", "--mode", "push", repo=deploy_repo.path, env={"KUBECONFIG": str(config)})

    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("leadforge: error: k8s/overlays/dev: kubectl apply failed:")
    assert "127.0.0.1:9" in lines[0] and "connection refused" in lines[0]


def test_push_plan_and_kubeconfig_lookup_are_pure(tmp_path):
    objects = parse_objects(
        "kind: Namespace\nmetadata: {name: a}\n---\nkind: Deployment\nmetadata: {name: w, namespace: a}\n"
        "---\nkind: StatefulSet\nmetadata: {name: db, namespace: b}\n---\nkind: Service\nmetadata: {name: s, namespace: a}\n"
    )
    plan = push_plan("dev", objects, "m.yaml", timeout="60s")
    assert plan.namespace == "a"
    assert [s.argv[3] for s in plan.rollouts] == ["deployment/w", "statefulset/db"]
    assert plan.rollouts[1].argv[4:] == ("--namespace", "b", "--timeout=60s")
    assert plan.env_vars == {"KUBECTL_APPLYSET": "true"}

    assert find_kubeconfig({"KUBECONFIG": str(tmp_path / "none"), "HOME": str(tmp_path)}) is None
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text("x")
    assert find_kubeconfig({"HOME": str(tmp_path)}) == str(tmp_path / ".kube" / "config")


def test_apply_with_validate_deploys_nothing_when_a_policy_fails(deploy_repo, remote, run_cli):
    set_yaml(deploy_repo, "k8s/overlays/staging/kustomization.yaml", "newTag: 0.1.0", "newTag: latest")
    deploy_repo.commit("chore: float staging")

    result = run_cli("deploy", "apply", "--env", "staging", "--validate", repo=deploy_repo.path)

    assert result.code == 1
    assert "[policy deploy/image-tag] staging: Deployment/leadforge-staging/leadforge-web" in result.stderr
    assert result.stderr.strip().endswith("k8s/overlays/staging: 1 validation error(s) (listed above); nothing deployed")
    assert "deploy/staging" not in git(remote, "branch", "--list")


def _fake_kubectl(tmp_path: Path, rollout_status_exit: int) -> tuple[Path, Path]:
    """A kubectl that renders with the real one, logs every other call, and fails `rollout status` on demand."""
    import shutil as _shutil

    log = tmp_path / "kubectl.log"
    script = tmp_path / "bin" / "kubectl"
    script.parent.mkdir()
    script.write_text(
        "#!/bin/sh\n"
        f'case "$1" in kustomize|version) exec {_shutil.which("kubectl")} "$@";; esac\n'
        f'echo "KUBECTL_APPLYSET=$KUBECTL_APPLYSET $*" >> {log}\n'
        'if [ "$1" = apply ]; then echo "deployment.apps/leadforge-web serverside-applied"; exit 0; fi\n'
        'if [ "$1 $2" = "rollout status" ]; then\n'
        f"  [ {rollout_status_exit} = 0 ] && exit 0\n"
        "  echo 'error: deployment \"leadforge-web\" exceeded its progress deadline' >&2; exit 1\n"
        "fi\n"
        "exit 0\n"
    )
    script.chmod(0o755)
    return script, log


def test_push_mode_rolls_back_when_a_rollout_does_not_become_ready(deploy_repo, run_cli, tmp_path):
    kubectl, log = _fake_kubectl(tmp_path, rollout_status_exit=1)
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG, encoding="utf-8")

    result = run_cli(
        "deploy",
        "apply",
        "--env",
        "dev",
        "--mode",
        "push",
        repo=deploy_repo.path,
        env={"KUBECONFIG": str(config), "LEADFORGE_KUBECTL": str(kubectl)},
    )

    assert result.code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "leadforge: error: k8s/overlays/dev: deployment/leadforge-web -n leadforge-dev did not become ready "
        '(deployment "leadforge-web" exceeded its progress deadline); rolled back deployment/leadforge-web -n leadforge-dev'
    )
    lines = log.read_text().splitlines()
    assert all(line.startswith("KUBECTL_APPLYSET=true ") for line in lines)
    calls = [line.split(" ", 1)[1] for line in lines]
    assert calls[0].startswith(
        "apply --server-side --field-manager=leadforge --prune --applyset=leadforge-dev --namespace leadforge-dev -f "
    )
    # it stops at the first workload that is not ready and undoes that one only
    assert calls[1:] == [
        "rollout status deployment/leadforge-web --namespace leadforge-dev --timeout=300s",
        "rollout undo deployment/leadforge-web --namespace leadforge-dev",
    ]


def test_push_mode_succeeds_when_every_rollout_is_ready(deploy_repo, run_cli, tmp_path):
    kubectl, log = _fake_kubectl(tmp_path, rollout_status_exit=0)
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG, encoding="utf-8")

    result = run_cli(
        "deploy",
        "apply",
        "--env",
        "prod",
        "--mode",
        "push",
        "--json",
        repo=deploy_repo.path,
        env={
            "KUBECONFIG": str(config),
            "LEADFORGE_KUBECTL": str(kubectl),
            "GITHUB_ACTIONS": "true",
            "LEADFORGE_APPROVED_ENVIRONMENT": "production",
        },
    )

    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["result"], data["rollouts"]) == ("applied", ["deployment/leadforge-web -n leadforge-prod"])
    assert not any(" rollout undo " in f" {line} " for line in log.read_text().splitlines())
