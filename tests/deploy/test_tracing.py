"""Tracing objects to files and lines from kustomize's origin annotations (pure, on texts), and the kustomize
adapter's message handling."""

from __future__ import annotations

from leadforge.deploy.kustomize import condense, tool_message, tool_warnings
from leadforge.deploy.manifests import ObjectKey, parse_objects
from leadforge.deploy.tracing import (
    Origin,
    Overlay,
    Subject,
    Trace,
    find_document,
    origin_paths,
    origins_from_traced,
    read_overlay,
    relative_to_repo,
)

TWO_DEPLOYMENTS = """\
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: a:1
---
kind: Deployment
metadata:
  name: web-canary
spec:
  template:
    spec:
      containers:
        - name: app
          image: a:1
          securityContext:
            privileged: true
"""


def to_repo(path: str) -> str | None:
    return relative_to_repo("/repo/k8s/overlays/live", "/repo")(path)


def test_origin_paths_are_repository_paths_and_outside_ones_are_unknown() -> None:
    assert to_repo("../../base/app.yaml") == "k8s/base/app.yaml"
    assert to_repo("kustomization.yaml") == "k8s/overlays/live/kustomization.yaml"
    assert to_repo("../../../../elsewhere/x.yaml") is None


def test_the_objects_own_document_is_found_by_kind_and_written_name() -> None:
    assert find_document(TWO_DEPLOYMENTS, ObjectKey("Deployment", "ns", "live-web-canary")) == 1
    assert find_document(TWO_DEPLOYMENTS, ObjectKey("Deployment", "ns", "live-web")) == 0  # longest written name inside
    assert find_document(TWO_DEPLOYMENTS, ObjectKey("Service", "ns", "web")) == -1
    assert find_document("kind: Service\nmetadata:\n  name: a\n", ObjectKey("Service", "", "renamed")) == 0  # the only one


def _traced(name: str, origin: str, kind: str = "Deployment") -> str:
    block = "\n".join("      " + line for line in origin.splitlines())
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n{block}\n"
        f"  name: {name}\n  namespace: ns\n"
    )


def test_resource_generated_remote_and_patched_origins() -> None:
    kustomization = (
        "configMapGenerator:\n  - name: settings\n    literals: [A=1]\n  - name: settings-extra\n    literals: [B=2]\n"
    )
    texts = {"k8s/base/apps.yaml": TWO_DEPLOYMENTS, "k8s/overlays/live/kustomization.yaml": kustomization}
    traced = parse_objects(
        "---\n".join(
            [
                _traced("live-web-canary", "path: ../../base/apps.yaml"),
                _traced(
                    "settings-extra-5t8m2k9h4b",
                    "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator",
                    "ConfigMap",
                ),
                _traced("remote", "path: deploy/app.yaml\nrepo: https://example.com/acme/base\nref: v1"),
                _traced(
                    "patched", "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: PatchTransformer"
                ),
            ]
        )
    )

    assert origin_paths(traced, to_repo) == ["k8s/base/apps.yaml", "k8s/overlays/live/kustomization.yaml"]
    origins = origins_from_traced(traced, to_repo, texts)

    assert origins[ObjectKey("Deployment", "ns", "live-web-canary")] == Origin(
        "k8s/base/apps.yaml", 13, "", ObjectKey("Deployment", "", "web-canary"), 1
    )
    assert origins[ObjectKey("ConfigMap", "ns", "settings-extra-5t8m2k9h4b")] == Origin(
        "k8s/overlays/live/kustomization.yaml", 4, "ConfigMapGenerator", ObjectKey("ConfigMap", "", "settings-extra")
    )
    assert origins[ObjectKey("Deployment", "ns", "remote")] == Origin()  # a remote base: nothing here to point at
    assert origins[ObjectKey("Deployment", "ns", "patched")] == Origin()  # a patch replaced the record


CANARY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "live-web-canary", "namespace": "ns"},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {"name": "app", "image": "a:1", "securityContext": {"privileged": True}},
                    {"name": "proxy", "image": "p:latest"},
                ]
            }
        }
    },
}
CANARY_KEY = ObjectKey("Deployment", "ns", "live-web-canary")
PODSPEC = ("spec", "template", "spec", "containers")


def _subject(container: str, *fields: str, image: str = "") -> Subject:
    from leadforge.deploy.tracing import Sel

    return Subject(CANARY_KEY, (*PODSPEC, Sel("name", container), *fields), len(PODSPEC) + 1, image)


def _trace(kustomization: str, patches: dict[str, str] | None = None) -> Trace:
    from leadforge.deploy.targets import overlay_effects

    overlay = read_overlay(
        "k8s/overlays/live/kustomization.yaml", kustomization, patches or {}, overlay_effects({"namePrefix": "live-"})
    )
    origin = Origin("k8s/base/apps.yaml", 13, "", ObjectKey("Deployment", "", "web-canary"), 1)
    return Trace(overlay, {CANARY_KEY: origin}, {"k8s/base/apps.yaml": TWO_DEPLOYMENTS})


def test_a_field_is_found_in_the_objects_document_and_a_name_in_the_kustomization_does_not_count() -> None:
    # "app" and "web-canary" appear in the kustomization (a replacement's source), which sets nothing of them
    trace = _trace(
        "namePrefix: live-\nreplacements:\n  - source:\n      kind: Deployment\n      name: web-canary\n"
        "      fieldPath: spec.template.spec.containers.[name=app].image\n"
    )
    assert trace.blame(_subject("app", "securityContext", "privileged"), CANARY) == ("k8s/base/apps.yaml", 21)
    assert trace.blame(_subject("app", "resources"), CANARY) == ("k8s/base/apps.yaml", 18)  # the container
    assert trace.blame(Subject(CANARY_KEY), CANARY) == ("k8s/base/apps.yaml", 13)  # the object's name


def test_an_inline_patch_that_adds_a_container_is_blamed_on_its_line_in_the_kustomization() -> None:
    kustomization = (
        "namePrefix: live-\n"
        "patches:\n"
        "  - target: {kind: Deployment, name: web-canary}\n"
        "    patch: |-\n"
        "      - op: add\n"
        "        path: /spec/template/spec/containers/-\n"
        "        value: {name: proxy, image: p:latest}\n"
        "  - target: {kind: Deployment, name: web}\n"  # not this object: the prefix-free name of the other one
        "    patch: |-\n"
        "      - op: add\n"
        "        path: /spec/template/spec/containers/1/resources\n"
        "        value: {}\n"
    )
    trace = _trace(kustomization)
    assert trace.blame(_subject("proxy", "resources"), CANARY) == ("k8s/overlays/live/kustomization.yaml", 6)
    assert trace.blame(_subject("proxy", "image", image="p:latest"), CANARY) == ("k8s/overlays/live/kustomization.yaml", 6)


def test_a_patch_file_that_sets_the_field_wins_over_the_base_and_images_win_over_both() -> None:
    patch = "- op: replace\n  path: /spec/template/spec/containers/0/securityContext/privileged\n  value: true\n"
    kustomization = (
        "namePrefix: live-\npatches:\n  - path: privileged.yaml\n    target:\n      name: web-canary\n"
        "images:\n  - name: a\n    newTag: latest\n"
    )
    trace = _trace(kustomization, {"k8s/overlays/live/privileged.yaml": patch})
    assert trace.blame(_subject("app", "securityContext", "privileged"), CANARY) == ("k8s/overlays/live/privileged.yaml", 2)
    assert trace.blame(_subject("app", "image", image="a:latest"), CANARY) == ("k8s/overlays/live/kustomization.yaml", 8)


def test_without_an_origin_a_finding_names_the_overlay_without_a_line() -> None:
    trace = Trace(Overlay("k8s/overlays/live/kustomization.yaml", "resources: [a.yaml]\n"))
    assert trace.blame(_subject("app", "securityContext", "privileged"), CANARY) == ("k8s/overlays/live/kustomization.yaml", 0)


def test_kustomize_errors_are_condensed_to_the_cause_with_repository_paths() -> None:
    root = "/tmp/leadforge-diff-abc"
    raw = (
        f"accumulating resources: accumulation err='accumulating resources from '../../base': '{root}/k8s/base' must "
        f"resolve to a file': recursed accumulation of path '{root}/k8s/base': accumulating resources: accumulation "
        f"err='accumulating resources from 'gone.yaml': evalsymlink failure on '{root}/k8s/base/gone.yaml' : lstat "
        f"{root}/k8s/base/gone.yaml: no such file or directory': must build at directory: not a valid directory: "
        f"evalsymlink failure on '{root}/k8s/base/gone.yaml' : lstat {root}/k8s/base/gone.yaml: no such file or directory"
    )
    assert condense(raw, {root: ""}) == (
        "accumulating resources from '../../base' > 'gone.yaml': k8s/base/gone.yaml: no such file or directory"
    )
    security = (
        f"accumulating resources: accumulation err='accumulating resources from '../../base/d.yaml': security; file "
        f"'{root}/k8s/base/d.yaml' is not in or below '{root}/k8s/overlays/prod'': must build at directory: "
        f"'{root}/k8s/base/d.yaml': file is not directory"
    )
    assert condense(security, {root: ""}) == (
        "accumulating resources from '../../base/d.yaml': security; file 'k8s/base/d.yaml' is not in or below 'k8s/overlays/prod'"
    )
    klog = f'E1203 14:16:30.37 31336 run.go:72] "command failed" err="{raw}"'
    assert tool_message(klog, {root: "src"}).endswith("'gone.yaml': src/k8s/base/gone.yaml: no such file or directory")


def test_warnings_are_read_once_each_without_their_prefix() -> None:
    stderr = (
        "# Warning: 'commonLabels' is deprecated.\n# Warning: 'commonLabels' is deprecated.\n"
        "W1203 14:16:30.373518   31336 warnings.go:70] something odd in /abs/k8s/x.yaml\n"
    )
    assert tool_warnings(stderr, {"/abs": ""}) == ("'commonLabels' is deprecated.", "something odd in k8s/x.yaml")
