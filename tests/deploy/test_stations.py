"""Execution stations: profiles -> a kustomize component per agent, included by the overlays."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from leadforge.deploy.manifests import key_of, parse_objects
from leadforge.deploy.policy import PolicyOptions, check_policy
from leadforge.deploy.settings import StationSettings
from leadforge.deploy.stations import load_profiles, plan_stations, runner_github_url, scale_quantity
from leadforge.errors import InputError
from tests.conftest import ROOT
from tests.deploy.conftest import kubectl_kustomize, needs_kubectl

CLAUDE = """\
name: claude
handoff:
  comment: "@claude please implement {id}"
capacity: 2
station:
  image: ghcr.io/acme/claude-runner:1.2.0
  cpu: "2"
  memory: 4Gi
  storage: 20Gi
  env:
    MODEL: opus
"""
COPILOT = "name: copilot\nhandoff:\n  assign: Copilot\n"
URL = "https://github.com/octo/repo"
CONFIG = f"deploy:\n  stations:\n    arc:\n      github_config_url: {URL}\n"


def test_a_station_is_sized_from_its_profile_and_defaults_fill_the_rest():
    plan = plan_stations(
        [("profiles/claude.yml", yaml.safe_load(CLAUDE)), ("profiles/copilot.yml", yaml.safe_load(COPILOT))],
        StationSettings(require_block=False),
        github_url=URL,
    )

    assert [(s.agent, s.namespace, s.image) for s in plan.stations] == [
        ("claude", "station-claude", "ghcr.io/acme/claude-runner:1.2.0"),
        ("copilot", "station-copilot", "ghcr.io/leadforge/agent-runner:0.1.0"),
    ]
    assert sorted(f for f in plan.files if f.startswith("claude/")) == [
        "claude/kustomization.yaml",
        "claude/namespace.yaml",
        "claude/networkpolicy.yaml",
        "claude/rbac.yaml",
        "claude/runner.yaml",
    ]
    objects = {
        key_of(o): o for o in parse_objects(plan.files["claude/namespace.yaml"] + "---\n" + plan.files["claude/runner.yaml"])
    }
    quota = next(o for k, o in objects.items() if k.kind == "ResourceQuota")
    assert quota["metadata"]["namespace"] == "station-claude"
    # room for capacity (2) runners, each with its own workspace volume
    assert quota["spec"]["hard"] == {
        "pods": "2",
        "requests.cpu": "500m",
        "limits.cpu": "4",
        "requests.memory": "1024Mi",
        "limits.memory": "8Gi",
        "requests.storage": "40Gi",
        "persistentvolumeclaims": "2",
    }
    runner = next(o for k, o in objects.items() if k.kind == "AutoscalingRunnerSet")
    assert (runner["spec"]["minRunners"], runner["spec"]["maxRunners"]) == (0, 2)
    assert runner["spec"]["githubConfigUrl"] == URL and runner["spec"]["runnerScaleSetName"] == "leadforge-claude"
    assert runner["metadata"]["labels"]["app.kubernetes.io/version"] == "0.14.2"
    box = runner["spec"]["template"]["spec"]["containers"][0]
    assert box["resources"] == {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    assert {"name": "MODEL", "value": "opus"} in box["env"]
    assert box["name"] == "runner" and box["command"] == ["/home/runner/run.sh"]
    work = next(v for v in runner["spec"]["template"]["spec"]["volumes"] if v["name"] == "work")
    assert work["ephemeral"]["volumeClaimTemplate"]["spec"]["resources"] == {"requests": {"storage": "20Gi"}}
    copilot = next(o for o in parse_objects(plan.files["copilot/runner.yaml"]))
    assert copilot["spec"]["maxRunners"] == 1  # no capacity in the profile: the queue's default, 1
    top = yaml.safe_load(plan.files["kustomization.yaml"])
    assert top == {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1",
        "kind": "Component",
        "resources": ["index.yaml"],
        "components": ["claude", "copilot"],
    }


def test_station_workloads_pass_the_policy_rules():
    plan = plan_stations([("profiles/claude.yml", yaml.safe_load(CLAUDE))], StationSettings(), github_url=URL)
    objects = parse_objects(
        "---\n".join(plan.files[f] for f in plan.files if f.startswith("claude/") and "kustomization" not in f)
    )
    assert "AutoscalingRunnerSet" in {o["kind"] for o in objects}  # its pod template is checked like a Deployment's
    assert check_policy(objects, PolicyOptions(env="staging")) == []
    deny = next(o for o in objects if o["metadata"]["name"] == "default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


@pytest.mark.parametrize(
    ("station", "message"),
    [
        ({"cpu": "two"}, "station.cpu: 'two' is not a Kubernetes quantity"),
        ({"gpu": 1}, "station.gpu: unknown key"),
    ],
)
def test_bad_station_blocks_name_the_profile_and_key(station, message):
    with pytest.raises(InputError, match=message.replace(".", r"\.").replace("(", r"\(")):
        plan_stations([("profiles/x.yml", {"name": "x", "station": station})], StationSettings(), github_url=URL)


def test_only_profiles_with_a_station_block_get_one_by_default():
    profiles = [("profiles/claude.yml", yaml.safe_load(CLAUDE)), ("profiles/copilot.yml", yaml.safe_load(COPILOT))]
    assert [s.agent for s in plan_stations(profiles, StationSettings(), github_url=URL).stations] == ["claude"]


def test_a_floating_runner_tag_is_left_to_the_image_policy():
    profile = {"name": "x", "station": {"image": "ghcr.io/acme/runner:latest"}}
    plan = plan_stations([("profiles/x.yml", profile)], StationSettings(), github_url=URL)
    objects = parse_objects(plan.files["x/runner.yaml"])
    runner = next(o for o in objects if o["kind"] == "AutoscalingRunnerSet")
    assert runner["metadata"]["annotations"]["checkov.io/skip1"].startswith(
        "CKV_K8S_14=the floating tag comes from profiles/x.yml"
    )
    dev = check_policy(objects, PolicyOptions(env="dev", latest_allowed=True))
    staging = check_policy(objects, PolicyOptions(env="staging"))
    # the runner and the init container that copies its home both use the image
    assert [(f.rule, f.severity) for f in dev] == [("deploy/image-tag", "warning")] * 2
    assert [(f.rule, f.severity) for f in staging] == [("deploy/image-tag", "error")] * 2


def test_skipped_agents_get_no_station():
    plan = plan_stations([("profiles/claude.yml", yaml.safe_load(CLAUDE))], StationSettings(skip=("claude",)), github_url="")
    assert plan.stations == ()
    assert "components" not in yaml.safe_load(plan.files["kustomization.yaml"])


def test_quantities_scale_in_their_own_unit():
    assert scale_quantity("250m", 2, "cpu") == "500m"
    assert scale_quantity("1.5", 2, "cpu") == "3"
    assert scale_quantity("2Gi", 3, "memory") == "6Gi"


def test_profiles_are_read_with_the_task_queue_loader(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/claude.yml").write_text(CLAUDE)
    (tmp_path / "profiles/wrong.yml").write_text(COPILOT)  # name differs from the file: the queue refuses it
    with pytest.raises(InputError, match=r"wrong\.yml"):
        load_profiles(tmp_path, "profiles")
    (tmp_path / "profiles/wrong.yml").unlink()
    assert load_profiles(tmp_path, "profiles") == [
        (
            "profiles/claude.yml",
            {
                "name": "claude",
                "capacity": 2,
                "station": {
                    "image": "ghcr.io/acme/claude-runner:1.2.0",
                    "cpu": "2",
                    "memory": "4Gi",
                    "storage": "20Gi",
                    "env": {"MODEL": "opus"},
                },
            },
        )
    ]


@pytest.mark.integration
@needs_kubectl
def test_stations_command_writes_the_component_and_the_overlays_render_it(deploy_repo, run_cli):
    shutil.rmtree(deploy_repo.path / "profiles", ignore_errors=True)
    deploy_repo.write(".github/leadforge.yml", CONFIG)
    deploy_repo.write("profiles/claude.yml", CLAUDE)
    deploy_repo.write("profiles/copilot.yml", COPILOT.replace("  assign: Copilot\n", "  assign: Copilot\nstation: {cpu: '1'}\n"))

    check = run_cli("deploy", "stations", "--check", repo=deploy_repo.path)
    assert check.code == 1 and "k8s/stations/claude/runner.yaml" in check.stdout

    result = run_cli("deploy", "stations", "--json", repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["agent"] for s in data["stations"]] == ["claude", "copilot"]
    assert run_cli("deploy", "stations", "--check", repo=deploy_repo.path).code == 0
    dev = kubectl_kustomize(deploy_repo.path / "k8s/overlays/dev")
    assert dev.returncode == 0, dev.stderr
    keys = {str(key_of(o)) for o in parse_objects(dev.stdout)}
    assert {
        "Namespace/station-claude",
        "AutoscalingRunnerSet/station-claude/leadforge-claude",
        "Role/station-copilot/arc-controller",
        "NetworkPolicy/station-claude/default-deny",
        "ConfigMap/leadforge-dev/leadforge-stations",
    } <= keys
    validated = run_cli("deploy", "validate", "--env", "dev", "--no-checkov", "--json", repo=deploy_repo.path)
    # policy-clean; the runner sets are custom resources kubernetes-validate has no schema for (tests/deploy/test_arc.py
    # checks them against ARC's CRD)
    findings = json.loads(validated.stdout)["environments"]["dev"]["findings"]
    assert validated.code == 0
    assert [(f["rule"], f["severity"]) for f in findings] == [("schema-unknown", "warning")] * 2
    assert all("AutoscalingRunnerSet/" in f["message"] for f in findings)
    for env in ("staging", "prod"):
        keys = {str(key_of(o)) for o in parse_objects(kubectl_kustomize(deploy_repo.path / "k8s/overlays" / env).stdout)}
        assert not any("station-" in k for k in keys), env

    # a profile goes away: its generated folder goes too
    (deploy_repo.path / "profiles/copilot.yml").unlink()
    run_cli("deploy", "stations", repo=deploy_repo.path)
    assert not (deploy_repo.path / "k8s/stations/copilot").exists()
    assert (deploy_repo.path / "k8s/stations/claude/runner.yaml").exists()


@pytest.mark.integration
def test_stations_follow_the_configured_environments(deploy_repo, run_cli):
    deploy_repo.write(".github/leadforge.yml", CONFIG.replace("    arc:", "    environments: [staging]\n    arc:"))

    result = run_cli("deploy", "stations", repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    staging = (deploy_repo.path / "k8s/overlays/staging/kustomization.yaml").read_text()
    dev = (deploy_repo.path / "k8s/overlays/dev/kustomization.yaml").read_text()
    assert "components:\n  - ../../stations\n" in staging
    assert "components: []\n" in dev
    assert "# The staging environment: namespace leadforge-staging." in staging  # comments survive
    assert kubectl_kustomize(deploy_repo.path / "k8s/overlays/dev").returncode == 0


def test_the_shipped_stations_component_matches_the_repositorys_profiles():
    from leadforge.config import load_config

    settings = load_config(ROOT).deploy.stations
    plan = plan_stations(load_profiles(ROOT, settings.profiles_dir), settings, github_url=settings.arc.github_config_url)
    shipped = {
        p.relative_to(ROOT / settings.out_dir).as_posix(): p.read_text() for p in (ROOT / settings.out_dir).rglob("*.yaml")
    }
    assert shipped == dict(plan.files), "run `leadforge deploy stations` and commit k8s/stations/"


def test_each_shipped_agent_gets_a_runner_set_scaling_from_zero_to_its_capacity():
    from leadforge.tasks.profiles import load_profiles as queue_profiles

    capacity = {p.name: p.capacity for p in queue_profiles(ROOT) if p.station is not None}
    found = {}
    for path in (ROOT / "k8s/stations").glob("*/runner.yaml"):
        (runner,) = parse_objects(path.read_text())
        found[runner["metadata"]["labels"]["leadforge.dev/agent"]] = (runner["spec"]["minRunners"], runner["spec"]["maxRunners"])
    assert found == {agent: (0, n) for agent, n in capacity.items()} and found


@pytest.mark.parametrize(
    ("configured", "repository", "remote", "expected"),
    [
        ("https://github.com/enterprises/acme", "octo/repo", None, "https://github.com/enterprises/acme"),
        ("", "octo/repo", None, "https://github.com/octo/repo"),
        ("", "", "git@github.com:octo/repo.git", "https://github.com/octo/repo"),
        ("", "", "/srv/git/repo.git", ""),
    ],
)
def test_the_runners_register_with_the_configured_url_else_this_repository(configured, repository, remote, expected):
    assert runner_github_url(configured, "https://github.com", repository, remote) == expected


def test_without_a_github_url_the_stations_are_a_one_line_error():
    expected = r"^deploy\.stations\.arc\.github_config_url: set the GitHub URL the runners register with"
    with pytest.raises(InputError, match=expected):
        plan_stations([("profiles/claude.yml", yaml.safe_load(CLAUDE))], StationSettings(), github_url="")


def test_a_negative_capacity_names_the_profile():
    with pytest.raises(InputError, match=r"profiles/x\.yml: capacity: expected a whole number >= 0, got -1"):
        plan_stations([("profiles/x.yml", {"name": "x", "capacity": -1, "station": {}})], StationSettings(), github_url=URL)
