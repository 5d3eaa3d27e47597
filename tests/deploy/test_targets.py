"""Patch targets selected the way kustomize selects them: plain objects in, matches out."""

from __future__ import annotations

import pytest

from leadforge.deploy.targets import (
    NOT_NAMESPACED,
    OverlayEffects,
    PatchTarget,
    SelectorError,
    dead_targets,
    identity,
    overlay_effects,
    parse_selector,
    patch_targets,
    selects,
)


def obj(
    kind: str,
    name: str,
    *,
    api: str = "apps/v1",
    namespace: str = "",
    labels: dict | None = None,
    annotations: dict | None = None,
) -> dict:
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": api, "kind": kind, "metadata": meta}


WORKER = obj(
    "Deployment", "shop-worker-v2", namespace="shop", labels={"tier": "back", "team": "pay"}, annotations={"owner": "ops"}
)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"kind": "Deployment"}, True),
        ({"kind": "Deploy.*"}, True),  # kinds are anchored regular expressions
        ({"kind": "ploy"}, False),  # ... anchored: a part of the kind is not a match
        ({"group": "apps", "version": "v1", "kind": "Deployment"}, True),
        ({"group": "batch"}, False),
        ({"version": "v1beta1"}, False),
        ({"name": "shop-worker-v2"}, True),
        ({"name": "shop-worker-.*"}, True),
        ({"name": "worker"}, False),
        ({"namespace": "shop"}, True),
        ({"namespace": "default"}, False),
        ({"labelSelector": "tier=back"}, True),
        ({"labelSelector": "tier=back,team in (pay, ship)"}, True),
        ({"labelSelector": "tier!=back"}, False),
        ({"labelSelector": "!legacy"}, True),
        ({"labelSelector": "legacy"}, False),
        ({"labelSelector": "team notin (pay)"}, False),
        ({"annotationSelector": "owner=ops"}, True),
        ({"annotationSelector": "owner=dev"}, False),
        ({"kind": "Deployment", "labelSelector": "tier=front"}, False),  # every condition must hold
    ],
)
def test_selectors_match_like_kustomize(target: dict, expected: bool) -> None:
    assert selects(target, identity(WORKER)) is expected


def test_an_object_without_namespace_is_in_default_and_a_cluster_scoped_one_in_none() -> None:
    assert selects({"namespace": "default"}, identity(obj("Deployment", "web")))
    assert not selects({"namespace": "default"}, identity(obj("Namespace", "shop", api="v1")))
    assert selects({"namespace": NOT_NAMESPACED}, identity(obj("ClusterRole", "reader", api="rbac.authorization.k8s.io/v1")))


def test_the_original_name_matches_as_well_as_the_current_one() -> None:
    # a base added "shop-" and a component "-v2": the overlay's patch may name the object as written
    current = identity(WORKER, original=obj("Deployment", "worker"), original_kind="Deployment", original_name="worker")
    assert selects({"kind": "Deployment", "name": "worker"}, current)
    assert selects({"kind": "Deployment", "name": "shop-worker-v2"}, current)
    assert not selects({"kind": "Deployment", "name": "shop-worker"}, current)  # a name it never had


def test_the_original_labels_and_namespace_match_too() -> None:
    written = obj("Deployment", "worker", namespace="jobs", labels={"legacy": "yes"})
    current = identity(WORKER, original=written, original_name="worker", original_namespace="jobs")
    assert selects({"namespace": "jobs"}, current)
    assert selects({"labelSelector": "legacy=yes"}, current)


def test_the_overlays_own_prefix_suffix_and_the_generator_hash_are_undone() -> None:
    effects = overlay_effects({"namePrefix": "prod-", "nameSuffix": "-eu"})
    assert selects({"name": "web"}, identity(obj("Deployment", "prod-web-eu"), effects))
    config = obj("ConfigMap", "prod-settings-eu-5t8m2k9h4b", api="v1")
    assert selects({"kind": "ConfigMap", "name": "settings"}, identity(config, effects))
    assert not selects({"name": "web"}, identity(obj("Deployment", "prod-web-eu")))  # without the overlay's effects


def test_transformer_configs_are_read_for_renames_and_unknown_plugins_make_names_unjudged() -> None:
    renames = overlay_effects({}, [{"apiVersion": "builtin", "kind": "PrefixSuffixTransformer", "prefix": "p-", "suffix": "-s"}])
    assert (renames.name_prefixes, renames.name_suffixes, renames.may_rename) == (("p-",), ("-s",), False)
    moves = overlay_effects({}, [{"kind": "NamespaceTransformer", "metadata": {"namespace": "x"}}])
    assert moves.changes_namespace and not moves.may_rename
    unknown = overlay_effects({}, [{"apiVersion": "example.com/v1", "kind": "Renamer"}, None])
    assert unknown.may_rename
    assert selects({"name": "anything"}, identity(obj("Deployment", "web"), unknown))
    assert not selects({"kind": "Service"}, identity(obj("Deployment", "web"), unknown))  # kinds are still judged


def test_an_overlay_that_moves_namespaces_leaves_the_patch_time_namespace_unjudged() -> None:
    effects = overlay_effects({"namespace": "prod"})
    moved = obj("Deployment", "web", namespace="prod")
    assert selects({"namespace": "staging"}, identity(moved, effects))  # the base may have put it there
    assert not selects({"namespace": "staging"}, identity(moved, OverlayEffects()))


@pytest.mark.parametrize("bad", ["a in (b", "==x", "a b c"])
def test_an_unreadable_label_selector_is_an_error_not_a_guess(bad: str) -> None:
    with pytest.raises(SelectorError):
        parse_selector(bad)


def test_dead_targets_skip_unreadable_selectors_and_describe_the_rest() -> None:
    kustomization = {
        "patches": [
            {"path": "a.yaml", "target": {"kind": "Deployment", "name": "["}},  # not a regular expression: not judged
            {"patch": "[]", "target": {"kind": "Deployment", "namespace": "other", "labelSelector": "tier=back"}},
            {"path": "smp.yaml"},
        ]
    }
    found = dead_targets(patch_targets(kustomization), [identity(WORKER)])
    assert [t.describe() for t in found] == [
        "patches[1]: target Deployment namespace=other labelSelector 'tier=back' matches no object"
    ]
    assert PatchTarget(0, "p.yaml", {"kind": "Service", "name": "web"}).describe() == (
        "patches[0] (p.yaml): target Service/web matches no object"
    )


def test_the_namespace_at_patch_time_follows_the_layers_below_the_overlay() -> None:
    from leadforge.deploy.targets import Layer, layer_of, namespaces_at_patch_time

    base = layer_of({"namespace": "jobs"})
    fills = layer_of({}, [{"kind": "NamespaceTransformer", "metadata": {"namespace": "team"}, "unsetOnly": True}])
    plugin = layer_of({}, [{"apiVersion": "example.com/v1", "kind": "Mover"}])
    assert namespaces_at_patch_time("Deployment", "", [[base]]) == {"jobs"}
    assert namespaces_at_patch_time("Deployment", "", [[]]) == {"default"}  # written without one, nothing moved it
    assert namespaces_at_patch_time("Deployment", "", [[fills, base]]) == {"jobs"}  # unsetOnly keeps jobs
    assert namespaces_at_patch_time("Deployment", "", [[fills]]) == {"team"}
    assert namespaces_at_patch_time("Deployment", "own", [[base], []]) == {"jobs", "own"}  # two paths to one file
    assert namespaces_at_patch_time("Deployment", "", [[base]], [Layer("comp")]) == {"comp"}  # components run last
    assert namespaces_at_patch_time("ClusterRole", "", [[base]]) == {NOT_NAMESPACED}
    assert namespaces_at_patch_time("Deployment", "", [[plugin, base]]) is None  # cannot be known: not judged


def test_a_renders_ids_are_read_from_its_lines_the_way_a_yaml_parser_reads_them() -> None:
    from leadforge.deploy.manifests import parse_objects, scan_ids

    render = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    name: not-this\n  name: cfg-5t8m2k9h4b\n"
        "  namespace: shop\ndata:\n  name: nor-this\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        "  name: '123'\nspec:\n  template:\n    metadata:\n      name: inner\n---\n"
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: "reader"\n'
    )
    ids = scan_ids(render)
    assert ids == [
        {
            "apiVersion": o["apiVersion"],
            "kind": o["kind"],
            "metadata": {k: str(v) for k, v in o["metadata"].items() if k in ("name", "namespace")},
        }
        for o in parse_objects(render)
    ]
    assert [i["metadata"]["name"] for i in ids] == ["cfg-5t8m2k9h4b", "123", "reader"]
    # anything outside kustomize's block layout is left to the YAML parser
    assert scan_ids("kind: ConfigMap\nmetadata: {name: x}\n") is None
    assert scan_ids('kind: ConfigMap\nmetadata:\n  name: "a\\\\tb"\n') is None
    assert scan_ids("kind: ConfigMap\nmetadata:\n  name: &anchor x\n") is None
    assert scan_ids("kind: ConfigMap\nmetadata:\n  namespace: x\n") is None  # no name: not an object we can read
