"""GitHub webhook deliveries: the signature check and what a delivery asks of the service (pure).

GitHub signs each delivery's body with the webhook secret: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256>``.
The check is a constant-time comparison of the whole header, so a wrong signature takes as long to refuse as
one that is almost right.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"
MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB


def sign(secret: bytes, body: bytes) -> str:
    """The header value GitHub sends for ``body`` (used by tests and by anyone scripting deliveries)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """True only when ``header`` is exactly ``sign(secret, body)``; a missing secret verifies nothing."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode("ascii"), header.strip().encode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class Delivery:
    """What to do with a verified delivery."""

    refresh: bool
    reason: str


def decide_delivery(event: str, payload: Mapping[str, Any]) -> Delivery:
    """A push to a branch refreshes (the served branch moves the queue; a task branch moves that task's
    activity); tags, pings and other events change nothing the service shows."""
    if event == "ping":
        return Delivery(False, "ping: the hook is set up")
    if event != "push":
        return Delivery(False, f"{event or 'an unnamed'} event: only push deliveries refresh the checkout")
    ref = payload.get("ref")
    if not isinstance(ref, str) or not ref.startswith("refs/heads/"):
        return Delivery(False, f"push to {ref!r}: not a branch")
    return Delivery(True, f"push to {ref.removeprefix('refs/heads/')}")
