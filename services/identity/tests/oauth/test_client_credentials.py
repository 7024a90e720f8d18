"""Client credentials for confidential (government) clients, introspection."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from identity.testing import Factory
from identity.testing.oauth import register_client
from sawt_shared.auth import TokenVerifier

pytestmark = pytest.mark.asyncio


async def _government(client: httpx.AsyncClient, factory: Factory) -> tuple[str, str]:
    registered = await register_client(
        client,
        factory,
        name="Ministry",
        kind="confidential",
        redirect_uris=[],
        allowed_scopes=["results:read", "petitions:respond"],
    )
    assert registered["client_secret"]
    assert registered["grant_types"] == ["client_credentials"]
    return registered["client_id"], registered["client_secret"]


async def test_a_government_client_gets_only_its_allowed_scopes(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    client_id, secret = await _government(client, factory)
    response = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "results:read petitions:respond admin"},
        auth=(client_id, secret),
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["scope"].split() == ["results:read", "petitions:respond"]
    assert "refresh_token" not in token
    verifier: TokenVerifier = app.state.token_verifier
    access = await verifier.verify(token["access_token"])
    assert access.subject == client_id
    assert access.scopes == {"results:read", "petitions:respond"}

    introspected = await client.post(
        "/oauth2/introspect", data={"token": token["access_token"]}, auth=(client_id, secret)
    )
    assert introspected.status_code == 200
    assert introspected.json()["active"] is True
    assert introspected.json()["client_id"] == client_id


async def test_no_scope_asked_means_every_allowed_scope(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client_id, secret = await _government(client, factory)
    response = await client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert set(response.json()["scope"].split()) == {"results:read", "petitions:respond"}


async def test_only_forbidden_scopes_is_invalid_scope(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client_id, secret = await _government(client, factory)
    response = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "admin"},
        auth=(client_id, secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


async def test_a_wrong_secret_is_refused(client: httpx.AsyncClient, factory: Factory) -> None:
    client_id, _ = await _government(client, factory)
    response = await client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, "wrong")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_a_public_client_cannot_use_client_credentials(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    registered = await register_client(client, factory)
    response = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": registered["client_id"]},
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_client", "unauthorized_client")


async def test_introspection_of_another_clients_token_is_inactive(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    a_id, a_secret = await _government(client, factory)
    b_id, b_secret = await _government(client, factory)
    token = (
        await client.post(
            "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(a_id, a_secret)
        )
    ).json()["access_token"]
    response = await client.post("/oauth2/introspect", data={"token": token}, auth=(b_id, b_secret))
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json() == {"active": False}


async def test_a_revoked_client_gets_no_token(client: httpx.AsyncClient, factory: Factory) -> None:
    client_id, secret = await _government(client, factory)
    admin = await factory.user(roles=("admin",))
    deleted = await client.delete(
        f"/api/v1/admin/clients/{client_id}", headers=await factory.bearer(admin, "admin")
    )
    assert deleted.status_code == 204
    response = await client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert response.status_code == 401


async def test_only_admins_register_clients(client: httpx.AsyncClient, factory: Factory) -> None:
    moderator = await factory.user(roles=("moderator",))
    citizen = await factory.user()
    body = {
        "name": "x",
        "kind": "public",
        "redirect_uris": ["https://x.test/cb"],
        "allowed_scopes": ["openid"],
    }
    for who in (moderator, citizen):
        response = await client.post(
            "/api/v1/admin/clients", json=body, headers=await factory.bearer(who, "admin")
        )
        assert response.status_code == 403
        listing = await client.get(
            "/api/v1/admin/clients", headers=await factory.bearer(who, "admin")
        )
        assert listing.status_code == 403
    admin = await factory.user(roles=("admin",))
    no_scope = await client.post(
        "/api/v1/admin/clients", json=body, headers=await factory.bearer(admin, "account")
    )
    assert no_scope.status_code == 403


async def test_client_registration_checks_its_input(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.user(roles=("admin",))
    headers = await factory.bearer(admin, "admin")
    for body, slug in (
        (
            {
                "name": "x1",
                "kind": "public",
                "redirect_uris": ["http://evil.test/cb"],
                "allowed_scopes": ["openid"],
            },
            "invalid-redirect-uri",
        ),
        (
            {
                "name": "x2",
                "kind": "public",
                "redirect_uris": ["https://ok.test/cb"],
                "allowed_scopes": ["root"],
            },
            "unknown-scope",
        ),
        (
            {"name": "x3", "kind": "public", "redirect_uris": [], "allowed_scopes": ["openid"]},
            "invalid-redirect-uri",
        ),
    ):
        response = await client.post("/api/v1/admin/clients", json=body, headers=headers)
        assert response.status_code == 422
        assert response.json()["type"].endswith(slug)
    listing = await client.get("/api/v1/admin/clients", headers=headers)
    assert not [c for c in listing.json() if c["name"] in ("x1", "x2", "x3")]
    assert all("secret" not in str(k) for c in listing.json() for k in c)
