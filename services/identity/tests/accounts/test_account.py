"""My account: profile, email change, export, deletion."""

from __future__ import annotations

import httpx
import pytest

from identity.testing import Factory

pytestmark = pytest.mark.asyncio


async def test_profile_update_publishes_the_change(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    headers = await factory.bearer(user, "account")
    response = await client.patch(
        "/api/v1/me", json={"language": "ar", "region": "oriental"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["language"] == "ar"
    [event] = await factory.events("ma.sawt.user.profile_updated.v1", str(user.id))
    assert (event["language"], event["region"]) == ("ar", "oriental")
    bad = await client.patch("/api/v1/me", json={"region": "mars"}, headers=headers)
    assert bad.status_code == 422


async def test_email_change_needs_the_password_and_the_new_address(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    headers = await factory.bearer(user, "account")
    wrong = await client.post(
        "/api/v1/me/email",
        json={"new_email": "new-addr@example.org", "password": "nope"},
        headers=headers,
    )
    assert wrong.status_code == 401
    taken = await factory.user()
    clash = await client.post(
        "/api/v1/me/email",
        json={"new_email": taken.email, "password": user.password},
        headers=headers,
    )
    assert clash.status_code == 409
    asked = await client.post(
        "/api/v1/me/email",
        json={"new_email": "new-addr@example.org", "password": user.password},
        headers=headers,
    )
    assert asked.status_code == 202
    [message] = await factory.events("ma.sawt.user.email_change_requested.v1", str(user.id))
    assert message["new_email"] == "new-addr@example.org"
    assert (await client.get("/api/v1/me", headers=headers)).json()["email"] == user.email
    confirmed = await client.post(
        "/api/v1/accounts/email-confirmations",
        json={"email": "new-addr@example.org", "code": message["code"]},
    )
    assert confirmed.status_code == 200, confirmed.text
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["email"] == "new-addr@example.org"
    assert me["email_verified"] is True


async def test_export_holds_everything_and_no_secret(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    await factory.organization(user)
    response = await client.get("/api/v1/me/export", headers=await factory.bearer(user, "account"))
    assert response.status_code == 200
    data = response.json()
    assert data["account"]["email"] == user.email
    assert len(data["memberships"]) == 1
    text = response.text
    assert "password" not in text
    assert "hash" not in text


async def test_deletion_anonymises_and_publishes(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    other = await factory.user()
    org_id = await factory.organization(other)
    await factory.member(org_id, user, "editor")
    headers = await factory.bearer(user, "account")
    wrong = await client.request("DELETE", "/api/v1/me", json={"password": "nope"}, headers=headers)
    assert wrong.status_code == 401
    deleted = await client.request(
        "DELETE", "/api/v1/me", json={"password": user.password}, headers=headers
    )
    assert deleted.status_code == 204
    assert await factory.events("ma.sawt.user.deleted.v1", str(user.id))
    removed = await factory.events("ma.sawt.organization.member_removed.v1", str(org_id))
    assert [e["user_id"] for e in removed] == [str(user.id)]
    gone = await client.get("/api/v1/me", headers=headers)
    assert gone.status_code == 401
    login = await client.post(
        "/api/v1/sessions", json={"email": user.email, "password": user.password}
    )
    assert login.status_code == 401
    row = await factory.pool.fetchrow(
        "SELECT email, display_name, password_hash FROM users WHERE id = $1", user.id
    )
    assert row is not None
    assert tuple(row) == (None, "", None)


async def test_a_sole_owner_with_members_cannot_delete(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    owner, member = await factory.user(), await factory.user()
    org_id = await factory.organization(owner)
    await factory.member(org_id, member, "viewer")
    response = await client.request(
        "DELETE",
        "/api/v1/me",
        json={"password": owner.password},
        headers=await factory.bearer(owner, "account"),
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("sole-owner")
