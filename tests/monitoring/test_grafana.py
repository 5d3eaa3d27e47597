"""monitoring/grafana/leadforge.json: a well-formed dashboard whose every query selects metrics /metrics exports."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.monitoring.conftest import MONITORING
from tests.monitoring.promql import LABEL_VALUES, grafana_to_promql, metric_names

DASHBOARD = json.loads((MONITORING / "grafana/leadforge.json").read_text())


def panels(items: list[dict] | None = None) -> Iterator[dict]:
    for panel in DASHBOARD["panels"] if items is None else items:
        yield panel
        yield from panels(panel.get("panels", []))


def queries() -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    for panel in panels():
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r} {target['refId']}", grafana_to_promql(target["expr"])
    for variable in DASHBOARD["templating"]["list"]:
        if variable["type"] == "query":
            found = LABEL_VALUES.match(variable["query"]["query"])
            assert found, variable["name"]
            yield f"variable {variable['name']}", found.group("query")


def test_the_dashboard_is_importable_grafana_json():
    assert DASHBOARD["uid"] == "leadforge" and DASHBOARD["title"] == "LeadForge"
    ids = [p["id"] for p in panels()]
    assert len(ids) == len(set(ids))
    assert [i["name"] for i in DASHBOARD["__inputs"]] == ["DS_PROMETHEUS"]
    for panel in panels():
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
            assert panel["targets"] and panel["description"], panel["title"]
            assert {"h", "w", "x", "y"} <= set(panel["gridPos"]) and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24


def test_the_dashboard_shows_what_the_issue_asks_for():
    titles = {p["title"] for p in panels()}
    assert {
        "Tasks by state",
        "Completed per day",
        "Lead time p50 / p90 (all completed tasks)",
        "Blocked tasks",
        "Stale tasks",
        "Stale in-progress tasks",
    } <= titles
    selected = set().union(*(metric_names(q) for _, q in queries()))
    assert {
        "leadforge_tasks",
        "leadforge_agent_tasks_completed_total",
        "leadforge_task_lead_time_seconds_bucket",
        "leadforge_tasks_blocked",
        "leadforge_tasks_stale",
    } <= selected


def test_every_query_parses_as_promql():
    for where, query in queries():
        try:
            assert metric_names(query), where
        except ValueError as err:
            pytest.fail(f"{where}: {err}: {query}")


@pytest.mark.integration
def test_every_metric_the_dashboard_selects_is_exported_by_serve(exported):
    for where, query in queries():
        missing = metric_names(query) - exported
        assert not missing, f"{where} selects {sorted(missing)}, which /metrics does not export"


def test_a_misspelt_metric_would_be_caught():
    assert metric_names(grafana_to_promql('rate(leadforge_agent_tasks_complete_total{agent=~"$agent"}[$__rate_interval])')) == {
        "leadforge_agent_tasks_complete_total"
    }
