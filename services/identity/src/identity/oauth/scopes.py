"""The scopes this provider grants, and which users may hold each.

A token's scope is what the user consented to, within what the client is allowed,
within what the user's roles allow: a citizen never gets ``admin`` through any client.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "OIDC_SCOPES",
    "SCOPES",
    "SERVICE_SCOPES",
    "UserStanding",
    "permitted_scopes",
]

#: OpenID Connect scopes.
OIDC_SCOPES: tuple[str, ...] = ("openid", "profile", "email", "offline_access")

#: Scopes the Sawt services demand.
SERVICE_SCOPES: tuple[str, ...] = (
    "petitions:write",
    "petitions:sign",
    "petitions:moderate",
    "petitions:respond",
    "consultations:manage",
    "consultations:respond",
    "results:read",
    "notifications:manage",
    "admin",
)

#: The identity service's own API: the account (profile, export, deletion) and
#: the organisations a user belongs to.
IDENTITY_SCOPES: tuple[str, ...] = ("account", "organizations")

SCOPES: tuple[str, ...] = OIDC_SCOPES + IDENTITY_SCOPES + SERVICE_SCOPES

#: Scopes any user may hold.
_EVERYONE = frozenset(
    OIDC_SCOPES
    + IDENTITY_SCOPES
    + ("petitions:write", "petitions:sign", "consultations:respond", "notifications:manage")
)
#: Scopes for members (owner or editor) of a verified organisation.
_ORGANISATION = frozenset({"petitions:respond", "consultations:manage", "results:read"})


@dataclass(frozen=True)
class UserStanding:
    """What decides a user's scopes: platform roles and verified-organisation roles."""

    roles: frozenset[str] = frozenset()
    verified_org_roles: frozenset[str] = field(default_factory=frozenset)


def _allowed(scope: str, who: UserStanding) -> bool:
    if "admin" in who.roles:
        return scope in SCOPES
    if scope in _EVERYONE:
        return True
    if scope == "petitions:moderate":
        return "moderator" in who.roles
    if scope in _ORGANISATION:
        return bool(who.verified_org_roles & {"owner", "editor"})
    return False


def permitted_scopes(requested: Iterable[str], who: UserStanding) -> list[str]:
    """``requested`` less what ``who`` may not hold, in the order asked."""
    return [s for s in dict.fromkeys(requested) if _allowed(s, who)]
