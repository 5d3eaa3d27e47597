"""``leadforge serve`` as a real process on a loopback port, serving a clone of a generated queue."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.serve.queue import NOW, make_remote

SECRET = "It's a Secret to Everybody"
LISTENING = re.compile(r"listening on (http://\S+?:\d+)")
needs_serve_extra = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("starlette", "uvicorn", "prometheus_client")),
    reason="the serve extra is not installed (pip install 'leadforge[serve]')",
)


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k not in {"GH_TOKEN", "CI"}}
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        LEADFORGE_NOW=NOW,
        LEADFORGE_WEBHOOK_SECRET=SECRET,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Server:
    """A running ``leadforge serve``; its stderr is collected line by line."""

    def __init__(self, args: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "leadforge", "serve", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""
        deadline = time.monotonic() + 60
        while not self.url:
            found = next((LISTENING.search(line) for line in list(self.lines) if LISTENING.search(line)), None)
            if found:
                self.url = found.group(1)
            elif self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("leadforge serve did not start:\n" + self.log)
            else:
                time.sleep(0.05)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, timeout=30, **kwargs)

    def wait_for(self, check: Callable[[], bool], what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log}")

    def wait_ready(self) -> None:
        self.wait_for(lambda: self.get("/readyz").status_code == 200, "the first snapshot")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        return self.process.returncode


def start(base: Path, *extra: str, env: dict[str, str] | None = None) -> Server:
    """Serve an empty folder cloned from ``base/remote.git`` (what the container does) on a free loopback port."""
    served = base / "served"
    args = ["--repo", str(served), "--clone", (base / "remote.git").as_uri(), "--port", "0", "--refresh", "3600", *extra]
    return Server(args, env or isolated_env(base / "home"), base)


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(base, seed)``: a bare remote holding the generated queue, and the clone that pushes to it."""
    base = tmp_path_factory.mktemp("serve")
    (base / "home").mkdir()
    make_remote(base, isolated_env(base / "home"))
    return base, base / "seed"


@pytest.fixture(scope="module")
def server(remote: tuple[Path, Path]) -> Iterator[Server]:
    """One server for the read-only tests of a module."""
    running = start(remote[0])
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
def fresh_remote(tmp_path: Path) -> tuple[Path, Path]:
    """A remote of one's own, for tests that push to it."""
    (tmp_path / "home").mkdir()
    make_remote(tmp_path, isolated_env(tmp_path / "home"))
    return tmp_path, tmp_path / "seed"
