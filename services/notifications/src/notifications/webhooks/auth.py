"""Who owns a webhook endpoint: the organisation, or the API client, the token acts for.

A token with scope ``notifications:manage`` and an ``organization_id`` claim acts for
that organisation (the identity service puts the claim only for its members); a
client-credentials token (``sub`` is the client itself) acts for the client. A
person's token without an organisation owns no endpoints. Every endpoint read or
changed is checked against this owner; someone else's endpoint is "not found".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from sawt_shared.auth import AccessToken, require_scopes
from sawt_shared.errors import Forbidden

__all__ = ["MANAGE_SCOPE", "Owner", "owner_of"]

MANAGE_SCOPE = "notifications:manage"


def owner_of(token: AccessToken) -> str:
    org = token.claims.get("organization_id")
    if isinstance(org, str) and org:
        return f"org:{org}"
    if token.subject == token.client_id:
        return f"client:{token.client_id}"
    raise Forbidden(
        "Webhooks belong to an organisation or an API client; this token acts for neither.",
        type_slug="webhook-owner-required",
        title="The token acts for no organisation or client",
    )


async def _owner(token: Annotated[AccessToken, Depends(require_scopes(MANAGE_SCOPE))]) -> str:
    return owner_of(token)


Owner = Annotated[str, Depends(_owner)]
