"""``leadforge serve``: bind the socket, run the app under uvicorn, stop cleanly on SIGTERM.

uvicorn handles SIGTERM/SIGINT itself: it stops accepting connections, lets requests in flight finish
(up to ``GRACEFUL_SECONDS``), runs the lifespan shutdown (the refresher stops), then re-raises the
signal. The handler installed here receives that re-raised signal, so the command returns 0 and says
why it stopped instead of dying by the signal.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from leadforge import __version__
from leadforge.errors import InputError
from leadforge.serve.checkout import CheckoutOptions, Secret
from leadforge.serve.web import ServeOptions, Service, create_app, system_clock

if TYPE_CHECKING:
    from leadforge.app import App

GRACEFUL_SECONDS = 20  # inside Kubernetes' default 30 s termination grace period
LOG_LEVELS = ("debug", "info", "warning", "error")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port); one-line error when it cannot."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as err:
        raise InputError(f"--host {host} --port {port}: cannot listen: {err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock


def _logging(level: str) -> None:
    logger = logging.getLogger("leadforge.serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("leadforge serve: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def run_serve(
    app: App,
    *,
    host: str,
    port: int,
    refresh: float,
    clone: str | None,
    remote: str,
    fetch: bool,
    webhook_secret_env: str,
    webhook_secret_file: str | None,
    git_token_env: str,
    git_token_file: str | None,
    log_level: str,
    access_log: bool,
) -> int:
    import uvicorn

    if refresh < 0:
        raise InputError(f"--refresh {refresh:g}: must be 0 (webhooks only) or more seconds")
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: must be 0-65535")
    if log_level not in LOG_LEVELS:
        raise InputError(f"--log-level {log_level}: use one of {', '.join(LOG_LEVELS)}")
    repo = Path(app.repo)
    secret = Secret(app.env.get(webhook_secret_env, ""), Path(webhook_secret_file) if webhook_secret_file else None)
    token = Secret(app.env.get(git_token_env, ""), Path(git_token_file) if git_token_file else None)
    _logging(log_level)
    service = Service(
        ServeOptions(
            checkout=CheckoutOptions(path=repo, clone_url=clone or "", remote=remote, fetch=fetch, token=token),
            refresh_seconds=refresh,
            webhook_secret=secret,
            config_path=app.config_path,
            version=__version__,
        ),
        app.env,
        system_clock(app.env),
    )
    service.checkout.check()  # a folder it cannot use is an error now; the clone itself runs in the background
    sock = bind(host, port)
    config = uvicorn.Config(
        create_app(service),
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        server_header=False,
    )
    server = uvicorn.Server(config)
    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if sock.family == socket.AF_INET6 else bound[0]
    every = f"every {refresh:g}s" if refresh else "on webhooks only"
    where = webhook_secret_file or f"${webhook_secret_env}"
    hooks = f"POST /hooks/github signed with {where}" if secret.read() else f"webhooks off (no secret in {where})"
    log = logging.getLogger("leadforge.serve")
    log.info("listening on http://%s:%d (repository %s, refresh %s, %s)", shown, bound[1], repo, every, hooks)

    stopped_by: list[int] = []

    def note(sig: int, _frame: FrameType | None) -> None:
        stopped_by.append(sig)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    why = f" on {signal.Signals(stopped_by[0]).name}" if stopped_by else ""
    if not server.started:
        log.error("did not start (see the messages above)")
        return 1
    log.info("stopped%s", why)
    return 0
