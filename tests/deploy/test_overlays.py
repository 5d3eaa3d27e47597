"""Overlays built for these tests (bases with prefixes, components with suffixes, other kustomization file
names, overlays at the repository root), rendered by the real kustomize: what LeadForge checks and where its
findings point must follow what kustomize did."""

from __future__ import annotations

import json

import pytest

from tests.deploy.conftest import kubectl_kustomize, needs_kubectl

pytestmark = [pytest.mark.integration, needs_kubectl]

WORKER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  labels:
    tier: back
spec:
  replicas: 1
  selector:
    matchLabels:
      app: worker
  template:
    metadata:
      labels:
        app: worker
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/worker:1.0.0
"""
SHOP_BASE = "namespace: jobs\nnamePrefix: shop-\nresources:\n  - deployment.yaml\n"
V2_COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnameSuffix: -v2\n"
REPLICAS_3 = "      - op: replace\n        path: /spec/replicas\n        value: 3\n"


def overlay_config(envs: str = "[live]", overlays_dir: str = "overlays") -> str:
    return f"deploy:\n  overlays_dir: {json.dumps(overlays_dir)}\n  environments: {envs}\n"


def patch_entry(target: str, ops: str = REPLICAS_3) -> str:
    return f"  - target: {target}\n    patch: |-\n{ops}"


def build(repo, overlay: str, *, file: str = "kustomization.yaml", extra: dict[str, str] | None = None) -> None:
    """A shop base (namespace jobs, prefix shop-), a -v2 component and one overlay ``live``."""
    files = {
        ".github/leadforge.yml": overlay_config(),
        "base/kustomization.yaml": SHOP_BASE,
        "base/deployment.yaml": WORKER,
        "components/v2/kustomization.yaml": V2_COMPONENT,
        f"overlays/live/{file}": overlay,
        **(extra or {}),
    }
    for rel, text in files.items():
        repo.write(rel, text)


LIVE = "resources:\n  - ../../base\ncomponents:\n  - ../../components/v2\npatches:\n"


@pytest.mark.parametrize(
    "target",
    [
        "{kind: Deployment, name: worker}",  # the name as written in the base
        "{kind: Deployment, name: shop-worker-v2}",  # the name after the base's prefix and the component's suffix
        "{group: apps, version: v1, kind: Deployment, namespace: jobs}",  # the base's namespace
        "{labelSelector: 'tier=back'}",
        "{kind: Deploy.*, name: 'work.*'}",
    ],
)
def test_a_target_kustomize_applies_is_accepted(git_repo, run_cli, target):
    build(git_repo, LIVE + patch_entry(target))
    direct = kubectl_kustomize(git_repo.path / "overlays/live")
    assert b"replicas: 3" in direct.stdout  # kustomize applied the patch

    result = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)

    assert result.code == 0, result.stderr
    assert result.stdout.encode() == direct.stdout


def test_the_name_before_the_components_suffix_is_not_the_patch_time_name(git_repo, run_cli):
    # components run before the overlay's patches: "shop-worker" is a name the object never had then
    build(git_repo, LIVE + patch_entry("{kind: Deployment, name: shop-worker}"))
    assert b"replicas: 3" not in kubectl_kustomize(git_repo.path / "overlays/live").stdout

    result = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)

    assert result.code == 1
    assert result.stderr.strip() == (
        "leadforge: error: overlays/live: patches[0]: target Deployment/shop-worker matches no object"
    )


@pytest.mark.parametrize(
    ("target", "described"),
    [
        ("{kind: Deployment, name: nothing}", "Deployment/nothing"),
        ("{kind: Service, name: worker}", "Service/worker"),
        ("{kind: Deployment, namespace: shop}", "Deployment namespace=shop"),
        ("{labelSelector: 'tier=front'}", "(any) labelSelector 'tier=front'"),
        ("{annotationSelector: 'owner=ops'}", "(any) annotationSelector 'owner=ops'"),
        ("{group: batch, kind: Deployment}", "Deployment group=batch"),
    ],
)
def test_a_target_kustomize_skips_is_a_broken_overlay(git_repo, run_cli, target, described):
    build(git_repo, LIVE + patch_entry(target))
    assert kubectl_kustomize(git_repo.path / "overlays/live").returncode == 0  # kustomize says nothing

    result = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)

    assert result.code == 1
    assert result.stderr.strip() == f"leadforge: error: overlays/live: patches[0]: target {described} matches no object"


@pytest.mark.parametrize("file", ["kustomization.yml", "Kustomization"])
def test_every_kustomization_file_name_kustomize_reads_is_rendered_and_checked(git_repo, run_cli, file):
    build(git_repo, LIVE + patch_entry("{kind: Deployment, name: worker}"), file=file)
    good = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)
    assert good.code == 0, good.stderr
    assert good.stdout.encode() == kubectl_kustomize(git_repo.path / "overlays/live").stdout

    build(git_repo, LIVE + patch_entry("{kind: Deployment, name: nothing}"), file=file)
    bad = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)
    assert bad.code == 1
    assert "overlays/live: patches[0]: target Deployment/nothing matches no object" in bad.stderr


def test_a_folder_without_any_kustomization_file_is_named(git_repo, run_cli):
    build(git_repo, LIVE, file="kustomisation.yaml")

    result = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)

    assert result.code == 1
    assert result.stderr.strip() == (
        "leadforge: error: overlays/live: no kustomization file in the overlay folder "
        "(kustomization.yaml, kustomization.yml or Kustomization)"
    )


def test_overlays_at_the_repository_root_validate_and_diff(git_repo, run_cli):
    git_repo.write(".github/leadforge.yml", overlay_config("[live]", "."))
    git_repo.write("base/kustomization.yaml", SHOP_BASE)
    git_repo.write("base/deployment.yaml", WORKER)
    git_repo.write("live/kustomization.yaml", "resources:\n  - ../base\n")
    base = git_repo.commit("feat: overlay at the root")

    validate = run_cli("deploy", "validate", "--env", "live", "--no-checkov", "--json", repo=git_repo.path)

    assert "Traceback" not in validate.stderr
    assert validate.code == 1  # the worker has no probes, limits...: findings, not a crash
    findings = json.loads(validate.stdout)["environments"]["live"]["findings"]
    resources = next(f for f in findings if f["rule"] == "deploy/resources")
    assert (resources["path"], resources["line"]) == ("base/deployment.yaml", 18)  # "- name: worker"

    git_repo.write("live/kustomization.yaml", "resources:\n  - ../base\nnamePrefix: live-\n")
    git_repo.commit("feat: prefix")
    diff = run_cli("deploy", "diff", "--base", base, "--json", repo=git_repo.path)
    assert diff.code == 0, diff.stderr
    assert [(o["key"], o["status"]) for o in json.loads(diff.stdout)["environments"]["live"]["objects"]] == [
        ("Deployment/jobs/live-shop-worker", "added"),
        ("Deployment/jobs/shop-worker", "removed"),
    ]


def test_kustomize_warnings_are_passed_on_once(git_repo, run_cli):
    build(git_repo, "resources:\n  - ../../base\ncommonLabels:\n  team: pay\n")

    plain = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)
    actions = run_cli(
        "deploy",
        "render",
        "--env",
        "live",
        repo=git_repo.path,
        env={"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "octo-org/octo-repo"},
    )

    assert plain.code == 0 and plain.stdout.encode() == kubectl_kustomize(git_repo.path / "overlays/live").stdout
    warning = (
        "'commonLabels' is deprecated. Please use 'labels' instead. Run 'kustomize edit fix' to update your "
        "Kustomization automatically."
    )
    assert plain.stderr.splitlines() == [f"leadforge: warning: overlays/live/kustomization.yaml: kustomize: {warning}"]
    assert actions.stderr.splitlines() == [f"::warning file=overlays/live/kustomization.yaml,title=kustomize (live)::{warning}"]
    assert actions.stdout == plain.stdout


def test_a_long_kustomize_error_names_the_repository_path_once(git_repo, run_cli):
    build(git_repo, "resources:\n  - ../../base\n", extra={"base/kustomization.yaml": SHOP_BASE + "  - gone.yaml\n"})

    result = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)

    assert result.code == 1
    line = result.stderr.strip()
    assert line == (
        "leadforge: error: overlays/live: kubectl kustomize failed: accumulating resources from '../../base' > "
        "'gone.yaml': base/gone.yaml: no such file or directory"
    )
    assert str(git_repo.path) not in line


# ---- where findings point --------------------------------------------------------------------------


SERVICE_AND_API = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0.0
          resources:
            limits:
              cpu: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-worker
spec:
  selector:
    matchLabels:
      app: api-worker
  template:
    metadata:
      labels:
        app: api-worker
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0.0
"""


def _findings(run_cli, repo, env="live"):
    result = run_cli("deploy", "validate", "--env", env, "--no-checkov", "--json", repo=repo)
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)["environments"][env]["findings"]


def _where(findings, rule, obj):
    return {(f["path"], f["line"]) for f in findings if f["rule"] == rule and f"/{obj}: " in f["message"]}


def test_findings_point_at_the_objects_own_document_not_at_a_name_in_the_kustomization(git_repo, run_cli):
    # The container's name ("api") also appears in the overlay's kustomization, in a replacement's
    # source and an inline patch's target; the overlay renames every object (namePrefix).
    overlay = (
        "resources:\n  - ../../base\n"
        "namePrefix: live-\n"
        "replacements:\n"
        "  - source:\n      kind: Deployment\n      name: api\n      fieldPath: metadata.name\n"
        "    targets:\n      - select:\n          kind: Deployment\n          name: api-worker\n"
        "        fieldPaths: [metadata.annotations.peer]\n        options: {create: true}\n"
        "patches:\n"
        + patch_entry("{kind: Deployment, name: api}", "      - op: add\n        path: /spec/replicas\n        value: 2\n")
    )
    build(git_repo, overlay, extra={"base/kustomization.yaml": "resources:\n  - apps.yaml\n", "base/apps.yaml": SERVICE_AND_API})
    text = SERVICE_AND_API.splitlines()

    findings = _findings(run_cli, git_repo.path)

    # each Deployment's container finding points at its own "- name: api" line in base/apps.yaml
    api = _where(findings, "deploy/resources", "live-api")
    worker = _where(findings, "deploy/resources", "live-api-worker")
    assert worker == {("base/apps.yaml", 35)}
    assert text[14].strip() == text[34].strip() == "- name: api"
    # a field the base sets is found in that object's document ("resources:" of the first one only)
    assert api == {("base/apps.yaml", 17)} and text[16].strip() == "resources:"
    assert _where(findings, "deploy/probes", "live-api") == {("base/apps.yaml", 15)}
    # the overlay's inline patch sets replicas on live-api: that is where replicas come from now
    assert _where(findings, "deploy/probes", "live-api-worker") == {("base/apps.yaml", 35)}


def test_an_object_whose_origin_record_a_patch_replaced_points_at_the_overlay_without_a_line(git_repo, run_cli):
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: once\nspec:\n  containers:\n    - name: once\n      image: busybox\n"
    overlay = "resources:\n  - ../../base\n  - pod.yaml\npatches:\n" + patch_entry(
        "{kind: Pod, name: once}", "      - op: add\n        path: /metadata/annotations\n        value: {a: b}\n"
    )
    build(git_repo, overlay, extra={"overlays/live/pod.yaml": pod})

    findings = _findings(run_cli, git_repo.path)

    # the patch replaced the Pod's annotations, kustomize's origin record with them: no line rather than a wrong one
    assert _where(findings, "deploy/image-tag", "once") == {("overlays/live/kustomization.yaml", 0)}
    # the base's Deployment still points at the base, at its container
    assert _where(findings, "deploy/resources", "shop-worker") == {("base/deployment.yaml", 18)}


@pytest.mark.parametrize(("namespace", "applied"), [("jobs", True), ("job.*", True), ("prod", False), ("elsewhere", False)])
def test_a_target_namespace_is_the_one_the_base_gave_when_the_overlay_moves_objects_later(git_repo, run_cli, namespace, applied):
    # the overlay moves everything to prod, but only after its patches ran: they see the base's namespace, jobs
    build(git_repo, "namespace: prod\n" + LIVE + patch_entry(f"{{kind: Deployment, name: worker, namespace: '{namespace}'}}"))
    assert (b"replicas: 3" in kubectl_kustomize(git_repo.path / "overlays/live").stdout) is applied

    result = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)

    assert result.code == (0 if applied else 1), result.stderr
    if not applied:
        assert f"target Deployment/worker namespace={namespace} matches no object" in result.stderr


def test_what_is_remembered_of_an_overlay_follows_its_transformer_files(git_repo, run_cli):
    from leadforge.deploy.commands import _target_facts

    # a transformers: prefix goes on after the patches: the check undoes it, so it must know the current one
    config = (
        "apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: p\n"
        "prefix: {prefix}\nfieldSpecs:\n  - path: metadata/name\n"
    )
    overlay = LIVE.replace("patches:\n", "transformers:\n  - prefix.yaml\npatches:\n") + patch_entry(
        "{kind: Deployment, name: shop-worker-v2}"
    )
    for prefix in ("a-", "b-"):
        build(git_repo, overlay, extra={"overlays/live/prefix.yaml": config.format(prefix=prefix)})
        folder = git_repo.path / "overlays/live"
        for _ in range(2):  # read, then remembered
            facts = _target_facts(folder, folder / "kustomization.yaml")
            assert facts is not None
            wanted, effects = facts
            assert effects.name_prefixes == (prefix,) and [t.target["name"] for t in wanted] == ["shop-worker-v2"]
        direct = kubectl_kustomize(folder)
        assert f"name: {prefix}shop-worker-v2".encode() in direct.stdout and b"replicas: 3" in direct.stdout

        result = run_cli("deploy", "render", "--env", "live", repo=git_repo.path)

        assert result.code == 0, result.stderr
        assert result.stdout.encode() == direct.stdout
