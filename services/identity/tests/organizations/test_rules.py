"""The access rules as plain functions, and who may hold which scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from identity.oauth.scopes import UserStanding, permitted_scopes
from identity.organizations import auth


@dataclass(frozen=True)
class P:
    id: uuid.UUID
    roles: tuple[str, ...] = ()


CITIZEN, MODERATOR, ADMIN = (
    P(uuid.uuid4()),
    P(uuid.uuid4(), ("moderator",)),
    P(uuid.uuid4(), ("admin",)),
)


def test_users_read_themselves_and_staff_read_anyone() -> None:
    other = uuid.uuid4()
    assert auth.can_read_user(CITIZEN, CITIZEN.id)
    assert not auth.can_read_user(CITIZEN, other)
    assert auth.can_read_user(MODERATOR, other)
    assert auth.can_read_user(ADMIN, other)
    assert auth.can_change_roles(ADMIN)
    assert not auth.can_change_roles(MODERATOR)


@pytest.mark.parametrize(
    ("who", "role", "read", "invite"),
    [
        (CITIZEN, None, False, False),
        (CITIZEN, "viewer", True, False),
        (CITIZEN, "editor", True, False),
        (CITIZEN, "owner", True, True),
        (MODERATOR, None, True, False),
        (ADMIN, None, True, True),
    ],
)
def test_organisation_rules(who: P, role: str | None, read: bool, invite: bool) -> None:
    assert auth.can_read_organization(who, role) is read
    assert auth.can_invite(who, role) is invite


def test_membership_rules() -> None:
    member = uuid.uuid4()
    assert auth.can_change_member(CITIZEN, "viewer", CITIZEN.id, "viewer")  # leaving
    assert not auth.can_change_member(CITIZEN, "editor", member, "viewer")
    assert auth.can_change_member(CITIZEN, "owner", member, "viewer")
    assert not auth.can_change_member(MODERATOR, None, member, "viewer")
    assert auth.can_change_member(ADMIN, None, member, "owner")
    assert not auth.can_change_member(ADMIN, None, member, None)
    assert auth.can_verify_organization(ADMIN)
    assert not auth.can_verify_organization(MODERATOR)


def test_scopes_follow_roles() -> None:
    asked = ["openid", "petitions:sign", "petitions:moderate", "results:read", "admin"]
    assert permitted_scopes(asked, UserStanding()) == ["openid", "petitions:sign"]
    assert permitted_scopes(asked, UserStanding(frozenset({"moderator"}))) == [
        "openid",
        "petitions:sign",
        "petitions:moderate",
    ]
    editor = UserStanding(verified_org_roles=frozenset({"editor"}))
    assert "results:read" in permitted_scopes(asked, editor)
    viewer = UserStanding(verified_org_roles=frozenset({"viewer"}))
    assert "results:read" not in permitted_scopes(asked, viewer)
    assert permitted_scopes(asked, UserStanding(frozenset({"admin"}))) == asked
