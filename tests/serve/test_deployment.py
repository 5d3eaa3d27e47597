"""The command line the Kubernetes base deploys runs, and its probes and scrape path answer as the kubelet expects."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from leadforge.deploy.manifests import parse_objects
from tests.conftest import ROOT
from tests.serve.conftest import Server, isolated_env, needs_serve_extra

pytestmark = [
    pytest.mark.integration,
    needs_serve_extra,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]


def rendered_base() -> list[dict]:
    done = subprocess.run(["kubectl", "kustomize", str(ROOT / "k8s/base")], capture_output=True, text=True, check=True)
    return parse_objects(done.stdout)


def test_the_deployed_command_line_serves_and_its_probes_answer(fresh_remote):
    base, _seed = fresh_remote
    objects = rendered_base()
    deployment = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "leadforge-web")
    config = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("leadforge-web-config"))
    pod = deployment["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert container["image"] == "ghcr.io/leadforge/leadforge:0.1.0"
    # the kubelet expands $(VAR) from the container's environment (the ConfigMap here)
    args = [re.sub(r"\$\((\w+)\)", lambda m: config["data"][m.group(1)], arg) for arg in container["args"]]
    assert args[0] == "serve" and args[args.index("--port") + 1] == "8080" and args[args.index("--host") + 1] == "0.0.0.0"
    assert args[args.index("--clone") + 1] == "https://github.com/leadforge/leadforge.git"
    # the same command, on loopback, cloning the generated queue, with the secret files where the projected volume puts them
    local = {
        "--host": "127.0.0.1",
        "--port": "0",
        "--repo": str(base / "served"),
        "--clone": (base / "remote.git").as_uri(),
        "--webhook-secret-file": str(base / "secrets/webhook-secret"),
        "--git-token-file": str(base / "secrets/git-token"),
    }
    for option, value in local.items():
        args[args.index(option) + 1] = value
    server = Server(args[1:], isolated_env(base / "home"), base)
    try:
        ready, alive = container["readinessProbe"]["httpGet"]["path"], container["livenessProbe"]["httpGet"]["path"]
        assert server.get(alive).status_code == 200
        server.wait_for(lambda: server.get(ready).status_code == 200, "readiness")
        notes = pod["metadata"]["annotations"]
        assert notes["prometheus.io/scrape"] == "true" and notes["prometheus.io/port"] == "8080"
        assert "leadforge_tasks{" in server.get(notes["prometheus.io/path"]).text
        assert "webhooks off (no secret in " in server.log  # the optional Secret is absent: refused, not a crash
    finally:
        assert server.stop() == 0
