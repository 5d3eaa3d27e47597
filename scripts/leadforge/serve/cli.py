"""`leadforge serve`: argument parsing only (the server and its libraries load when the command runs)."""

from __future__ import annotations

import argparse
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.cli import Subparsers

SERVE_MODULES = ("starlette", "uvicorn", "prometheus_client")


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    serve = sub.add_parser(
        "serve",
        parents=[common],
        help="the web service: dashboard, Prometheus /metrics, queue API, push webhooks",
        description="Serve the repository (--repo, a checkout; or an empty folder with --clone URL): the dashboard at /, "
        "Prometheus metrics at /metrics, /api/queue, /api/metrics (the `leadforge metrics --json` report), /healthz and "
        "/readyz (ready once the first build is done). It refreshes with git fetch + fast-forward every --refresh "
        "seconds and on POST /hooks/github push deliveries signed with the webhook secret; it rebuilds when the "
        "checkout moves and never writes to the repository. SIGTERM stops it gracefully. "
        "Needs the serve extra: pip install 'leadforge[serve]'.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1; 0.0.0.0 in a container)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080; 0: any free port)")
    serve.add_argument(
        "--refresh",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="seconds between two fetches of the remote (default: 60; 0: only on webhooks)",
    )
    serve.add_argument(
        "--clone",
        metavar="URL",
        default=None,
        help="clone URL into --repo when that folder is missing or empty (a container's start)",
    )
    serve.add_argument("--remote", default="origin", help="remote to fetch from (default: origin)")
    serve.add_argument(
        "--no-fetch",
        dest="fetch",
        action="store_false",
        help="never fetch: rebuild only when the local HEAD moves (serving a working checkout)",
    )
    serve.add_argument(
        "--webhook-secret-env",
        metavar="NAME",
        default="LEADFORGE_WEBHOOK_SECRET",
        help="environment variable holding the webhook secret (default: LEADFORGE_WEBHOOK_SECRET; "
        "unset: every delivery gets 401)",
    )
    serve.add_argument(
        "--webhook-secret-file",
        metavar="PATH",
        default=None,
        help="file holding the webhook secret instead (a mounted Secret; re-read on every delivery)",
    )
    serve.add_argument(
        "--git-token-env",
        metavar="NAME",
        default="LEADFORGE_GIT_TOKEN",
        help="environment variable holding a read-only token for an HTTPS remote (default: "
        "LEADFORGE_GIT_TOKEN; sent as a header, never stored in .git/config)",
    )
    serve.add_argument(
        "--git-token-file",
        metavar="PATH",
        default=None,
        help="file holding the token instead (a mounted Secret; re-read on every fetch)",
    )
    serve.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"), help="default: info")
    serve.add_argument("--access-log", action="store_true", help="log every request (off by default: probes are noisy)")
    serve.set_defaults(handler=_serve)


def missing_modules() -> list[str]:
    return [name for name in SERVE_MODULES if importlib.util.find_spec(name) is None]


def _serve(app: App, **options: Any) -> int:
    missing = missing_modules()
    if missing:
        from leadforge.errors import ToolError

        raise ToolError(f"leadforge serve needs the serve extra: pip install 'leadforge[serve]' (missing: {', '.join(missing)})")
    from leadforge.serve.command import run_serve

    return run_serve(app, **options)
