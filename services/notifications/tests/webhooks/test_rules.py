"""Webhook rules: offered events, bodies, addresses, retries, disabling, signatures."""

from __future__ import annotations

import json
import typing
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notifications.webhooks.rules import (
    WEBHOOK_EVENT_TYPES,
    is_public_address,
    new_secret,
    next_retry_delay,
    should_disable,
    webhook_body,
)
from notifications.webhooks.schemas import WebhookEventType
from notifications.webhooks.sender import sign
from sawt_shared.events.petitions import PetitionClosed

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_schema_offers_exactly_the_webhook_types() -> None:
    assert tuple(sorted(typing.get_args(WebhookEventType))) == WEBHOOK_EVENT_TYPES


def test_body_is_public_data_only() -> None:
    event = PetitionClosed(
        petition_id=uuid.uuid4(),
        closed_at=NOW,
        signatures=10,
        creator_id=uuid.uuid4(),
        title={"ar": "ع"},
    )
    event_id = uuid.uuid4()
    body = json.loads(webhook_body(event, event_id=event_id, occurred_at=NOW))
    assert body["type"] == "petition.closed"
    assert body["data"]["event_id"] == str(event_id)
    assert "creator_id" not in body["data"]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_public_addresses_receive(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_retry_schedule_then_give_up() -> None:
    schedule = [5.0, 300.0, 1800.0]
    assert [next_retry_delay(n, schedule) for n in (1, 2, 3, 4)] == [5.0, 300.0, 1800.0, None]


def test_disable_on_gone_or_after_days_of_failure() -> None:
    day = 86400.0
    assert (
        should_disable(status_code=410, failing_since=None, now=NOW, disable_after=5 * day)
        == "gone"
    )
    assert (
        should_disable(
            status_code=500, failing_since=NOW - timedelta(days=1), now=NOW, disable_after=5 * day
        )
        is None
    )
    assert (
        should_disable(
            status_code=None, failing_since=NOW - timedelta(days=6), now=NOW, disable_after=5 * day
        )
        == "failing"
    )


def test_signature_verifies_with_either_secret_during_rotation() -> None:
    old, new = new_secret(), new_secret()
    assert old.startswith("whsec_")
    now = datetime.now(UTC)
    body = '{"type":"petition.closed"}'
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign([new, old], "msg_1", now, body),
    }
    assert Webhook(old).verify(body, headers) == {"type": "petition.closed"}
    assert Webhook(new).verify(body, headers) == {"type": "petition.closed"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace("closed", "opened"), headers)
