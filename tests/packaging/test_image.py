"""container/build.sh builds the image with buildah here (no daemon, no registry: the base comes from mmdebstrap),
and the image runs the CLI: --version, a dry-run dispatch of a sample queue, git over HTTPS; it is under 100 MB,
non-root, without a shell or pip, and its SBOMs list exactly the locked versions.

Slow: the first build makes the base and resolves the venv (minutes); later runs reuse buildah's layer cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadforge import __version__
from tests.conftest import ROOT, Repo

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IMAGE = "localhost/leadforge-test"
SIZE_TARGET = 100_000_000  # bytes, uncompressed (the sum of the image's layers)


STORAGE: dict[str, str] = {}  # the driver container/build.sh used (written into its image.json)


def buildah(*argv: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    driver = ["--storage-driver", STORAGE["driver"]] if STORAGE.get("driver") else []
    done = subprocess.run(["buildah", *driver, *argv], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"buildah {' '.join(argv)}: {done.stderr}")
    return done


@pytest.fixture(scope="module")
def built(uv: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if not shutil.which("buildah"):
        pytest.skip("buildah is not installed (setup.sh installs it where apt works)")
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "UV": uv, "IMAGE": IMAGE, "CONTAINER_TOOL": "buildah"}
    done = subprocess.run(
        [str(ROOT / "container" / "build.sh"), "--variant", "cli", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads((out / f"leadforge-{__version__}.image.json").read_text())
    STORAGE["driver"] = info["storage_driver"]
    return {"out": out, "info": info, "stdout": done.stdout, "stderr": done.stderr}


@pytest.fixture
def container(built: dict[str, Any]) -> Iterator[str]:
    name = buildah("from", "--quiet", str(built["info"]["reference"])).stdout.strip()
    try:
        yield name
    finally:
        buildah("rm", name, check=False)


def run_in(container: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return buildah("run", "--isolation", "chroot", container, "--", *argv, check=False, timeout=120)


def locked(uv: str, *extras: str) -> dict[str, str]:
    """name -> version of the locked runtime dependencies with ``extras`` (normalised names)."""
    argv = [uv, "export", "--quiet", "--locked", "--no-dev", "--no-emit-project", "--no-hashes", "--project", str(ROOT)]
    text = subprocess.run(
        [*argv, *(a for e in extras for a in ("--extra", e))], capture_output=True, text=True, check=True
    ).stdout
    pins = (re.match(r"^([A-Za-z0-9._-]+)==([^ ;]+)", line) for line in text.splitlines())
    return {normalise(m[1]): m[2] for m in pins if m}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sbom_components(path: Path) -> dict[str, str]:
    bom = json.loads(path.read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["metadata"]["component"]["name"] == "leadforge"
    assert bom["metadata"]["component"]["version"] == __version__
    return {normalise(c["name"]): c["version"] for c in bom["components"] if normalise(c["name"]) != "leadforge"}


def test_build_prints_the_reference_and_the_size_and_meets_the_target(built: dict[str, Any]) -> None:
    info = built["info"]
    assert info["reference"] == f"{IMAGE}:{__version__}"
    assert f"{IMAGE}:{__version__}  " in str(built["stdout"]) and " MB" in str(built["stdout"])
    assert 10_000_000 < info["size_bytes"] < SIZE_TARGET, info


def test_the_image_runs_the_cli_on_a_sample_queue(container: str, sample_queue: Repo, run_cli) -> None:
    version = run_in(container, "leadforge", "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"leadforge {__version__}", version.stderr
    buildah("copy", "--chown", "65532:65532", container, str(sample_queue.path), "/work/repo")
    dispatch = run_in(container, "leadforge", "--repo", "/work/repo", "task", "dispatch", "--dry-run", "--json")
    assert dispatch.returncode == 0, dispatch.stderr
    plan = json.loads(dispatch.stdout)
    assert plan["assigned"] == [{"task": "task-1", "agent": "claude", "branch": "ai/task-1-title-of-task-1"}]
    assert plan == json.loads(run_cli("task", "dispatch", "--dry-run", "--json", repo=sample_queue.path).stdout)
    log = run_in(container, "git", "-C", "/work/repo", "log", "--format=%s")
    assert log.returncode == 0 and log.stdout.splitlines()[0] == "chore: queue two tasks", log.stderr


def test_git_speaks_https_in_the_image(container: str) -> None:
    # nothing listens on port 9: curl's connection error proves git found its HTTPS helper and libcurl
    done = run_in(container, "git", "ls-remote", "https://127.0.0.1:9/nothing.git")
    assert done.returncode != 0
    assert "Failed to connect" in done.stderr or "Could not connect" in done.stderr or "Connection refused" in done.stderr, (
        done.stderr
    )
    assert "not a git command" not in done.stderr


def test_the_image_is_minimal_and_non_root(container: str) -> None:
    assert run_in(container, "/bin/sh", "-c", "true").returncode != 0  # no shell
    assert run_in(container, "python", "-m", "pip", "--version").returncode != 0  # no pip
    assert run_in(container, "python", "-c", "import os; print(os.getuid(), os.getgid())").stdout.split() == ["65532", "65532"]
    config = json.loads(buildah("inspect", "--type", "container", container).stdout)["OCIv1"]["config"]
    assert config["User"] == "65532:65532" and config["Entrypoint"] == ["/opt/leadforge/bin/leadforge"]
    assert "8080/tcp" in config["ExposedPorts"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.licenses"] == "MIT"
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert labels["org.opencontainers.image.revision"] == (revision or "unknown")
    assert labels["org.opencontainers.image.source"].startswith("https://")
    serve = run_in(container, "python", "-c", "import starlette, uvicorn, prometheus_client")
    assert serve.returncode == 0, serve.stderr  # the serve extra is in
    assert run_in(container, "python", "-c", "import numpy").returncode != 0  # the visual extra is not


def test_every_shared_object_of_the_venv_loads(container: str) -> None:
    """The venv's extension modules (stripped by rootfs.sh) and the libraries they link to all load in the image."""
    probe = (
        "import ctypes, pathlib, sys\n"
        "failed = []\n"
        "for path in sorted(pathlib.Path('/opt/leadforge/lib').rglob('*.so*')):\n"
        "    try: ctypes.CDLL(str(path))\n"
        "    except OSError as err: failed.append(str(err))\n"
        "print(len(failed), *failed, sep='\\n')"
    )
    done = run_in(container, "python", "-c", probe)
    assert done.returncode == 0 and done.stdout.splitlines()[0] == "0", done.stdout + done.stderr
    yaml = run_in(container, "python", "-c", "import yaml; print(yaml.__with_libyaml__)")
    assert yaml.stdout.strip() == "True", yaml.stderr  # PyYAML would fall back to pure Python without a word


def test_the_sboms_list_exactly_the_locked_versions(built: dict[str, object], uv: str) -> None:
    out = Path(str(built["out"]))
    assert sbom_components(out / f"leadforge-{__version__}.image.cdx.json") == locked(uv, "serve")
    assert sbom_components(out / f"leadforge-{__version__}.wheel.cdx.json") == locked(uv)
    assert (out / f"leadforge-{__version__}-py3-none-any.whl").is_file()


def test_the_audit_covers_the_locked_dependencies(built: dict[str, object], uv: str) -> None:
    report = Path(str(built["out"])) / f"leadforge-{__version__}.pip-audit.json"
    if not report.is_file():
        reason = next((line for line in str(built["stderr"]).splitlines() if line.startswith("pip-audit:")), "no report")
        pytest.skip(reason)
    audited = {normalise(d["name"]): d["version"] for d in json.loads(report.read_text())["dependencies"]}
    assert audited == locked(uv, "visual", "deploy", "scan", "serve")


def test_the_image_serves_the_queue_with_leadforge_serve(container: str, sample_queue: Repo) -> None:
    """What the k8s base deploys: ``leadforge serve`` from the image answers its probes and exports the queue."""
    import socket
    import time
    import urllib.request

    buildah("copy", "--chown", "65532:65532", container, str(sample_queue.path), "/work/repo")
    with socket.socket() as probe:  # chroot isolation shares the host's network: pick a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    driver = ["--storage-driver", STORAGE["driver"]] if STORAGE.get("driver") else []
    argv = [
        "buildah",
        *driver,
        "run",
        "--isolation",
        "chroot",
        container,
        "--",
        "leadforge",
        "--repo",
        "/work/repo",
        "serve",
        "--no-fetch",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline, ready = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                    ready = answer.status
                    break
            except OSError:
                time.sleep(0.5)
        assert ready == 200, server.stderr.read() if server.stderr and server.poll() is not None else "serve never became ready"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            assert answer.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            exposition = answer.read().decode()
        from prometheus_client.parser import text_string_to_metric_families

        pending = {
            s.labels["priority"]: s.value
            for family in text_string_to_metric_families(exposition)
            if family.name == "leadforge_tasks"
            for s in family.samples
            if s.labels.get("state") == "pending"
        }
        assert sum(pending.values()) == 2 and pending.get("P1") == 1, exposition[:2000]  # the sample queue's two tasks
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait(timeout=30)
