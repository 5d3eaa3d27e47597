"""The stations' AutoscalingRunnerSets against actions-runner-controller's published CRD (tests/fixtures/arc)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from leadforge.deploy.manifests import parse_objects
from leadforge.deploy.settings import StationSettings
from leadforge.deploy.stations import plan_stations
from tests.conftest import ROOT

CRD_FILE = ROOT / "tests/fixtures/arc/actions.github.com_autoscalingrunnersets.yaml"


def crd() -> Mapping[str, Any]:
    return yaml.load(CRD_FILE.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


SCHEMA = next(v for v in crd()["spec"]["versions"] if v["name"] == "v1alpha1")["schema"]["openAPIV3Schema"]


def unknown_fields(value: Any, schema: Mapping[str, Any], path: str = "") -> Iterator[str]:
    """Fields the schema does not declare: what the API server refuses with fieldValidation=Strict."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        properties, extra = schema.get("properties"), schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None:
                if key in properties:
                    yield from unknown_fields(item, properties[key], f"{path}.{key}")
                else:
                    yield f"{path}.{key}"
            elif isinstance(extra, dict):
                yield from unknown_fields(item, extra, f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from unknown_fields(item, schema["items"], f"{path}[{index}]")


def problems(obj: Mapping[str, Any]) -> list[str]:
    errors = [f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in Draft202012Validator(SCHEMA).iter_errors(obj)]
    errors += [f"{field}: unknown field" for field in unknown_fields(obj, SCHEMA)]
    # the controller's required fields (the schema marks them "Required" in their description only)
    errors += [f"spec.{key}: required" for key in ("githubConfigUrl", "githubConfigSecret") if not obj.get("spec", {}).get(key)]
    return errors


def shipped() -> list[tuple[Path, dict[str, Any]]]:
    paths = sorted((ROOT / "k8s/stations").glob("*/runner.yaml"))
    return [(path, obj) for path in paths for obj in parse_objects(path.read_text())]


def test_the_fixture_is_arcs_autoscalingrunnerset_crd():
    definition = crd()
    assert definition["kind"] == "CustomResourceDefinition"
    assert definition["metadata"]["name"] == "autoscalingrunnersets.actions.github.com"
    assert definition["spec"]["names"]["kind"] == "AutoscalingRunnerSet"
    assert (CRD_FILE.parent / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert {"maxRunners", "minRunners", "template", "githubConfigUrl"} <= set(SCHEMA["properties"]["spec"]["properties"])


def test_every_shipped_station_is_a_valid_autoscalingrunnerset():
    found = shipped()
    assert [obj["kind"] for _, obj in found] == ["AutoscalingRunnerSet"] * len(found) and len(found) == 3
    for path, obj in found:
        assert obj["apiVersion"] == "actions.github.com/v1alpha1"
        assert problems(obj) == [], path


def test_a_generated_station_is_valid_for_any_capacity_and_options():
    profile = {"name": "x", "capacity": 0, "station": {"image": "ghcr.io/actions/actions-runner:2.321.0", "env": {"A": "1"}}}
    settings = StationSettings(defaults={"storage_class": "gp3"}, arc={"runner_group": "agents"})
    plan = plan_stations([("profiles/x.yml", profile)], settings, github_url="https://github.com/octo")
    (runner,) = parse_objects(plan.files["x/runner.yaml"])
    assert problems(runner) == []
    assert (runner["spec"]["maxRunners"], runner["spec"]["runnerGroup"]) == (0, "agents")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: o["spec"].update(maxRunners=-1), "spec.maxRunners: -1 is less than the minimum of 0"),
        (lambda o: o["spec"].update(maxRunner=2), ".spec.maxRunner: unknown field"),
        (lambda o: o["spec"]["template"]["spec"]["containers"][0].pop("name"), "'name' is a required property"),
        (lambda o: o["spec"]["template"]["spec"]["containers"][0].update(imagePullPolicy=3), "3 is not of type 'string'"),
        (lambda o: o["spec"].pop("githubConfigSecret"), "spec.githubConfigSecret: required"),
    ],
)
def test_the_check_catches_what_the_api_server_would_refuse(change, expected):
    _, obj = shipped()[0]
    broken = copy.deepcopy(obj)
    change(broken)
    assert any(expected in problem for problem in problems(broken)), problems(broken)
