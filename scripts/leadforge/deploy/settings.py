"""The `deploy:` section of `.github/leadforge.yml` (Environments and deployment)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leadforge.strict import StrictModel


class StationDefaults(StrictModel):
    """What an agent's execution station gets when its profile has no `station:` block (or leaves a key out).

    A profile's `station: {image, cpu, memory, storage, env}` overrides image, the limits and the PVC size."""

    image: str = Field(
        "ghcr.io/leadforge/agent-runner:0.1.0",
        description="Runner image of the station (an actions-runner image: `/home/runner/run.sh`); pin a tag or digest.",
    )
    cpu_request: str = Field("250m", description="CPU request of the runner container.")
    cpu_limit: str = Field("1", description="CPU limit of the runner container (profile `station.cpu` overrides it).")
    memory_request: str = Field("512Mi", description="Memory request of the runner container.")
    memory_limit: str = Field("2Gi", description="Memory limit of the runner container (profile `station.memory` overrides it).")
    storage: str = Field(
        "10Gi", description="Size of each runner's workspace (an ephemeral volume, deleted with the runner pod)."
    )
    storage_class: str = Field("", description="StorageClass of the workspace volumes; empty = the cluster default.")
    runner_uid: int = Field(
        1001,
        ge=1,
        description="User (and group) id the runner runs as: 1001 is the `runner` user of GitHub's actions-runner image.",
    )


class ArcSettings(StrictModel):
    """actions-runner-controller (gha-runner-scale-set): how the stations' runners register with GitHub.

    Install the controller once per cluster (its Helm chart `gha-runner-scale-set-controller`, namespace
    `arc-systems`); each station is an `AutoscalingRunnerSet` that scales from 0 to the profile's capacity."""

    version: str = Field(
        "0.14.2",
        description="Version of the installed gha-runner-scale-set-controller: the AutoscalingRunnerSet's\n"
        "`app.kubernetes.io/version` label; the controller deletes runner sets whose major.minor differ from its own.",
    )
    github_config_url: str = Field(
        "",
        description="Repository, organization or enterprise URL the runners register with (https://github.com/OWNER/REPO);\n"
        "empty: this repository's address (GITHUB_REPOSITORY, else a GitHub `origin` remote).",
    )
    github_config_secret: str = Field(
        "leadforge-runner-github",
        description="Secret in each station namespace with the GitHub App (github_app_id, github_app_installation_id,\n"
        "github_app_private_key) or a github_token; created outside Git (kubectl create secret generic ...).",
    )
    runner_group: str = Field("", description="Runner group of the scale sets (empty: the default group).")
    scale_set_prefix: str = Field(
        "leadforge-", description="Scale set name = prefix + agent: the `runs-on:` label of the agent's workflows."
    )
    controller_namespace: str = Field("arc-systems", description="Namespace the controller runs in.")
    controller_service_account: str = Field(
        "arc-gha-rs-controller",
        description="The controller's ServiceAccount, bound in each station namespace to the Role it needs there\n"
        "(runner pods, their JIT-config secrets, the listener's role binding), as the gha-runner-scale-set chart does.",
    )


class StationSettings(StrictModel):
    """Execution stations: one namespace per AI agent, rendered from `profiles/*.yml`, whose runners
    (an actions-runner-controller AutoscalingRunnerSet) scale from 0 to the profile's `capacity`."""

    enabled: bool = Field(True, description="Render stations and include the component in the overlays listed below.")
    profiles_dir: str = Field("profiles", description="Folder of agent profiles (one YAML per agent).")
    out_dir: str = Field("k8s/stations", description="Where `leadforge deploy stations` writes the component.")
    environments: tuple[str, ...] = Field(
        ("dev",), description="Overlays that include the stations component (`components: [../../stations]`)."
    )
    require_block: bool = Field(
        True, description="Only profiles with a `station:` block get a station; false: every profile, with the defaults."
    )
    namespace_prefix: str = Field("station-", description="Station namespace = prefix + agent name.")
    skip: tuple[str, ...] = Field((), description="Agents (profile names) that get no station.")
    defaults: StationDefaults = Field(default_factory=StationDefaults, description="Station values a profile does not set.")
    arc: ArcSettings = Field(default_factory=ArcSettings, description="actions-runner-controller: runner registration.")


class DeploySettings(StrictModel):
    """Environments and deployment settings."""

    environments: tuple[str, ...] = Field(
        ("dev", "staging", "prod"), description="Environment names; each is a kustomize overlay under `overlays_dir`."
    )
    overlays_dir: str = Field("k8s/overlays", description="Folder holding one kustomize overlay per environment.")
    kustomize: Literal["auto", "kustomize", "kubectl"] = Field(
        "auto", description="Renderer: `kustomize build` when on PATH (auto), else `kubectl kustomize`."
    )
    min_kustomize_version: str = Field("5.0.0", description="Oldest kustomize (standalone or bundled in kubectl) accepted.")
    render_timeout: float = Field(120.0, gt=0, description="Seconds one render may take.")
    kubernetes_version: str = Field("1.31", description="Kubernetes version the offline schema validation checks against.")
    checkov: bool = Field(True, description="Run checkov on the rendered manifests in `leadforge deploy validate`.")
    latest_allowed_in: tuple[str, ...] = Field(
        ("dev",), description="Environments where `:latest` or untagged images are only a warning."
    )
    production: tuple[str, ...] = Field(
        ("prod",),
        description="Production environments: replicas >= min_replicas and a PodDisruptionBudget required; "
        "promotion needs the GitHub environment's approval.",
    )
    min_replicas: int = Field(2, ge=1, description="Fewest replicas a workload may have in a production environment.")
    approval_environment: str = Field(
        "production",
        description="GitHub environment (with required reviewers) whose job must run a promotion or apply to production; "
        "the job exports LEADFORGE_APPROVED_ENVIRONMENT with this name.",
    )
    apply_mode: Literal["pull", "push"] = Field("pull", description="Default of `deploy apply --mode`.")
    pull_target: Literal["branch", "folder"] = Field(
        "branch", description="Pull mode: commit rendered manifests to a `branch_prefix + ENV` branch or a folder on this branch."
    )
    branch_prefix: str = Field("deploy/", description="Pull mode (branch): rendered manifests go to branch `deploy/ENV`.")
    rendered_dir: str = Field("rendered", description="Pull mode (folder): rendered manifests go to `rendered/ENV/`.")
    remote: str = Field("origin", description="Git remote pull mode and promotions push to (skipped when absent).")
    applyset: str = Field("leadforge", description="Push mode: applyset name (prunes objects removed from the overlay).")
    field_manager: str = Field("leadforge", description="Push mode: server-side apply field manager.")
    rollout_timeout: str = Field("300s", description="Push mode: `kubectl rollout status --timeout`.")
    promote_branch_prefix: str = Field("promote/", description="Branch prefix for promotion pull requests.")
    promote_fields: tuple[str, ...] = Field(
        (),
        description="Besides image tags, keys copied on promotion: `configMapGenerator.<name>.<KEY>` literal values.",
    )
    diff_paths: tuple[str, ...] = Field(
        ("k8s/", "terraform/", "profiles/"), description="Pull requests touching these paths get the rendered-diff comment."
    )
    stations: StationSettings = Field(default_factory=StationSettings, description="Agent execution stations.")
