"""Reaching the app: a served folder, or the app's own start command (stopped afterwards)."""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from leadforge.errors import ConfigError, ToolError
from leadforge.visual.server import serve, serve_folder
from leadforge.visual.settings import AppSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def test_a_static_folder_is_served_on_loopback(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>hello</p>")
    with serve_folder(tmp_path) as url:
        assert url.startswith("http://127.0.0.1:")
        assert fetch(url + "/index.html") == "<p>hello</p>"
    with pytest.raises((urllib.error.URLError, ConnectionError)):  # refused, or reset while the listener closes
        fetch(url + "/index.html")  # stopped


def test_the_app_command_is_started_waited_for_and_stopped(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("from the command")
    port = free_port()
    settings = AppSettings(
        command=f"cd site && {sys.executable} -m http.server {port} --bind 127.0.0.1",
        url=f"http://127.0.0.1:{port}/",
        start_timeout=20,
    )
    with serve(settings, tmp_path) as url:
        assert fetch(url + "/index.html") == "from the command"
    with pytest.raises((urllib.error.URLError, ConnectionError)):  # refused, or reset while the listener closes
        fetch(f"http://127.0.0.1:{port}/index.html")  # the whole process group is gone


def test_a_command_that_dies_or_never_answers_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    dies = AppSettings(command="exit 3", url=f"http://127.0.0.1:{port}/", start_timeout=10)
    with pytest.raises(ToolError, match="exited before"), serve(dies, tmp_path):
        pass
    silent = AppSettings(command="sleep 30", url=f"http://127.0.0.1:{port}/", start_timeout=0.5)
    with pytest.raises(ToolError, match=r"did not answer within 0.5s"), serve(silent, tmp_path):
        pass
    with pytest.raises(ConfigError, match=r"app\.static .* or app\.command"), serve(AppSettings(), tmp_path):
        pass
