"""Driving the authorization-code flow in-process, as a browser and a client would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from identity.testing import Factory, UserFixture

__all__ = [
    "REDIRECT_URI",
    "authorize",
    "code_of",
    "csrf_of",
    "get_tokens",
    "login",
    "pkce",
    "register_client",
]

REDIRECT_URI = "https://app.sawt.test/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, html
    return match.group(1)


async def register_client(
    client: httpx.AsyncClient, factory: Factory, **body: Any
) -> dict[str, Any]:
    admin = await factory.user(roles=("admin",))
    payload = {
        "name": "Sawt web",
        "kind": "public",
        "redirect_uris": [REDIRECT_URI],
        "allowed_scopes": [
            "openid",
            "profile",
            "email",
            "petitions:sign",
            "petitions:write",
            "account",
            "admin",
            "petitions:moderate",
        ],
        **body,
    }
    response = await client.post(
        "/api/v1/admin/clients", json=payload, headers=await factory.bearer(admin, "admin")
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def login(client: httpx.AsyncClient, user: UserFixture) -> None:
    response = await client.post(
        "/api/v1/sessions", json={"email": user.email, "password": user.password}
    )
    assert response.status_code == 200, response.text


async def authorize(
    client: httpx.AsyncClient,
    client_id: str,
    scope: str,
    *,
    challenge: str,
    decision: str = "approve",
    extra: dict[str, str] | None = None,
) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "st-" + secrets.token_hex(4),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "nonce": secrets.token_hex(8),
        **(extra or {}),
    }
    page = await client.get("/oauth2/authorize", params=params)
    if page.status_code != 200:
        return page
    form = {**params, "csrf_token": csrf_of(page.text), "decision": decision}
    return await client.post("/oauth2/authorize", data=form)


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["code"][0]


async def get_tokens(
    client: httpx.AsyncClient, factory: Factory, user: UserFixture, scope: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register a client, log in, consent and exchange the code: (client, token response)."""
    registered = await register_client(client, factory)
    await login(client, user)
    verifier, challenge = pkce()
    code = code_of(await authorize(client, registered["client_id"], scope, challenge=challenge))
    response = await client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": registered["client_id"],
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.text
    return registered, response.json()
