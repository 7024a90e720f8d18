"""The signed-in person behind a request: a user token's subject, a UUID."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from sawt_shared.auth import Token
from sawt_shared.errors import Forbidden

__all__ = ["CurrentUser"]


async def _current_user(token: Token) -> uuid.UUID:
    """Feed and preferences belong to a person: a client acting for itself has none."""
    try:
        user_id = uuid.UUID(token.subject)
    except ValueError:
        user_id = None
    if user_id is None or token.subject == token.client_id:
        raise Forbidden(
            "This endpoint is for a signed-in person.",
            type_slug="user-token-required",
            title="A user's access token is required",
        )
    return user_id


CurrentUser = Annotated[uuid.UUID, Depends(_current_user)]
