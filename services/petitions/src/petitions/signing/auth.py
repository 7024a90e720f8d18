"""The sign route's token check in one call.

It calls the shared checks (``optional_bearer_token``, ``bearer_token``,
``current_token``, ``require_scopes``) in a row, so the problems it answers are the
shared ones, without FastAPI solving five dependencies on the route that takes a
viral petition's traffic (each solved dependency costs measurable CPU).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials

from sawt_shared.auth import (
    AccessToken,
    bearer_token,
    current_token,
    optional_bearer_token,
    require_scopes,
)

__all__ = ["SIGN_SCOPE", "sign_token"]

SIGN_SCOPE = "petitions:sign"

_scoped = require_scopes(SIGN_SCOPE)


def _credentials(request: Request) -> HTTPAuthorizationCredentials | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=value)


async def sign_token(request: Request) -> AccessToken:
    """The request's verified access token, granting ``petitions:sign``."""
    raw = await bearer_token(await optional_bearer_token(request, _credentials(request)))
    return await _scoped(await current_token(request, raw))
