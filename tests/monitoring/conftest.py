"""What `leadforge serve` really exports, scraped from a running server on the generated queue."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.serve.conftest import Server, isolated_env, start
from tests.serve.queue import make_remote

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
INSTALL = "(Debian: apt-get install prometheus; ./setup.sh does)"
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason=f"promtool is not installed {INSTALL}")
needs_prometheus = pytest.mark.skipif(PROMETHEUS is None, reason=f"prometheus is not installed {INSTALL}")


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    pytest.importorskip("uvicorn", reason="the serve extra is not installed (pip install 'leadforge[serve]')")
    base = tmp_path_factory.mktemp("monitoring")
    (base / "home").mkdir()
    make_remote(base, isolated_env(base / "home"))
    server = start(base)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def exported(serving: Server) -> set[str]:
    """Every series name /metrics exports (family names and their samples': _total, _bucket, _sum, _count, _info)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(serving.get("/metrics").text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names
