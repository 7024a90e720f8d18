"""Idempotency keys: validate the header, hash the request, replay or store the answer."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse

from petitions.idempotency import repository
from petitions.idempotency.repository import StoredResponse
from petitions.problems import idempotency_key_reused
from sawt_shared.db import Connection
from sawt_shared.errors import InvalidInput

__all__ = [
    "HEADER",
    "HEADER_DESCRIPTION",
    "IdempotencyKey",
    "begin",
    "check_header",
    "replay",
    "request_hash",
    "store",
]

HEADER = "Idempotency-Key"
HEADER_DESCRIPTION = (
    "A key of your choosing (1-255 visible characters). A retry with the same "
    "key answers what the first request did, and changes nothing more."
)

IdempotencyKey = Annotated[str | None, Header(alias=HEADER, description=HEADER_DESCRIPTION)]


def check_header(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 255 or not key.isprintable() or not key.isascii():
        raise InvalidInput(
            "Idempotency-Key must be 1 to 255 visible ASCII characters.",
            type_slug="invalid-idempotency-key",
        )
    return key


def request_hash(operation: str, target: str, body: Any) -> str:
    canonical = json.dumps([operation, target, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(stored: StoredResponse, operation: str, digest: str) -> JSONResponse:
    """The stored answer, or 422 when the key was first used for another request."""
    if stored.operation != operation or stored.request_hash != digest:
        raise idempotency_key_reused()
    headers = {"Idempotency-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    return JSONResponse(stored.body, status_code=stored.status, headers=headers)


async def begin(
    conn: Connection, user_id: uuid.UUID, key: str, operation: str, digest: str
) -> JSONResponse | None:
    """Inside the request's transaction: lock the key; the replayed answer if it is known."""
    await repository.lock(conn, user_id, key)
    stored = await repository.find(conn, user_id, key)
    return replay(stored, operation, digest) if stored is not None else None


async def store(
    conn: Connection,
    user_id: uuid.UUID,
    key: str,
    *,
    operation: str,
    digest: str,
    status: int,
    body: Any,
    location: str | None = None,
) -> None:
    await repository.save(
        conn, user_id, key, StoredResponse(operation, digest, status, body, location)
    )
