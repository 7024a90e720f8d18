"""Webhook endpoints of an owner, and queueing deliveries from events."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from notifications.settings import NotificationsSettings
from notifications.webhooks import repository
from notifications.webhooks.rules import new_secret, webhook_body, webhook_type
from notifications.webhooks.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookSecretRead,
)
from notifications.webhooks.ssrf import UnsafeDestination, check_destination
from sawt_shared.db import Connection
from sawt_shared.errors import Conflict, InvalidInput, NotFound
from sawt_shared.events import Event, EventEnvelope

__all__ = [
    "create_endpoint",
    "decode_cursor",
    "encode_cursor",
    "owned_endpoint",
    "queue_webhooks",
    "rotate_secret",
    "update_endpoint",
]


def _endpoint(row: asyncpg.Record) -> dict[str, Any]:
    return {k: row[k] for k in WebhookEndpointRead.model_fields}


async def _check_url(url: str, settings: NotificationsSettings) -> None:
    try:
        await check_destination(
            url,
            allow_private=settings.webhook_allow_private_addresses,
            allow_http=settings.webhook_allow_http,
        )
    except UnsafeDestination as exc:
        raise InvalidInput(
            str(exc),
            type_slug="webhook-url-refused",
            title="This URL may not receive webhooks",
            errors=[{"pointer": "/url", "location": "body", "detail": str(exc)}],
        ) from None


async def owned_endpoint(
    conn: Connection, endpoint_id: uuid.UUID, owner: str, *, for_update: bool = False
) -> asyncpg.Record:
    """The endpoint, if ``owner`` owns it; someone else's is not found, not forbidden."""
    row = await repository.get_endpoint(conn, endpoint_id, for_update=for_update)
    if row is None or row["owner"] != owner:
        raise NotFound("No such webhook endpoint.", type_slug="webhook-endpoint-not-found")
    return row


async def create_endpoint(
    conn: Connection,
    owner: str,
    body: WebhookEndpointCreate,
    settings: NotificationsSettings,
    idempotency_key: str | None,
) -> tuple[WebhookEndpointCreated, bool]:
    """The new endpoint with its secret, and whether it was created now (a repeated
    ``Idempotency-Key`` gives back the first one)."""
    if idempotency_key is not None:
        existing = await repository.find_by_idempotency_key(conn, owner, idempotency_key)
        if existing is not None:
            secrets = await repository.active_secrets(conn, existing["id"])
            return WebhookEndpointCreated(**_endpoint(existing), secret=secrets[0]["secret"]), False
    await _check_url(body.url, settings)
    secret = new_secret()
    try:
        async with conn.transaction():
            row = await repository.create_endpoint(
                conn,
                endpoint_id=uuid.uuid4(),
                owner=owner,
                url=body.url,
                description=body.description,
                event_types=sorted(set(body.event_types)),
                idempotency_key=idempotency_key,
            )
            await repository.add_secret(conn, row["id"], secret)
    except asyncpg.UniqueViolationError:
        raise Conflict(
            "A request with this Idempotency-Key is being processed.",
            type_slug="idempotency-key-in-use",
        ) from None
    return WebhookEndpointCreated(**_endpoint(row), secret=secret), True


async def update_endpoint(
    conn: Connection,
    owner: str,
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    settings: NotificationsSettings,
) -> WebhookEndpointRead:
    await owned_endpoint(conn, endpoint_id, owner, for_update=True)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        await _check_url(changes["url"], settings)
    if changes.get("event_types") is not None:
        changes["event_types"] = sorted(set(changes["event_types"]))
    row = await repository.update_endpoint(conn, endpoint_id, changes)
    return WebhookEndpointRead(**_endpoint(row))


async def rotate_secret(
    conn: Connection, owner: str, endpoint_id: uuid.UUID, settings: NotificationsSettings
) -> WebhookSecretRead:
    await owned_endpoint(conn, endpoint_id, owner, for_update=True)
    await repository.retire_secrets(conn, endpoint_id, settings.webhook_secret_overlap_seconds)
    secret = new_secret()
    await repository.add_secret(conn, endpoint_id, secret)
    return WebhookSecretRead(
        secret=secret,
        previous_secrets_expire_at=datetime.now(UTC)
        + timedelta(seconds=settings.webhook_secret_overlap_seconds),
    )


async def queue_webhooks(conn: Connection, event: Event, envelope: EventEnvelope) -> int:
    """Queue one delivery of ``event`` per endpoint that wants it (in the consumer's
    transaction, so once per event); NOTIFY wakes the sender at commit."""
    name = webhook_type(event)
    if name is None:
        return 0
    body = webhook_body(event, event_id=envelope.id, occurred_at=envelope.time)
    queued = await repository.queue_deliveries(
        conn, event_id=envelope.id, webhook_type=name, payload=body
    )
    if queued:
        await conn.execute(f"NOTIFY {repository.WEBHOOK_CHANNEL}")
    return queued


def encode_cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode()


def decode_cursor(cursor: str, count: int) -> list[str]:
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError):
        parts = []
    if len(parts) != count:
        raise InvalidInput("The cursor is not valid.", type_slug="invalid-cursor")
    return parts
