"""The Starlette application and the refresher that keeps its snapshot current.

``Service`` holds the one mutable thing, the current ``Snapshot`` (replaced whole, never edited), and
refreshes it in a worker thread: on start (cloning first when the folder is empty), every
``refresh_seconds``, and when a signed push webhook arrives. Routes only read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import mimetypes
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.exposition import choose_encoder
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadforge.errors import LeadforgeError
from leadforge.serve.build import build_snapshot
from leadforge.serve.checkout import CheckoutOptions, RepositoryCheckout, Secret
from leadforge.serve.exposition import ServiceStatus, SnapshotCollector
from leadforge.serve.snapshot import Snapshot, queue_document, with_refs
from leadforge.serve.webhook import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    decide_delivery,
    signature_valid,
)

log = logging.getLogger("leadforge.serve")

# The dashboard needs nothing from elsewhere: no script, no CDN, styles from its own style.css.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; style-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True, slots=True)
class ServeOptions:
    checkout: CheckoutOptions
    refresh_seconds: float = 60.0  # 0: only webhooks refresh
    webhook_secret: Secret = field(default_factory=Secret)
    config_path: str | None = None
    version: str = ""


class Service:
    """The current snapshot, the refresher that replaces it, and the metrics registry that reads it."""

    def __init__(self, options: ServeOptions, env: Mapping[str, str], clock: Callable[[], float]) -> None:
        self.options = options
        self.env = dict(env)
        self.clock = clock
        self.snapshot: Snapshot | None = None
        self.last_refresh: float | None = None
        self.last_error = ""
        self.refresh_errors = 0
        self.builds = 0
        self.checkout = RepositoryCheckout(options.checkout)
        self._prepared = False
        self._wake: asyncio.Event | None = None
        self.refresher: asyncio.Task[None] | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.registry.register(SnapshotCollector(self.current, clock))

    def status(self) -> ServiceStatus:
        return ServiceStatus(
            self.options.version, self.options.refresh_seconds, self.last_refresh, self.refresh_errors, self.builds
        )

    def current(self) -> tuple[Snapshot | None, ServiceStatus]:
        return self.snapshot, self.status()

    # ---- refreshing (a worker thread) ----------------------------------------------------------------
    def refresh_now(self) -> str:
        """Fetch + fast-forward, then rebuild when HEAD moved; returns what happened."""
        if not self._prepared:
            if self.checkout.prepare():
                log.info("cloned %s into %s", self.options.checkout.clone_url, self.options.checkout.path)
            self._prepared = True
        head = self.checkout.refresh()
        refs = self.checkout.branch_dates()
        current = self.snapshot
        if current is None or current.commit != head:
            snapshot = build_snapshot(
                self.options.checkout.path, self.env, refs=refs, clock=self.clock, config_path=self.options.config_path
            )
            self.snapshot = snapshot
            self.builds += 1
            outcome = f"built {head[:12]} ({len(snapshot.tasks)} tasks, {snapshot.build_seconds:g}s)"
        elif refs != current.refs:
            self.snapshot = with_refs(current, refs)
            outcome = "branch activity updated"
        else:
            outcome = "unchanged"
        self.last_refresh = self.clock()
        self.last_error = ""
        return outcome

    async def run_refresher(self) -> None:
        self._wake = asyncio.Event()
        while True:
            try:
                outcome = await asyncio.to_thread(self.refresh_now)
                (log.info if outcome != "unchanged" else log.debug)("refresh: %s", outcome)
            except LeadforgeError as err:
                self.refresh_errors += 1
                self.last_error = str(err)
                log.warning("refresh failed (serving %s): %s", self.snapshot.commit[:12] if self.snapshot else "nothing yet", err)
            except Exception:  # a bug: keep serving the last snapshot, say so, try again next time
                self.refresh_errors += 1
                self.last_error = "internal error during refresh (see the log)"
                log.exception("refresh failed with an internal error")
            interval = self.options.refresh_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval if interval > 0 else None)
            self._wake.clear()

    def request_refresh(self) -> None:
        if self._wake is not None:
            self._wake.set()


# ---- routes -------------------------------------------------------------------------------------------


def _not_ready(service: Service) -> JSONResponse:
    reason = service.last_error or "building the first snapshot"
    return JSONResponse({"ready": False, "reason": reason}, status_code=503, headers={"Retry-After": "5"})


def create_app(service: Service) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        service.refresher = asyncio.create_task(service.run_refresher(), name="leadforge-refresher")
        try:
            yield
        finally:
            service.refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await service.refresher
            log.info("refresher stopped")

    async def healthz(_request: Request) -> Response:
        refresher = service.refresher
        if refresher is not None and refresher.done():
            return JSONResponse({"status": "refresher stopped"}, status_code=500)
        return JSONResponse({"status": "ok", "ready": service.snapshot is not None})

    async def readyz(_request: Request) -> Response:
        snapshot = service.snapshot
        if snapshot is None:
            return _not_ready(service)
        return JSONResponse({"ready": True, "commit": snapshot.commit, "last_error": service.last_error})

    async def metrics(request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(service.registry), headers={"Content-Type": content_type})

    async def api_queue(_request: Request) -> Response:
        snapshot = service.snapshot
        if snapshot is None:
            return _not_ready(service)
        return JSONResponse(queue_document(snapshot, service.clock(), service.last_refresh))

    async def api_metrics(_request: Request) -> Response:
        snapshot = service.snapshot
        if snapshot is None:
            return _not_ready(service)
        return JSONResponse(dict(snapshot.report))

    async def hook(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return JSONResponse({"error": "payload over 25 MB"}, status_code=413)
        body = await request.body()
        delivery = request.headers.get(DELIVERY_HEADER, "-")
        secret = service.options.webhook_secret.read().encode("utf-8")
        if not secret:
            log.warning("webhook %s refused: no webhook secret is configured", delivery)
            return JSONResponse({"error": "webhooks are off: the server has no webhook secret"}, status_code=401)
        if not signature_valid(secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("webhook %s refused: missing or wrong %s", delivery, SIGNATURE_HEADER)
            return JSONResponse({"error": f"missing or invalid {SIGNATURE_HEADER}"}, status_code=401)
        payload = _payload(body, request.headers.get("content-type", ""))
        if payload is None:
            return JSONResponse({"error": "the body is not a JSON object"}, status_code=400)
        decision = decide_delivery(request.headers.get(EVENT_HEADER, ""), payload)
        if decision.refresh:
            service.request_refresh()
            log.info("webhook %s: %s: refresh scheduled", delivery, decision.reason)
            return JSONResponse({"refresh": "scheduled", "reason": decision.reason}, status_code=202)
        return JSONResponse({"refresh": "not needed", "reason": decision.reason})

    async def page(request: Request) -> Response:
        snapshot = service.snapshot
        if snapshot is None:
            return _not_ready(service)
        path = request.path_params.get("path", "")
        if path == "" or path.endswith("/"):
            path += "index.html"
        content = snapshot.site.get(path)
        if content is None:
            return JSONResponse({"error": f"no such page: /{path}"}, status_code=404)
        etag = f'"{snapshot.commit[:16]}"'
        headers = {**SECURITY_HEADERS, "ETag": etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind == "application/json":
            kind += "; charset=utf-8"
        return Response(content, headers={**headers, "Content-Type": kind})

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/api/queue", api_queue),
        Route("/api/metrics", api_metrics),
        Route("/hooks/github", hook, methods=["POST"]),
        Route("/", page),
        Route("/{path:path}", page),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _payload(body: bytes, content_type: str) -> dict[str, Any] | None:
    """GitHub sends JSON, or ``payload=<json>`` when the hook's content type is form-encoded."""
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            body = parse_qs(body.decode("utf-8")).get("payload", [""])[0].encode("utf-8")
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def system_clock(env: Mapping[str, str]) -> Callable[[], float]:
    """``LEADFORGE_NOW`` (ISO 8601) pins the clock, as everywhere in LeadForge; else the real time."""
    from leadforge.metrics.period import pinned_now

    pinned = pinned_now(env)
    if pinned is not None:
        fixed = pinned.timestamp()
        return lambda: fixed
    return time.time
