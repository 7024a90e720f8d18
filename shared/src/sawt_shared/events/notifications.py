"""Events the notifications service publishes on ``notifications.events``.

Webhook endpoint events are keyed by ``endpoint_id``. They tell the owner of an
endpoint (an organisation or an API client) what happened to it, so that the
platform can warn them by another way than the endpoint that stopped working.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from sawt_shared.events._base import Event

__all__ = ["NotificationsEvent", "WebhookEndpointDisabled"]


class NotificationsEvent(Event):
    """Base of every event the notifications service publishes."""

    domain: ClassVar[str] = "notifications"


class WebhookEndpointDisabled(NotificationsEvent):
    """A webhook endpoint was disabled: it answered 410 Gone, or failed for days.

    ``owner`` is ``org:<organization id>`` or ``client:<client id>``; deliveries stop
    until the owner enables the endpoint again through the API.
    """

    event_type: ClassVar[str] = "ma.sawt.webhook_endpoint.disabled.v1"
    key_field: ClassVar[str] = "endpoint_id"
    endpoint_id: uuid.UUID
    owner: str
    url: str
    reason: Literal["gone", "failing"]
    failing_since: datetime | None = None
    disabled_at: datetime
