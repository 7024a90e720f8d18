"""Consent to a third-party app is asked once, remembered, listed and withdrawn."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from identity.testing import Factory, UserFixture
from identity.testing.oauth import (
    REDIRECT_URI,
    authorize,
    code_of,
    login,
    pkce,
    register_client,
)

pytestmark = pytest.mark.asyncio

PARAMS = {"response_type": "code", "redirect_uri": REDIRECT_URI, "code_challenge_method": "S256"}


async def ask(
    client: httpx.AsyncClient, client_id: str, scope: str, **extra: str
) -> httpx.Response:
    """A bare authorization request, as the app sends it (no form posted)."""
    _, challenge = pkce()
    return await client.get(
        "/oauth2/authorize",
        params={
            **PARAMS,
            "client_id": client_id,
            "scope": scope,
            "code_challenge": challenge,
            **extra,
        },
    )


async def allowed_app(
    client: httpx.AsyncClient, factory: Factory, scope: str
) -> tuple[UserFixture, dict[str, Any], str, str]:
    """A user signed in who allowed a new third-party app ``scope`` on the consent page:
    (the user, the app, the code, its PKCE verifier)."""
    user = await factory.user()
    app = await register_client(client, factory)
    await login(client, user)
    verifier, challenge = pkce()
    code = code_of(await authorize(client, app["client_id"], scope, challenge=challenge))
    return user, app, code, verifier


async def test_an_allowed_app_is_not_asked_again_for_what_it_was_allowed(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    # the first time: the consent page, allowed
    _, app, _, _ = await allowed_app(client, factory, "openid petitions:sign")
    # the same or fewer scopes: straight back with a code
    again = await ask(client, app["client_id"], "openid")
    assert code_of(again)
    # more than was allowed, or the app asking explicitly: the page again
    more = await ask(client, app["client_id"], "openid petitions:sign profile")
    assert more.status_code == 200
    assert "<form" in more.text
    forced = await ask(client, app["client_id"], "openid", prompt="consent")
    assert forced.status_code == 200
    # another user of the same browser has allowed nothing
    other = await factory.user()
    await login(client, other)
    assert (await ask(client, app["client_id"], "openid")).status_code == 200


async def test_a_withdrawn_consent_is_asked_again_and_ends_the_apps_tokens(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user, app, code, verifier = await allowed_app(client, factory, "openid")
    tokens = (
        await client.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": app["client_id"],
                "code_verifier": verifier,
            },
        )
    ).json()
    me = await factory.bearer(user, "account")

    listed = await client.get("/api/v1/me/consents", headers=me)
    assert listed.status_code == 200, listed.text
    assert [(c["client_id"], c["scopes"]) for c in listed.json()] == [
        (app["client_id"], ["openid"])
    ]
    # nobody withdraws what another user allowed: each sees only their own
    stranger = await factory.user()
    theirs = await factory.bearer(stranger, "account")
    assert (await client.get("/api/v1/me/consents", headers=theirs)).json() == []
    gone = await client.delete(f"/api/v1/me/consents/{app['client_id']}", headers=theirs)
    assert gone.status_code == 404

    withdrawn = await client.delete(f"/api/v1/me/consents/{app['client_id']}", headers=me)
    assert withdrawn.status_code == 204
    assert (await client.get("/api/v1/me/consents", headers=me)).json() == []
    refreshed = await client.post(
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app["client_id"],
        },
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    assert (await ask(client, app["client_id"], "openid")).status_code == 200


async def test_consents_are_in_the_export_and_go_with_the_account(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user, app, _, _ = await allowed_app(client, factory, "openid profile")
    me = await factory.bearer(user, "account")
    exported = (await client.get("/api/v1/me/export", headers=me)).json()
    assert [(c["client_id"], c["scopes"]) for c in exported["consents"]] == [
        (app["client_id"], ["openid", "profile"])
    ]
    deleted = await client.request(
        "DELETE", "/api/v1/me", json={"password": user.password}, headers=me
    )
    assert deleted.status_code == 204
    left = await factory.pool.fetchval("SELECT count(*) FROM consents WHERE user_id = $1", user.id)
    assert left == 0
