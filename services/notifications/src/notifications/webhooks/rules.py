"""Webhook rules, plain functions of values: which events are offered, what their body
says, which addresses may receive, when to retry, when to give up on an endpoint."""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from sawt_shared.events import Event
from sawt_shared.events.petitions import (
    PetitionClosed,
    PetitionPublished,
    PetitionResponded,
    PetitionThresholdReached,
)

__all__ = [
    "WEBHOOK_EVENT_TYPES",
    "is_public_address",
    "new_secret",
    "next_retry_delay",
    "should_disable",
    "webhook_body",
    "webhook_type",
]

#: Events offered to webhooks, by the name subscribers use. Only public facts: no
#: identity events (addresses, codes) and no signatures (who signed is private).
_WEBHOOK_TYPES: Final[dict[type[Event], str]] = {
    PetitionPublished: "petition.published",
    PetitionThresholdReached: "petition.threshold_reached",
    PetitionResponded: "petition.responded",
    PetitionClosed: "petition.closed",
}
WEBHOOK_EVENT_TYPES: Final = tuple(sorted(_WEBHOOK_TYPES.values()))
#: Fields never sent to a webhook receiver.
_PRIVATE_FIELDS: Final = frozenset({"creator_id"})


def webhook_type(event: Event) -> str | None:
    """The webhook type of ``event``, or ``None`` when it is not offered to webhooks."""
    return _WEBHOOK_TYPES.get(type(event))


def webhook_body(event: Event, *, event_id: uuid.UUID, occurred_at: datetime) -> str:
    """The JSON body (Standard Webhooks shape: ``type``, ``timestamp``, ``data``)."""
    name = webhook_type(event)
    assert name is not None
    data: dict[str, Any] = event.model_dump(mode="json", exclude=set(_PRIVATE_FIELDS))
    data["event_id"] = str(event_id)
    body = {"type": name, "timestamp": occurred_at.isoformat(), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def is_public_address(address: str) -> bool:
    """Whether ``address`` is a public unicast address (not loopback, private, link-local,
    shared, reserved, multicast or unspecified; IPv4 inside IPv6 is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def next_retry_delay(attempts: int, schedule: list[float]) -> float | None:
    """Seconds before the next try after ``attempts`` failed tries; ``None``: give up."""
    if attempts < 1 or attempts > len(schedule):
        return None
    return schedule[attempts - 1]


def should_disable(
    *, status_code: int | None, failing_since: datetime | None, now: datetime, disable_after: float
) -> str | None:
    """Why the endpoint must be disabled after a failed try (``gone``, ``failing``), or ``None``."""
    if status_code == 410:
        return "gone"
    if failing_since is not None and now - failing_since >= timedelta(seconds=disable_after):
        return "failing"
    return None
