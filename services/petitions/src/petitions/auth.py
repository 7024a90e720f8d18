"""Who may call what: the scopes of the identity service's access tokens, as dependencies.

    petitions:write     create and edit one's petitions, invite sponsors
    petitions:sign      sign, withdraw, sponsor
    petitions:moderate  the moderation queue: publish, reject, hide, audit log
    petitions:respond   publish an official response (for a public body one belongs to)
    admin               channels, recounts

Scopes say what a client may do; object rules (only the creator edits, only a
member of the target body responds) are checked by the rules on every object.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from petitions.problems import coded
from sawt_shared.auth import AccessToken, require_scopes
from sawt_shared.errors import Forbidden

__all__ = [
    "AdminToken",
    "ModeratorToken",
    "ResponderToken",
    "SignerToken",
    "WriterToken",
    "user_id",
]

WriterToken = Annotated[AccessToken, Depends(require_scopes("petitions:write"))]
SignerToken = Annotated[AccessToken, Depends(require_scopes("petitions:sign"))]
ModeratorToken = Annotated[AccessToken, Depends(require_scopes("petitions:moderate"))]
ResponderToken = Annotated[AccessToken, Depends(require_scopes("petitions:respond"))]
AdminToken = Annotated[AccessToken, Depends(require_scopes("admin"))]


def user_id(token: AccessToken) -> uuid.UUID:
    """The Sawt user the token speaks for (its ``sub``)."""
    try:
        return uuid.UUID(token.subject)
    except ValueError:
        raise coded(
            Forbidden, "subject-not-uuid", "This action needs a user's token, not a client's."
        ) from None
