"""The service's Kafka consumers: identity and petitions events become read-model rows,
recorded deliveries and webhook deliveries, in one transaction with the inbox row."""

from __future__ import annotations

from typing import Any

from notifications.messages.rules import plan_messages
from notifications.messages.service import queue_messages
from notifications.recipients.repository import get_petition
from notifications.recipients.service import apply_to_read_model
from notifications.webhooks.service import queue_webhooks
from sawt_shared.app import Runtime
from sawt_shared.db import Connection
from sawt_shared.events import Event
from sawt_shared.events.identity import IdentityEvent
from sawt_shared.events.petitions import PetitionEvent, PetitionSigned
from sawt_shared.inbox import EventConsumer, ReceivedEvent

__all__ = ["IDENTITY_CONSUMER", "PETITIONS_CONSUMER", "build_consumers", "handle_event"]

IDENTITY_CONSUMER = "notifications-identity"
PETITIONS_CONSUMER = "notifications-petitions"


def _concrete(base: type[Event]) -> list[type[Event]]:
    out: list[type[Event]] = []
    stack = list(base.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "event_type" in cls.__dict__:
            out.append(cls)
    return out


async def handle_event(conn: Connection, received: ReceivedEvent[Any]) -> None:
    """Everything one event causes here, on the consumer's connection and transaction."""
    event: Event = received.data
    await apply_to_read_model(conn, event)
    petition = None
    if isinstance(event, PetitionSigned):
        petition = await get_petition(conn, event.petition_id)
    planned = plan_messages(event, petition)
    if planned:
        await queue_messages(
            conn, event_id=received.envelope.id, event_type=received.envelope.type, planned=planned
        )
    if isinstance(event, PetitionEvent):
        await queue_webhooks(conn, event, received.envelope)


def build_consumers(runtime: Runtime) -> list[EventConsumer]:
    settings = runtime.settings
    common: dict[str, Any] = {
        "pool": runtime.pool,
        "bootstrap": settings.kafka_bootstrap_servers,
        "dlq_producer": runtime.producer,
        "max_attempts": settings.consumer_max_attempts,
        "backoff": settings.consumer_retry_backoff,
    }
    return [
        EventConsumer(
            name=IDENTITY_CONSUMER,
            topics=[IdentityEvent.topic(settings.topic_prefix)],
            handlers=dict.fromkeys(_concrete(IdentityEvent), handle_event),
            group_id=runtime.group_id(IDENTITY_CONSUMER),
            **common,
        ),
        EventConsumer(
            name=PETITIONS_CONSUMER,
            topics=[PetitionEvent.topic(settings.topic_prefix)],
            handlers=dict.fromkeys(_concrete(PetitionEvent), handle_event),
            group_id=runtime.group_id(PETITIONS_CONSUMER),
            **common,
        ),
    ]
