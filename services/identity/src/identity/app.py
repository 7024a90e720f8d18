"""The identity service's ASGI app: ``uvicorn --factory identity.app:create_app``."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from identity.accounts.endpoints import router as accounts_router
from identity.bootstrap import build_identity
from identity.clients.endpoints import router as clients_router
from identity.consents.endpoints import router as consents_router
from identity.eid.endpoints import router as eid_router
from identity.keys.service import SigningKeys
from identity.oauth.endpoints import router as oauth_router
from identity.organizations.endpoints import router as organizations_router
from identity.settings import IdentitySettings
from identity.web.endpoints import router as pages_router
from sawt_shared.app import Runtime, create_service_app
from sawt_shared.auth import JWKSCache, TokenVerifier

__all__ = ["create_app"]

DESCRIPTION = (
    "Who everyone is: accounts, organisations, roles, and the OAuth 2.0 / OpenID Connect "
    "provider that issues every token."
)


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    app: FastAPI | None = None

    async def on_startup(runtime: Runtime) -> None:
        assert app is not None
        async with runtime.pool.acquire() as conn, conn.transaction():
            await SigningKeys(conn, settings).signing_key()  # made, and decryptable
        # The identity service checks its own access tokens (for its API) against its own
        # key set, asked in-process rather than over the network.
        local = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=settings.issuer, timeout=10.0
        )
        runtime.tasks.append(_closer(local))
        app.state.token_verifier = TokenVerifier(
            # In-process and cheap: an unknown kid is looked up at once (a rotated-in key
            # signs as soon as its activation time comes).
            JWKSCache(
                settings.issuer.rstrip("/") + "/.well-known/jwks.json",
                local,
                min_refresh_interval=0.0,
            ),
            issuer=settings.issuer,
            audience=settings.access_token_audience,
        )

    app = create_service_app(
        settings,
        title="Sawt identity",
        description=DESCRIPTION,
        routers=[
            accounts_router,
            organizations_router,
            clients_router,
            oauth_router,
            consents_router,
            eid_router,
            pages_router,
        ],
        on_startup=on_startup,
    )
    app.state.identity = build_identity(settings)
    return app


def _closer(client: httpx.AsyncClient) -> asyncio.Task[None]:
    """A task that closes ``client`` when the app's tasks are cancelled at shutdown."""

    async def wait_then_close() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await client.aclose()

    return asyncio.create_task(wait_then_close(), name="identity-local-jwks-client")
