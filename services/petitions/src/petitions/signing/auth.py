"""The sign route's token check in one dependency.

It calls the shared checks (``optional_bearer_token``, ``bearer_token``,
``current_token``, ``require_scopes``) in a row, so the problems it answers are the
shared ones, but FastAPI solves one dependency instead of five: on the route that
takes a viral petition's traffic each solved dependency costs measurable CPU.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from sawt_shared.auth import (
    AccessToken,
    bearer_token,
    current_token,
    optional_bearer_token,
    require_scopes,
)

__all__ = ["SIGN_SECURITY", "SignToken"]

_scoped = require_scopes("petitions:sign")

#: OpenAPI security requirement of the route (the shared scheme, by its name).
SIGN_SECURITY: dict[str, Any] = {"security": [{"AccessToken": ["petitions:sign"]}]}


def _credentials(request: Request) -> HTTPAuthorizationCredentials | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=value)


async def sign_token(request: Request) -> AccessToken:
    raw = await bearer_token(await optional_bearer_token(request, _credentials(request)))
    return await _scoped(await current_token(request, raw))


SignToken = Annotated[AccessToken, Depends(sign_token)]
