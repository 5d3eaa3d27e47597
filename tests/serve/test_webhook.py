"""The webhook signature check and what a verified delivery asks for (pure)."""

from __future__ import annotations

import pytest

from leadforge.serve.webhook import decide_delivery, sign, signature_valid
from tests.fixtures.events import EVENTS_DIR, load_event

PUSH = (EVENTS_DIR / "push.json").read_bytes()  # the real payload, byte for byte as GitHub's example sends it
SECRET = b"It's a Secret to Everybody"


def test_the_signature_matches_githubs_published_example():
    # GitHub's "Validating webhook deliveries" docs: this secret and body give this signature.
    assert sign(SECRET, b"Hello, World!") == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_a_delivery_signed_with_the_secret_is_valid():
    assert signature_valid(SECRET, PUSH, sign(SECRET, PUSH))


@pytest.mark.parametrize(
    ("header", "body", "secret"),
    [
        pytest.param(None, PUSH, SECRET, id="missing"),
        pytest.param("", PUSH, SECRET, id="empty"),
        pytest.param(sign(b"another secret", PUSH), PUSH, SECRET, id="wrong-secret"),
        pytest.param(sign(SECRET, PUSH), PUSH.replace(b"master", b"main"), SECRET, id="body-changed"),
        pytest.param(sign(SECRET, PUSH).replace("sha256=", "sha1="), PUSH, SECRET, id="other-algorithm"),
        pytest.param(sign(SECRET, PUSH)[:-1], PUSH, SECRET, id="truncated"),
        pytest.param(sign(SECRET, PUSH).upper(), PUSH, SECRET, id="upper-case"),
        pytest.param(sign(b"", PUSH), PUSH, b"", id="no-secret-configured"),
    ],
)
def test_anything_else_is_refused(header, body, secret):
    assert not signature_valid(secret, body, header)


def test_non_ascii_garbage_in_the_header_is_refused_not_raised():
    assert not signature_valid(SECRET, PUSH, "sha256=ünïcødé")


@pytest.mark.parametrize(
    ("event", "payload", "refresh", "reason"),
    [
        ("push", load_event("push", ref="refs/heads/main"), True, "push to main"),
        ("push", load_event("push"), True, "push to master"),
        ("push", load_event("push", ref="refs/heads/ai/task-3-cache"), True, "push to ai/task-3-cache"),
        ("push", load_event("push.tag"), False, "not a branch"),
        ("ping", {"zen": "Design for failure."}, False, "ping"),
        ("issues", load_event("issues.opened"), False, "only push deliveries"),
        ("", {}, False, "an unnamed event"),
    ],
)
def test_a_push_to_a_branch_refreshes_other_deliveries_do_not(event, payload, refresh, reason):
    decision = decide_delivery(event, payload)
    assert decision.refresh is refresh
    assert reason in decision.reason
