"""National eID login and linking against a real (small) OpenID provider over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from identity.app import create_app
from identity.settings import IdentitySettings
from identity.testing import ISSUER, Factory, UserFixture
from identity.testing.eid_provider import EidProvider, serve_provider
from identity.testing.oauth import login
from identity.tokens import keyed_hash

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture(scope="module")
async def provider() -> AsyncIterator[EidProvider]:
    async with serve_provider(EidProvider()) as p:
        yield p


@pytest_asyncio.fixture(scope="module")
async def eid_app(settings: IdentitySettings, provider: EidProvider) -> AsyncIterator[FastAPI]:
    app = create_app(
        settings.model_copy(
            update={
                "eid_issuer": provider.issuer,
                "eid_client_id": provider.client_id,
                "eid_client_secret": provider.client_secret,
                "eid_allow_insecure_http": True,
            }
        )
    )
    async with LifespanManager(app):
        yield app


@pytest_asyncio.fixture
async def browser(eid_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=eid_app), base_url=ISSUER) as c:
        yield c


async def _through_provider(
    browser: httpx.AsyncClient, start: str = "/eid/start"
) -> httpx.Response:
    """Start at identity, go to the provider (real HTTP), come back to the callback."""
    to_provider = await browser.get(start)
    assert to_provider.status_code == 303, to_provider.text
    async with httpx.AsyncClient() as outside:
        back = await outside.get(to_provider.headers["location"])
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    assert callback.path == "/eid/callback"
    return await browser.get(f"{callback.path}?{callback.query}")


async def _link(browser: httpx.AsyncClient, user: UserFixture) -> httpx.Response:
    await login(browser, user)
    return await _through_provider(browser)


async def test_linking_raises_assurance_and_stores_only_a_keyed_hash(
    browser: httpx.AsyncClient,
    factory: Factory,
    provider: EidProvider,
    db: asyncpg.Pool,
    settings: IdentitySettings,
) -> None:
    user = await factory.user()
    provider.next_subject = "MA-LINK-0001"
    linked = await _link(browser, user)
    assert linked.status_code == 200, linked.text
    [raised] = await factory.events("ma.sawt.user.assurance_raised.v1", str(user.id))
    assert raised["assurance"] == "eid"
    stored = await db.fetchval("SELECT eid_subject_hash FROM users WHERE id = $1", user.id)
    assert bytes(stored) == keyed_hash(settings.secret_key, "eid", provider.issuer, "MA-LINK-0001")
    assert b"MA-LINK-0001" not in bytes(stored)
    dump = await db.fetch("SELECT * FROM users WHERE id = $1", user.id)
    assert "MA-LINK-0001" not in str(dump)


async def test_one_eid_backs_at_most_one_account(
    browser: httpx.AsyncClient, factory: Factory, provider: EidProvider, eid_app: FastAPI
) -> None:
    first, second = await factory.user(), await factory.user()
    provider.next_subject = "MA-ONCE-0002"
    assert (await _link(browser, first)).status_code == 200
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=eid_app), base_url=ISSUER
    ) as other:
        refused = await _link(other, second)
    assert refused.status_code == 400
    assert not await factory.events("ma.sawt.user.assurance_raised.v1", str(second.id))


async def test_login_with_a_linked_eid_opens_a_session(
    browser: httpx.AsyncClient, factory: Factory, provider: EidProvider, eid_app: FastAPI
) -> None:
    user = await factory.user()
    provider.next_subject = "MA-LOGIN-0003"
    assert (await _link(browser, user)).status_code == 200
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=eid_app), base_url=ISSUER
    ) as fresh:
        signed_in = await _through_provider(fresh)
        assert signed_in.status_code == 303
        assert user.email in (await fresh.get("/")).text


async def test_an_unknown_eid_does_not_create_or_open_an_account(
    browser: httpx.AsyncClient, provider: EidProvider
) -> None:
    provider.next_subject = "MA-NOBODY-0004"
    response = await _through_provider(browser)
    assert response.status_code == 400
    assert "sawt_session" not in response.headers.get("set-cookie", "")


async def test_a_forged_callback_is_refused(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/eid/callback", params={"state": "made-up", "code": "x"})
    assert response.status_code == 400
