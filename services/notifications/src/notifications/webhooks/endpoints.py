"""Webhook endpoints API: ``/api/v1/webhooks``. Needs scope ``notifications:manage``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from notifications.settings import NotificationsSettings
from notifications.webhooks import repository, service
from notifications.webhooks.auth import Owner
from notifications.webhooks.rules import WEBHOOK_EVENT_TYPES
from notifications.webhooks.schemas import (
    WebhookAttemptRead,
    WebhookDeliveryPage,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPage,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookSecretRead,
)
from sawt_shared.app import RuntimeDep
from sawt_shared.auth import auth_problem_responses
from sawt_shared.db import DbConnection, DbTransaction
from sawt_shared.errors import Conflict, InvalidInput, NotFound, problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

_NOT_FOUND = problem_responses(NotFound)


def _settings(runtime: Any) -> NotificationsSettings:
    settings: NotificationsSettings = runtime.settings
    return settings


@router.get("/event-types", summary="The event types an endpoint may subscribe to")
async def list_event_types() -> list[str]:
    return list(WEBHOOK_EVENT_TYPES)


@router.post(
    "/endpoints",
    status_code=status.HTTP_201_CREATED,
    summary="Register an endpoint (its signing secret is in the answer, this once)",
    responses={**auth_problem_responses(), **problem_responses(InvalidInput, Conflict)},
)
async def create_endpoint(
    body: WebhookEndpointCreate,
    owner: Owner,
    conn: DbTransaction,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> WebhookEndpointCreated:
    created, new = await service.create_endpoint(
        conn, owner, body, _settings(runtime), idempotency_key
    )
    if not new:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/webhooks/endpoints/{created.id}"
    return created


@router.get(
    "/endpoints",
    summary="The caller's endpoints",
    responses={**auth_problem_responses(), **problem_responses(InvalidInput)},
)
async def list_endpoints(
    owner: Owner,
    conn: DbConnection,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> WebhookEndpointPage:
    after = None
    if cursor is not None:
        created_at, endpoint_id = service.decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(created_at), uuid.UUID(endpoint_id))
        except ValueError:
            raise InvalidInput("The cursor is not valid.", type_slug="invalid-cursor") from None
    rows = await repository.list_endpoints(conn, owner, after=after, limit=limit + 1)
    items = [
        WebhookEndpointRead(**{k: r[k] for k in WebhookEndpointRead.model_fields}) for r in rows
    ]
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = service.encode_cursor(items[-1].created_at.isoformat(), items[-1].id)
    return WebhookEndpointPage(items=items, next_cursor=next_cursor)


@router.get(
    "/endpoints/{endpoint_id}",
    summary="One endpoint",
    responses={**auth_problem_responses(), **_NOT_FOUND},
)
async def get_endpoint(
    endpoint_id: uuid.UUID, owner: Owner, conn: DbConnection
) -> WebhookEndpointRead:
    row = await service.owned_endpoint(conn, endpoint_id, owner)
    return WebhookEndpointRead(**{k: row[k] for k in WebhookEndpointRead.model_fields})


@router.patch(
    "/endpoints/{endpoint_id}",
    summary="Change an endpoint, or enable it again",
    responses={**auth_problem_responses(), **problem_responses(NotFound, InvalidInput)},
)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    owner: Owner,
    conn: DbTransaction,
    runtime: RuntimeDep,
) -> WebhookEndpointRead:
    return await service.update_endpoint(conn, owner, endpoint_id, body, _settings(runtime))


@router.delete(
    "/endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an endpoint and its delivery log",
    responses={**auth_problem_responses(), **_NOT_FOUND},
)
async def delete_endpoint(endpoint_id: uuid.UUID, owner: Owner, conn: DbTransaction) -> None:
    await service.owned_endpoint(conn, endpoint_id, owner, for_update=True)
    await repository.delete_endpoint(conn, endpoint_id)


@router.post(
    "/endpoints/{endpoint_id}/secret/rotate",
    summary="A new signing secret; the old one keeps signing for a while",
    responses={**auth_problem_responses(), **_NOT_FOUND},
)
async def rotate_secret(
    endpoint_id: uuid.UUID, owner: Owner, conn: DbTransaction, runtime: RuntimeDep
) -> WebhookSecretRead:
    return await service.rotate_secret(conn, owner, endpoint_id, _settings(runtime))


@router.get(
    "/endpoints/{endpoint_id}/deliveries",
    summary="The delivery log of an endpoint, newest first",
    responses={**auth_problem_responses(), **problem_responses(NotFound, InvalidInput)},
)
async def list_deliveries(
    endpoint_id: uuid.UUID,
    owner: Owner,
    conn: DbConnection,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> WebhookDeliveryPage:
    await service.owned_endpoint(conn, endpoint_id, owner)
    before = None
    if cursor is not None:
        (raw,) = service.decode_cursor(cursor, 1)
        if not raw.isdigit():
            raise InvalidInput("The cursor is not valid.", type_slug="invalid-cursor")
        before = int(raw)
    rows = await repository.list_deliveries(conn, endpoint_id, before=before, limit=limit + 1)
    items = [WebhookDeliveryRead(**dict(r)) for r in rows]
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = service.encode_cursor(items[-1].id)
    return WebhookDeliveryPage(items=items, next_cursor=next_cursor)


@router.get(
    "/endpoints/{endpoint_id}/deliveries/{delivery_id}/attempts",
    summary="Every try of one delivery",
    responses={**auth_problem_responses(), **_NOT_FOUND},
)
async def list_attempts(
    endpoint_id: uuid.UUID, delivery_id: int, owner: Owner, conn: DbConnection
) -> list[WebhookAttemptRead]:
    await service.owned_endpoint(conn, endpoint_id, owner)
    rows = await repository.list_attempts(conn, endpoint_id, delivery_id)
    if rows is None:
        raise NotFound("No such delivery.", type_slug="webhook-delivery-not-found")
    return [WebhookAttemptRead(**dict(r)) for r in rows]
