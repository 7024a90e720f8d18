"""Organisations through the API: who may read and change what, and the events."""

from __future__ import annotations

import uuid

import httpx
import pytest

from identity.testing import Factory, UserFixture, link_token

pytestmark = pytest.mark.asyncio


async def _h(factory: Factory, user: UserFixture, scope: str = "organizations") -> dict[str, str]:
    return await factory.bearer(user, scope)


async def test_create_invite_accept_leave(client: httpx.AsyncClient, factory: Factory) -> None:
    owner = await factory.user()
    created = await client.post(
        "/api/v1/organizations",
        json={"name": "Association Tafraout", "kind": "association"},
        headers=await _h(factory, owner),
    )
    assert created.status_code == 201, created.text
    org_id = created.json()["id"]
    assert created.json()["my_role"] == "owner"
    assert created.json()["verified"] is False
    assert await factory.events("ma.sawt.organization.created.v1", org_id)

    invitee = await factory.user()
    invited = await client.post(
        f"/api/v1/organizations/{org_id}/invitations",
        json={"email": invitee.email, "role": "editor"},
        headers=await _h(factory, owner),
    )
    assert invited.status_code == 201, invited.text
    [message] = await factory.events("ma.sawt.organization.invitation_sent.v1", org_id)
    token = link_token(message["link"])
    assert message["email"] == invitee.email

    stranger = await factory.user()
    stolen = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=await _h(factory, stranger)
    )
    assert stolen.status_code == 403
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=await _h(factory, invitee)
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["my_role"] == "editor"
    again = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=await _h(factory, invitee)
    )
    assert again.status_code == 410

    members = await client.get(
        f"/api/v1/organizations/{org_id}/members", headers=await _h(factory, invitee)
    )
    assert {m["user_id"] for m in members.json()} == {str(owner.id), str(invitee.id)}

    left = await client.delete(
        f"/api/v1/organizations/{org_id}/members/{invitee.id}", headers=await _h(factory, invitee)
    )
    assert left.status_code == 204
    added = await factory.events("ma.sawt.organization.member_added.v1", org_id)
    removed = await factory.events("ma.sawt.organization.member_removed.v1", org_id)
    assert [e["user_id"] for e in added] == [str(owner.id), str(invitee.id)]
    assert [e["user_id"] for e in removed] == [str(invitee.id)]


async def test_the_last_owner_cannot_leave(client: httpx.AsyncClient, factory: Factory) -> None:
    owner = await factory.user()
    org_id = await factory.organization(owner)
    response = await client.delete(
        f"/api/v1/organizations/{org_id}/members/{owner.id}", headers=await _h(factory, owner)
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("last-owner")


async def test_outsiders_neither_read_nor_change_an_organisation(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    owner, viewer, outsider = await factory.user(), await factory.user(), await factory.user()
    org_id = await factory.organization(owner)
    await factory.member(org_id, viewer, "viewer")
    for path in (f"/api/v1/organizations/{org_id}", f"/api/v1/organizations/{org_id}/members"):
        response = await client.get(path, headers=await _h(factory, outsider))
        assert response.status_code == 404
    invite = await client.post(
        f"/api/v1/organizations/{org_id}/invitations",
        json={"email": "x@example.org"},
        headers=await _h(factory, outsider),
    )
    assert invite.status_code == 404
    remove = await client.delete(
        f"/api/v1/organizations/{org_id}/members/{owner.id}", headers=await _h(factory, outsider)
    )
    assert remove.status_code == 404
    # A viewer reads, but neither invites nor removes nor promotes.
    assert (
        await client.get(f"/api/v1/organizations/{org_id}", headers=await _h(factory, viewer))
    ).status_code == 200
    invite = await client.post(
        f"/api/v1/organizations/{org_id}/invitations",
        json={"email": "x@example.org"},
        headers=await _h(factory, viewer),
    )
    assert invite.status_code == 403
    remove = await client.delete(
        f"/api/v1/organizations/{org_id}/members/{owner.id}", headers=await _h(factory, viewer)
    )
    assert remove.status_code == 403
    promote = await client.patch(
        f"/api/v1/organizations/{org_id}/members/{viewer.id}",
        json={"role": "owner"},
        headers=await _h(factory, viewer),
    )
    assert promote.status_code == 403
    mine = await client.get("/api/v1/organizations", headers=await _h(factory, outsider))
    assert org_id not in {o["id"] for o in mine.json()["items"]}
    everything = await client.get(
        "/api/v1/organizations?all=true", headers=await _h(factory, outsider)
    )
    assert everything.status_code == 403


async def test_only_admins_verify_and_it_is_audited(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    owner = await factory.user()
    org_id = await factory.organization(owner, kind="public_body")
    moderator = await factory.user(roles=("moderator",))
    admin = await factory.user(roles=("admin",))
    for who in (owner, moderator):
        response = await client.post(
            f"/api/v1/organizations/{org_id}/verification",
            json={},
            headers=await factory.bearer(who, "admin"),
        )
        assert response.status_code == 403
    # The scope alone is not enough, nor the role without the scope.
    no_scope = await client.post(
        f"/api/v1/organizations/{org_id}/verification",
        json={},
        headers=await factory.bearer(admin, "organizations"),
    )
    assert no_scope.status_code == 403
    verified = await client.post(
        f"/api/v1/organizations/{org_id}/verification",
        json={"note": "statutes checked"},
        headers=await factory.bearer(admin, "admin"),
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True
    [event] = await factory.events("ma.sawt.organization.verified.v1", str(org_id))
    assert event["verified_by"] == str(admin.id)
    audit = await client.get(
        f"/api/v1/organizations/{org_id}/audit", headers=await _h(factory, moderator)
    )
    assert "organization.verified" in [a["action"] for a in audit.json()]
    assert (
        await client.get(f"/api/v1/organizations/{org_id}/audit", headers=await _h(factory, owner))
    ).status_code == 403
    # Staff read any organisation.
    assert (
        await client.get(f"/api/v1/organizations/{org_id}", headers=await _h(factory, moderator))
    ).status_code == 200


async def test_users_are_private_to_themselves_and_staff(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    a, b = await factory.user(), await factory.user()
    moderator = await factory.user(roles=("moderator",))
    assert (
        await client.get(f"/api/v1/users/{a.id}", headers=await factory.bearer(a, "account"))
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/users/{a.id}", headers=await factory.bearer(b, "account"))
    ).status_code == 403
    assert (
        await client.get(
            f"/api/v1/users/{a.id}", headers=await factory.bearer(moderator, "account")
        )
    ).status_code == 200
    roles = await client.put(
        f"/api/v1/users/{b.id}/roles",
        json={"roles": ["moderator"]},
        headers=await factory.bearer(moderator, "admin"),
    )
    assert roles.status_code == 403
    admin = await factory.user(roles=("admin",))
    roles = await client.put(
        f"/api/v1/users/{b.id}/roles",
        json={"roles": ["moderator"]},
        headers=await factory.bearer(admin, "admin"),
    )
    assert roles.status_code == 200
    assert roles.json()["roles"] == ["moderator"]
    missing = await client.get(
        f"/api/v1/users/{uuid.uuid4()}", headers=await factory.bearer(admin, "account")
    )
    assert missing.status_code == 404


async def test_a_client_token_cannot_act_as_a_user(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    token = await factory.token(user, "account")
    # A token without the account scope is refused.
    response = await client.get("/api/v1/me", headers=await factory.bearer(user, "openid"))
    assert response.status_code == 403
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
