"""``ETag`` and ``Cache-Control`` for public reads.

The ETag is a hash of the exact bytes sent, so ``If-None-Match`` answers 304 as
long as nothing the reader sees changed (counts included). A request carrying a
token may see more than the public, so its answer is private to it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel, TypeAdapter

__all__ = ["cached_response"]

_ANY = TypeAdapter(Any)


def _etag(payload: bytes) -> str:
    return '"' + hashlib.blake2b(payload, digest_size=16).hexdigest() + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return etag.removeprefix("W/") in candidates


def cached_response(
    request: Request,
    body: BaseModel | bytes | Any,
    *,
    max_age: int,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
    etag_basis: bytes | None = None,
) -> Response:
    """``body`` as a response with an ETag (304 when the client has it already).

    ``etag_basis``: the bytes the ETag is computed from when they are not the body's
    (a count's ``as_of`` moves at every fold; the ETag of a count that did not
    change should not, so it is then a weak one).
    """
    if isinstance(body, bytes):
        payload = body
    elif isinstance(body, BaseModel):
        payload = body.model_dump_json().encode()
    else:
        payload = _ANY.dump_json(body)
    etag = _etag(payload) if etag_basis is None else "W/" + _etag(etag_basis)
    private = "authorization" in request.headers
    out = {
        "ETag": etag,
        "Cache-Control": "private, no-cache" if private else f"public, max-age={max_age}",
        "Vary": "Authorization, Accept-Language",
        **(headers or {}),
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=out)
    return Response(payload, media_type=media_type, headers=out)
