"""Reaching the app under test: a static folder served on a loopback port, or the app's own command.

``serve(app_settings, repo)`` is a context manager yielding the base URL (``http://127.0.0.1:PORT``)
and stopping what it started on exit.
"""

from __future__ import annotations

import functools
import http.server
import os
import shlex
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from leadforge import proc
from leadforge.errors import ConfigError, ToolError

if TYPE_CHECKING:
    from leadforge.visual.settings import AppSettings


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port) in a thread; yield the base URL."""
    if not folder.is_dir():
        raise ConfigError(f"visual.app.static: {folder} is not a folder")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="leadforge-visual-static", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def wait_for_url(url: str, timeout: float, *, alive: Callable[[], bool] | None = None) -> None:
    """Poll ``url`` until it answers with any HTTP status below 500."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise ToolError(f"visual.app.command exited before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as err:
            if err.code < 500:
                return
            last = f"HTTP {err.code}"
        except (urllib.error.URLError, OSError) as err:
            last = str(getattr(err, "reason", err))
        time.sleep(0.2)
    raise ToolError(f"visual.app.url {url} did not answer within {timeout:g}s ({last}); is visual.app.command right?")


@contextmanager
def run_command(command: str, url: str, repo: Path, timeout: float) -> Iterator[str]:
    """Start the app's command (own process group) from the repo root, wait for ``url``, stop it on exit.

    A long-running server cannot go through ``proc.run`` (which waits for the command to end),
    hence this one ``Popen``."""
    argv = ["/bin/sh", "-c", command] if os.name == "posix" else shlex.split(command)
    try:
        process = proc.spawn(argv, cwd=repo, new_session=True)  # the repository's own configured start command
    except ToolError as err:
        raise ToolError(f"visual.app.command {command!r} could not start: {err}") from None
    try:
        wait_for_url(url, timeout, alive=lambda: process.poll() is None)
        yield url.rstrip("/")
    finally:
        proc.stop(process)


@contextmanager
def serve(settings: AppSettings, repo: Path) -> Iterator[str]:
    """The app's base URL for the run, whichever way the config says to reach it."""
    if settings.static:
        with serve_folder((repo / settings.static).resolve()) as url:
            yield url
    elif settings.command:
        assert settings.url is not None
        with run_command(settings.command, settings.url, repo, settings.start_timeout) as url:
            yield url
    elif settings.url:
        wait_for_url(settings.url, settings.start_timeout)
        yield settings.url.rstrip("/")
    else:
        raise ConfigError("visual.app: say how to reach the app: app.static (a folder to serve) or app.command + app.url")
