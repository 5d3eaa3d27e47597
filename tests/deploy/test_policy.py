"""Policy rules and checkov/schema parsing: plain objects in, findings out."""

from __future__ import annotations

import copy
import json
import posixpath
from typing import Any

import pytest

from leadforge.deploy.manifests import ObjectKey, parse_objects
from leadforge.deploy.policy import PolicyOptions, check_policy, checkov_resource_key, image_tag
from leadforge.deploy.targets import dead_targets, identity, overlay_effects, patch_targets
from leadforge.deploy.tracing import Origin, Overlay, Patch, Subject, locate, origins_from_traced
from leadforge.deploy.validate import parse_checkov, schema_findings

GOOD_CONTAINER: dict[str, Any] = {
    "name": "web",
    "image": "ghcr.io/acme/web:1.2.3",
    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}},
    "readinessProbe": {"httpGet": {"path": "/", "port": 8080}},
    "livenessProbe": {"httpGet": {"path": "/", "port": 8080}},
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
    },
}


def deployment(replicas: int = 3, **container_changes: Any) -> dict:
    box = copy.deepcopy(GOOD_CONTAINER)
    for key, value in container_changes.items():
        if value is None:
            box.pop(key, None)
        else:
            box[key] = value
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [box]}},
        },
    }


PDB: dict[str, Any] = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
}
PROD = PolicyOptions(env="prod", production=True, min_replicas=2)
DEV = PolicyOptions(env="dev", latest_allowed=True)


def rules(findings):
    return sorted((f.rule, f.severity) for f in findings)


def test_a_hardened_deployment_with_a_pdb_passes_in_prod():
    assert check_policy([deployment(), PDB], PROD) == []


def test_privileged_container_is_an_error():
    sc = {**GOOD_CONTAINER["securityContext"], "privileged": True}
    findings = check_policy([deployment(securityContext=sc), PDB], PROD)
    assert rules(findings) == [("deploy/privileged", "error")]
    assert "container 'web' is privileged" in findings[0].message
    assert findings[0].message.startswith("prod: Deployment/shop/web:")


def test_latest_is_an_error_in_prod_and_a_warning_in_dev():
    assert rules(check_policy([deployment(image="ghcr.io/acme/web:latest"), PDB], PROD)) == [("deploy/image-tag", "error")]
    assert rules(check_policy([deployment(image="ghcr.io/acme/web")], DEV)) == [("deploy/image-tag", "warning")]
    assert check_policy([deployment(image="ghcr.io/acme/web@sha256:" + "a" * 64), PDB], PROD) == []


def test_missing_limits_are_reported_by_name():
    findings = check_policy([deployment(resources={"requests": {"cpu": "1", "memory": "1Gi"}}), PDB], PROD)
    assert rules(findings) == [("deploy/resources", "error")]
    assert "limits.cpu, limits.memory" in findings[0].message


def test_root_writable_and_escalating_containers():
    sc = {"runAsUser": 0, "allowPrivilegeEscalation": True}
    findings = check_policy([deployment(securityContext=sc), PDB], PROD)
    assert rules(findings) == [("deploy/non-root", "error"), ("deploy/privileged", "error"), ("deploy/read-only-root", "error")]


def test_probes_are_required_on_long_running_workloads_only():
    assert rules(check_policy([deployment(livenessProbe=None), PDB], PROD)) == [("deploy/probes", "error")]
    job = {
        "kind": "Job",
        "metadata": {"name": "once"},
        "spec": {"template": {"spec": {"containers": [dict(GOOD_CONTAINER, readinessProbe=None, livenessProbe=None)]}}},
    }
    assert check_policy([job], PROD) == []


def test_production_needs_replicas_and_a_matching_pdb():
    findings = check_policy([deployment(replicas=1)], PROD)
    assert rules(findings) == [("deploy/pdb", "error"), ("deploy/replicas", "error")]
    other = copy.deepcopy(PDB)
    other["spec"]["selector"]["matchLabels"] = {"app": "other"}
    assert rules(check_policy([deployment(), other], PROD)) == [("deploy/pdb", "error")]
    assert check_policy([deployment(replicas=1)], DEV) == []


def test_hpa_min_replicas_counts_in_production():
    hpa = {
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1},
    }
    findings = check_policy([deployment(), PDB, hpa], PROD)
    assert [(f.rule, f.message) for f in findings] == [
        ("deploy/replicas", "prod: HorizontalPodAutoscaler/shop/web: minReplicas is 1; production needs >= 2")
    ]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", ("nginx", "", "")),
        ("nginx:1.27", ("nginx", "1.27", "")),
        ("registry:5000/team/app", ("registry:5000/team/app", "", "")),
        ("registry:5000/team/app:v1@sha256:abc", ("registry:5000/team/app", "v1", "sha256:abc")),
    ],
)
def test_image_references_are_split(image, expected):
    assert image_tag(image) == expected


TRACED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    config.kubernetes.io/origin: |
      path: ../../base/deployment.yaml
  name: web
  namespace: shop
"""
BASE_DEPLOYMENT = "kind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template: {}\n"


def test_traced_render_maps_objects_to_repository_files():
    def to_repo(path: str) -> str:
        return posixpath.normpath("k8s/overlays/prod/" + path)

    origins = origins_from_traced(parse_objects(TRACED), to_repo, {"k8s/base/deployment.yaml": BASE_DEPLOYMENT})
    assert origins == {
        ObjectKey("Deployment", "shop", "web"): Origin("k8s/base/deployment.yaml", 3, "", ObjectKey("Deployment", "", "web"), 0)
    }


def test_locate_prefers_the_overlay_patch_that_sets_the_field():
    key = ObjectKey("Deployment", "shop", "web")
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "web", "image": "ghcr.io/acme/web:latest"}]}}},
    }
    origin = Origin("k8s/base/deployment.yaml", 3, "", ObjectKey("Deployment", "", "web"), 0)
    overlay = Overlay(
        "k8s/overlays/prod/kustomization.yaml",
        "images:\n  - name: ghcr.io/acme/web\n    newTag: latest\n",
        (Patch("k8s/overlays/prod/patch.yaml", "kind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n"),),
    )
    texts = {"k8s/base/deployment.yaml": BASE_DEPLOYMENT}
    image = Subject(key, ("spec", "template", "spec", "containers", 0, "image"), 5, image="ghcr.io/acme/web:latest")
    assert locate(Subject(key, ("spec", "replicas"), 1), obj, origin, overlay, texts) == ("k8s/overlays/prod/patch.yaml", 5)
    assert locate(image, obj, origin, overlay, texts) == ("k8s/overlays/prod/kustomization.yaml", 3)  # its newTag
    assert locate(Subject(key, ("spec", "template"), 1), obj, origin, overlay, texts) == ("k8s/base/deployment.yaml", 6)


def test_checkov_resource_names_map_back_to_rendered_objects():
    known = [ObjectKey("Deployment", "shop", "web"), ObjectKey("Namespace", "", "shop")]
    assert checkov_resource_key("Deployment.shop.web", known) == known[0]
    assert checkov_resource_key("Namespace.default.shop", known) == known[1]
    assert checkov_resource_key("Pod.shop.web.app-web", known) == known[0]
    assert checkov_resource_key("garbage", known) is None


def test_checkov_json_becomes_findings():
    report = {
        "check_type": "kubernetes",
        "results": {
            "failed_checks": [
                {
                    "check_id": "CKV_K8S_16",
                    "check_name": "Container should not be privileged",
                    "resource": "Deployment.shop.web",
                    "guideline": None,
                }
            ]
        },
    }
    findings = parse_checkov(json.dumps([report]), "prod", [ObjectKey("Deployment", "shop", "web")])
    assert [(f.tool, f.rule, f.severity, f.message) for f in findings] == [
        ("checkov", "CKV_K8S_16", "error", "prod: Deployment/shop/web: Container should not be privileged")
    ]
    assert parse_checkov("", "prod", []) == []


def test_schema_validation_reports_the_bad_field():
    bad = deployment()
    bad["spec"]["replicas"] = "three"
    findings = schema_findings([bad, PDB], "prod", "1.31")
    assert [(f.tool, f.rule) for f in findings] == [("kubernetes-validate", "schema")]
    assert "spec.replicas" in findings[0].message and "1.31" in findings[0].message


def test_dead_patch_targets_are_named():
    objects = [deployment(), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg-5t8m2k9h4b"}}]
    kustomization = {
        "patches": [
            {"path": "a.yaml", "target": {"kind": "Deployment", "name": "web"}},
            {"path": "b.yaml", "target": {"kind": "Deployment", "name": "api"}},
            {"patch": "[]", "target": {"kind": "ConfigMap", "name": "cfg"}},
            {"patch": "[]", "target": {"kind": "Service"}},
            {"patch": "[]", "target": {"labelSelector": "app=none"}},
            {"path": "smp.yaml"},
        ]
    }

    def dead(k, objs):
        effects = overlay_effects(k)
        return [t.describe() for t in dead_targets(patch_targets(k), [identity(o, effects) for o in objs])]

    assert dead(kustomization, objects) == [
        "patches[1] (b.yaml): target Deployment/api matches no object",
        "patches[3]: target Service matches no object",
        "patches[4]: target (any) labelSelector 'app=none' matches no object",  # label selectors are judged too
    ]
    # the overlay's own namePrefix goes on after its patches ran: "web" still names x-web, "api" nothing
    prefixed = copy.deepcopy(objects)
    for obj in prefixed:
        obj["metadata"]["name"] = "x-" + obj["metadata"]["name"]
    assert dead({**kustomization, "namePrefix": "x-"}, prefixed) == dead(kustomization, objects)
