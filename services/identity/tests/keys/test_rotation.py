"""Key rotation: old tokens still verify, new ones use the new key."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jws

from identity.keys.__main__ import main as keys_cli
from identity.settings import IdentitySettings
from identity.testing import Factory
from identity.testing.oauth import register_client
from sawt_shared.auth import JWKSCache, TokenVerifier

pytestmark = pytest.mark.asyncio


def _kid(token: str) -> str:
    return str(jws.extract_compact(token.encode()).headers()["kid"])


async def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    settings: IdentitySettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    registered = await register_client(
        client, factory, kind="confidential", redirect_uris=[], allowed_scopes=["results:read"]
    )
    auth = (registered["client_id"], registered["client_secret"])

    async def token() -> str:
        r = await client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    before = await token()
    monkeypatch.setenv("IDENTITY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("IDENTITY_SECRET_KEY", settings.secret_key)
    import anyio.to_thread

    assert await anyio.to_thread.run_sync(keys_cli, ["rotate", "--delay", "3600"]) == 0
    assert "published now" in capsys.readouterr().out
    pending = await token()
    assert _kid(pending) == _kid(before)  # the new key is published, not signing yet
    published = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert len(published) >= 2
    assert _kid(before) in published

    assert await anyio.to_thread.run_sync(keys_cli, ["rotate", "--now"]) == 0
    after = await token()

    assert _kid(before) != _kid(after)
    published = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert {_kid(before), _kid(after)} <= published

    # A resource server verifying against the published key set accepts both.
    verifier = TokenVerifier(
        JWKSCache("https://identity.test/.well-known/jwks.json", client),
        issuer=settings.issuer,
        audience=settings.access_token_audience,
    )
    assert (await verifier.verify(before)).client_id == registered["client_id"]
    assert (await verifier.verify(after)).client_id == registered["client_id"]
