"""The real scraper reading the real endpoint: Debian's prometheus scrapes `leadforge serve` on loopback."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from tests.monitoring.conftest import MONITORING, PROMETHEUS, needs_prometheus
from tests.serve.conftest import Server
from tests.serve.queue import tasks

pytestmark = [pytest.mark.integration, pytest.mark.slow, needs_prometheus]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def prometheus(serving: Server, tmp_path: Path) -> Iterator[str]:
    target = serving.url.removeprefix("http://")
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(MONITORING / "prometheus/rules.yml")],
        "scrape_configs": [{"job_name": "leadforge", "static_configs": [{"targets": [target]}]}],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def query(base: str, expr: str) -> list[dict]:
    response = requests.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10)
    response.raise_for_status()
    return response.json()["data"]["result"]


def test_prometheus_scrapes_leadforge_tasks_as_the_queue_holds_them(prometheus):
    deadline = time.monotonic() + 90
    found: list[dict] = []
    while time.monotonic() < deadline and not found:
        with contextlib.suppress(requests.ConnectionError):
            found = query(prometheus, "leadforge_tasks")
        time.sleep(0.5)
    assert found, "prometheus never scraped leadforge_tasks"

    scraped = {(r["metric"]["state"], r["metric"]["agent"], r["metric"]["priority"]): float(r["value"][1]) for r in found}
    expected: dict[tuple[str, str, str], float] = {}
    for task in tasks():
        key = (task.state, task.assigned_to or task.agent, task.priority)
        expected[key] = expected.get(key, 0) + 1
    assert scraped == expected
    assert {r["metric"]["job"] for r in found} == {"leadforge"}
    assert [float(r["value"][1]) for r in query(prometheus, 'up{job="leadforge"}')] == [1.0]
    assert float(query(prometheus, "leadforge_tasks_stale")[0]["value"][1]) == 1
    # the rules file loaded: every group and rule is known to the server
    rules = requests.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
    assert [g["name"] for g in rules] == ["leadforge"]
    assert {r["name"] for r in rules[0]["rules"]} >= {"LeadForgeTaskStale", "leadforge:queue_wait_seconds:max"}
