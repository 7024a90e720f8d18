"""Who may read or change what: plain rules over values, tested without I/O.

Platform roles are ``moderator`` and ``admin``; organisation roles are ``owner``,
``editor`` and ``viewer``. Nobody reads or changes a user, an organisation or a
membership that is not theirs unless a role allows it.
"""

from __future__ import annotations

import uuid
from typing import Protocol

__all__ = [
    "can_change_member",
    "can_change_roles",
    "can_invite",
    "can_read_members",
    "can_read_organization",
    "can_read_user",
    "can_verify_organization",
]


class _Person(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def roles(self) -> tuple[str, ...]: ...


def _is_admin(who: _Person) -> bool:
    return "admin" in who.roles


def _is_staff(who: _Person) -> bool:
    return bool({"admin", "moderator"} & set(who.roles))


def can_read_user(who: _Person, user_id: uuid.UUID) -> bool:
    """Oneself; moderators and admins read anyone."""
    return who.id == user_id or _is_staff(who)


def can_change_roles(who: _Person) -> bool:
    return _is_admin(who)


def can_read_organization(who: _Person, my_role: str | None) -> bool:
    """Members read their organisation; moderators and admins read any."""
    return my_role is not None or _is_staff(who)


def can_read_members(who: _Person, my_role: str | None) -> bool:
    return can_read_organization(who, my_role)


def can_invite(who: _Person, my_role: str | None) -> bool:
    """Owners invite; admins too."""
    return my_role == "owner" or _is_admin(who)


def can_change_member(
    who: _Person, my_role: str | None, member_id: uuid.UUID, member_role: str | None
) -> bool:
    """Remove or change a member: an owner may (any member), a member may leave
    (remove themself), an admin may. Moderators may not."""
    if member_role is None:
        return False
    if who.id == member_id:
        return True
    return my_role == "owner" or _is_admin(who)


def can_verify_organization(who: _Person) -> bool:
    return _is_admin(who)
