"""The authorization-code flow with PKCE, refresh rotation, revocation, userinfo."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jws

from identity.testing import Factory
from identity.testing.oauth import (
    REDIRECT_URI,
    authorize,
    code_of,
    get_tokens,
    login,
    pkce,
    register_client,
)
from sawt_shared.auth import TokenVerifier
from sawt_shared.errors import Unauthorized

pytestmark = pytest.mark.asyncio


def verifier_of(app: FastAPI) -> TokenVerifier:
    v: TokenVerifier = app.state.token_verifier
    return v


async def test_code_flow_gives_verifiable_tokens(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    registered, tokens = await get_tokens(
        client, factory, user, "openid profile email petitions:sign"
    )

    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == {"openid", "profile", "email", "petitions:sign"}
    assert tokens["refresh_token"]
    header = jws.extract_compact(tokens["access_token"].encode()).headers()
    assert header["typ"] == "at+jwt"
    assert header["kid"]
    access = await verifier_of(app).verify(tokens["access_token"])
    assert access.subject == str(user.id)
    assert access.client_id == registered["client_id"]
    assert access.has_scopes("petitions:sign")
    assert "id_token" in tokens

    info = await client.get(
        "/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == str(user.id)
    assert info.json()["email"] == user.email


async def test_a_citizen_never_gets_admin_or_moderation_scopes(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    _, tokens = await get_tokens(
        client, factory, user, "openid admin petitions:moderate petitions:sign"
    )
    assert tokens["scope"].split() == ["openid", "petitions:sign"]


async def test_pkce_is_required_and_s256_only(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user()
    registered = await register_client(client, factory)
    await login(client, user)
    base = {
        "response_type": "code",
        "client_id": registered["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "abc",
    }
    no_pkce = await client.get("/oauth2/authorize", params=base)
    assert no_pkce.status_code == 302
    assert "error=invalid_request" in no_pkce.headers["location"]
    plain = await client.get(
        "/oauth2/authorize",
        params={**base, "code_challenge": "a" * 43, "code_challenge_method": "plain"},
    )
    assert "error=invalid_request" in plain.headers["location"]


async def test_redirect_uris_match_exactly(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user()
    registered = await register_client(client, factory)
    await login(client, user)
    _, challenge = pkce()
    response = await authorize(
        client,
        registered["client_id"],
        "openid",
        challenge=challenge,
        extra={"redirect_uri": REDIRECT_URI + "/"},
    )
    # Never redirect to an unregistered URI: an error page instead.
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_no_implicit_and_no_password_grant(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    registered = await register_client(client, factory)
    await login(client, user)
    implicit = await client.get(
        "/oauth2/authorize",
        params={
            "response_type": "token",
            "client_id": registered["client_id"],
            "redirect_uri": REDIRECT_URI,
        },
    )
    assert "unsupported_response_type" in implicit.headers.get("location", implicit.text)
    password = await client.post(
        "/oauth2/token",
        data={
            "grant_type": "password",
            "username": user.email,
            "password": user.password,
            "client_id": registered["client_id"],
        },
    )
    assert password.status_code == 400
    assert password.json()["error"] == "unsupported_grant_type"


async def test_deny_returns_access_denied(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user()
    registered = await register_client(client, factory)
    await login(client, user)
    _, challenge = pkce()
    response = await authorize(
        client, registered["client_id"], "openid", challenge=challenge, decision="deny"
    )
    assert response.status_code == 302
    assert "error=access_denied" in response.headers["location"]


async def test_consent_without_csrf_is_refused(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user()
    registered = await register_client(client, factory)
    await login(client, user)
    _, challenge = pkce()
    response = await client.post(
        "/oauth2/authorize",
        data={
            "response_type": "code",
            "client_id": registered["client_id"],
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "decision": "approve",
        },
    )
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_code_works_once_and_its_reuse_revokes_the_tokens(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    registered = await register_client(client, factory)
    await login(client, user)
    verifier, challenge = pkce()
    code = code_of(await authorize(client, registered["client_id"], "openid", challenge=challenge))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": registered["client_id"],
        "code_verifier": verifier,
    }
    first = await client.post("/oauth2/token", data=form)
    assert first.status_code == 200
    second = await client.post("/oauth2/token", data=form)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    refreshed = await client.post(
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first.json()["refresh_token"],
            "client_id": registered["client_id"],
        },
    )
    assert refreshed.json()["error"] == "invalid_grant"


async def test_wrong_code_verifier_is_refused(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user()
    registered = await register_client(client, factory)
    await login(client, user)
    _, challenge = pkce()
    code = code_of(await authorize(client, registered["client_id"], "openid", challenge=challenge))
    other, _ = pkce()
    response = await client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": registered["client_id"],
            "code_verifier": other,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    registered, tokens = await get_tokens(client, factory, user, "openid petitions:sign")
    client_id = registered["client_id"]

    async def refresh(token: str) -> httpx.Response:
        return await client.post(
            "/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id},
        )

    first = await refresh(tokens["refresh_token"])
    assert first.status_code == 200, first.text
    rotated = first.json()["refresh_token"]
    assert rotated != tokens["refresh_token"]

    reused = await refresh(tokens["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    # The thief's reuse also ended the rotated token.
    after = await refresh(rotated)
    assert after.json()["error"] == "invalid_grant"


async def test_revocation_and_introspection(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user()
    registered, tokens = await get_tokens(client, factory, user, "openid")
    client_id = registered["client_id"]
    revoked = await client.post(
        "/oauth2/revoke",
        data={
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": client_id,
        },
    )
    assert revoked.status_code == 200, revoked.text
    again = await client.post(
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client_id,
        },
    )
    assert again.json()["error"] == "invalid_grant"
    info = await client.get(
        "/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 401
    # Public clients cannot introspect.
    introspect = await client.post(
        "/oauth2/introspect", data={"token": tokens["access_token"], "client_id": client_id}
    )
    assert introspect.status_code in (400, 401)


async def test_unknown_user_token_is_refused_by_the_verifier(
    app: FastAPI, factory: Factory
) -> None:
    user = await factory.user()
    token = await factory.token(user, "openid")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(Unauthorized):
        await verifier_of(app).verify(tampered)


async def test_discovery_and_jwks(client: httpx.AsyncClient) -> None:
    config = (await client.get("/.well-known/openid-configuration")).json()
    assert config["issuer"] == "https://identity.test"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert "implicit" not in config["grant_types_supported"]
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert keys
    assert all("d" not in k and "p" not in k for k in keys)


async def test_a_refresh_drops_scopes_the_user_lost(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    moderator = await factory.user(roles=("moderator",))
    registered, tokens = await get_tokens(
        client, factory, moderator, "openid petitions:moderate petitions:sign"
    )
    assert "petitions:moderate" in tokens["scope"].split()
    await factory.pool.execute("UPDATE users SET roles = '{}' WHERE id = $1", moderator.id)
    refreshed = await client.post(
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": registered["client_id"],
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["scope"].split() == ["openid", "petitions:sign"]
