"""`leadforge deploy render`: the real kustomize, byte for byte; clear one-line failures."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from leadforge.deploy.kustomize import kubectl_kustomize_version, parse_version, tool_message
from tests.deploy.conftest import kubectl_kustomize, needs_kubectl, set_yaml

pytestmark = [pytest.mark.integration, needs_kubectl]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_render_is_byte_identical_to_kubectl_kustomize(deploy_repo, run_cli, env):
    direct = kubectl_kustomize(deploy_repo.path / "k8s" / "overlays" / env)
    assert direct.returncode == 0, direct.stderr

    result = run_cli("deploy", "render", "--env", env, repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    assert result.stdout.encode() == direct.stdout
    assert f"namespace: leadforge-{env}".encode() in direct.stdout


def test_render_all_writes_one_file_per_environment(deploy_repo, run_cli, tmp_path):
    out = tmp_path / "rendered"

    result = run_cli("deploy", "render", "--all", "--out", str(out), "--json", repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["dev.yaml", "prod.yaml", "staging.yaml"]
    for env in ("dev", "staging", "prod"):
        assert (out / f"{env}.yaml").read_bytes() == kubectl_kustomize(deploy_repo.path / "k8s/overlays" / env).stdout
    assert '"dev"' in result.stdout and "sha256" in result.stdout


def test_unknown_environment_is_one_line(deploy_repo, run_cli):
    result = run_cli("deploy", "render", "--env", "qa", repo=deploy_repo.path)

    assert result.code == 1
    assert result.stderr.strip().splitlines() == [
        "leadforge: error: unknown environment 'qa': expected one of dev, staging, prod (deploy.environments)"
    ]


def test_missing_resource_names_the_overlay_and_leaves_no_output(deploy_repo, run_cli, tmp_path):
    set_yaml(deploy_repo, "k8s/overlays/staging/kustomization.yaml", "  - namespace.yaml", "  - namespace.yaml\n  - gone.yaml")
    out = tmp_path / "staging.yaml"

    result = run_cli("deploy", "render", "--env", "staging", "--out", str(out), repo=deploy_repo.path)

    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("leadforge: error: k8s/overlays/staging: kubectl kustomize failed: accumulating resources")
    assert "gone.yaml" in lines[0]
    assert not out.exists()


def test_invalid_yaml_in_an_overlay_is_reported_with_kustomizes_message(deploy_repo, run_cli):
    (deploy_repo.path / "k8s/overlays/prod/kustomization.yaml").write_text("resources: [\n", encoding="utf-8")

    result = run_cli("deploy", "render", "--all", repo=deploy_repo.path)

    assert result.code == 1
    assert "k8s/overlays/prod: kubectl kustomize failed: invalid Kustomization: yaml:" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_patch_target_fails_naming_the_overlay(deploy_repo, run_cli):
    set_yaml(deploy_repo, "k8s/overlays/dev/patch-deployment.yaml", "containers/0/resources", "containers/7/resources")

    result = run_cli("deploy", "render", "--env", "dev", repo=deploy_repo.path)

    assert result.code == 1
    assert "k8s/overlays/dev: kubectl kustomize failed:" in result.stderr
    assert "/spec/template/spec/containers/7/resources" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_kubectl_names_the_overlay(deploy_repo, run_cli, monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    result = run_cli("deploy", "render", "--env", "dev", repo=deploy_repo.path)

    assert result.code == 1
    assert result.stderr.startswith("leadforge: error: k8s/overlays/dev: kubectl: command not found")


def test_a_patch_target_that_matches_nothing_is_a_broken_overlay(deploy_repo, run_cli, tmp_path):
    set_yaml(
        deploy_repo,
        "k8s/overlays/prod/kustomization.yaml",
        "kind: HorizontalPodAutoscaler\n      name: leadforge-web",
        "kind: HorizontalPodAutoscaler\n      name: leadforge-api",
    )
    assert kubectl_kustomize(deploy_repo.path / "k8s/overlays/prod").returncode == 0  # kustomize says nothing

    result = run_cli("deploy", "render", "--env", "prod", "--out", str(tmp_path / "prod.yaml"), repo=deploy_repo.path)

    assert result.code == 1
    assert result.stderr.strip() == (
        "leadforge: error: k8s/overlays/prod: patches[1] (patch-hpa.yaml): target HorizontalPodAutoscaler/leadforge-api "
        "matches no object"
    )
    assert not (tmp_path / "prod.yaml").exists()


def _fake_tool(folder: Path, name: str, script: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_an_old_standalone_kustomize_is_refused_with_the_version(deploy_repo, run_cli, monkeypatch, tmp_path):
    _fake_tool(tmp_path / "bin", "kustomize", 'echo "v4.5.7"\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    result = run_cli("deploy", "render", "--env", "dev", repo=deploy_repo.path)

    assert result.code == 1
    assert "kustomize build: kustomize v4.5.7 is too old" in result.stderr
    assert ">= 5.0.0" in result.stderr


def test_kubectl_is_used_when_kustomize_is_configured_off(deploy_repo, run_cli, monkeypatch, tmp_path):
    _fake_tool(tmp_path / "bin", "kustomize", "exit 9\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    deploy_repo.write(".github/leadforge.yml", "deploy:\n  kustomize: kubectl\n")

    result = run_cli("deploy", "render", "--env", "dev", repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    assert result.stdout.encode() == kubectl_kustomize(deploy_repo.path / "k8s/overlays/dev").stdout


def test_version_parsing_and_tool_messages():
    assert parse_version("v5.5.0") == (5, 5, 0)
    assert parse_version("{Version:kustomize/v4.5.7 GitCommit:abc}") == (4, 5, 7)
    assert parse_version("") is None
    assert kubectl_kustomize_version('{"kustomizeVersion": "v5.5.0"}') == "v5.5.0"
    assert kubectl_kustomize_version("Client Version: v1.32\nKustomize Version: v5.4.2\n") == "v5.4.2"
    klog = 'E1121 07:08:38.222111 7738 run.go:72] "command failed" err="invalid Kustomization: yaml: line 1: x"'
    assert tool_message(klog) == "invalid Kustomization: yaml: line 1: x"
    assert tool_message("Error: no such file\n") == "no such file"
    # klog's multi-line form (err=< ... >): the block, joined, not the closing ">".
    block = (
        'E1121 08:18:43.414170 12778 run.go:72] "command failed" err=<\n'
        "\ttrouble configuring builtin PatchTransformer with config: `\n\tpath: patch.yaml\n"
        '\t`: unable to parse SM or JSON patch from [path: "patch.yaml"]\n >\n'
    )
    assert tool_message(block) == (
        "trouble configuring builtin PatchTransformer with config: ` path: patch.yaml `: unable to parse SM or JSON "
        'patch from [path: "patch.yaml"]'
    )


def test_invalid_yaml_in_a_patch_file_gives_kustomizes_message_on_one_line(deploy_repo, run_cli):
    patch = deploy_repo.path / "k8s/overlays/dev/patch-deployment.yaml"
    patch.write_text(patch.read_text() + "  broken: [\n")

    result = run_cli("deploy", "render", "--env", "dev", repo=deploy_repo.path)

    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("leadforge: error: k8s/overlays/dev: kubectl kustomize failed: ")
    assert "patch-deployment.yaml" in lines[0] and not lines[0].endswith(">")


def test_out_of_the_wrong_kind_is_one_line_and_writes_nothing(deploy_repo, run_cli, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    result = run_cli("deploy", "render", "--env", "dev", "--out", str(folder), repo=deploy_repo.path)
    assert result.code == 1 and result.stderr.strip().splitlines() == [
        f"leadforge: error: --out {folder}: is a folder; give a file name (e.g. {folder / 'dev.yaml'})"
    ]
    assert list(folder.iterdir()) == []

    afile = tmp_path / "rendered"
    afile.write_text("mine")
    result = run_cli("deploy", "render", "--all", "--out", str(afile), repo=deploy_repo.path)
    assert result.code == 1 and "is a file; with --all it must be a folder" in result.stderr
    assert afile.read_text() == "mine"


def test_an_early_start_is_only_taken_for_a_plain_render_of_one_environment():
    from leadforge.deploy.early import _words

    assert _words(["deploy", "render", "--env", "dev"]) == {"env": "dev"}
    assert _words(["--repo", "/r", "--config=c.yml", "deploy", "render", "--env=prod", "--json"]) == {
        "repo": "/r",
        "config": "c.yml",
        "env": "prod",
    }
    assert _words(["deploy", "render", "--all"]) is None
    assert _words(["deploy", "validate", "--env", "dev"]) is None
    assert _words(["deploy", "render", "--env"]) is None
    assert _words(["deploy", "render", "--env", "dev", "--help"]) is None


def test_a_render_started_early_is_the_one_collected_and_one_nobody_collects_is_stopped(
    deploy_repo, run_cli, tmp_path, monkeypatch
):
    import subprocess
    import sys

    from leadforge.deploy import early, kustomize

    calls = tmp_path / "calls"
    _fake_tool(tmp_path / "bin", "kubectl", f'echo "$@" >> {calls}\nexec {kustomize.tool_path("kubectl")} "$@"\n')
    env = {**os.environ, "LEADFORGE_KUBECTL": str(tmp_path / "bin" / "kubectl"), "LEADFORGE_CACHE_DIR": str(tmp_path / "c")}
    argv = [sys.executable, "-m", "leadforge", "--repo", str(deploy_repo.path), "deploy", "render", "--env", "prod"]
    outputs = [subprocess.run(argv, env=env, capture_output=True, check=True).stdout for _ in range(2)]

    direct = kubectl_kustomize(deploy_repo.path / "k8s/overlays/prod").stdout
    assert outputs == [direct, direct]
    renders = [line for line in calls.read_text().splitlines() if line.startswith("kustomize")]
    assert len(renders) == 2  # the second run's early start was its render: nothing ran twice

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stopped: list[int] = []
    stop = early.stop

    def counting_stop() -> None:
        stopped.append(len(early._PRESTARTED))
        stop()

    monkeypatch.setattr(early, "stop", counting_stop)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = run_cli("deploy", "render", "--env", "prod", "--out", str(folder), repo=deploy_repo.path)
    assert result.code == 1 and "is a folder" in result.stderr
    assert stopped == [1]  # started early, not collected (the command failed before rendering)...
    assert early._PRESTARTED == {}  # ...and stopped
