"""The identity service's hosted pages in a real browser, as a citizen on a phone sees them.

Headless Chromium (Debian's ``chromium``; Playwright drives it, never downloads one)
with JavaScript turned off and a phone-sized screen, against the identity service
running as a real uvicorn process on this run's PostgreSQL and Kafka:

- in Arabic, right to left: register (a refused password first), read the
  verification link from the ``user.email_verification_requested`` event on Kafka,
  open it (the GET confirms nothing) and press the button (the POST does), sign in
  (a wrong password first: an Arabic error, and no session), land on the signed-in
  page, sign out;
- in French: a registered third-party public client asks, with PKCE, for access;
  the citizen signs in, reads the consent page and allows it, the code is
  exchanged for tokens; a second request comes straight back (the consent is
  remembered); one with ``prompt=consent`` shows the page again and is refused.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import asyncpg
import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from identity.testing import Factory, make_settings
from identity.testing.oauth import pkce
from sawt_shared.testing import StackEnv, consume_until, serve_asgi
from tests.conftest import RunningService, StartService

pytestmark = pytest.mark.asyncio

CHROMIUM = Path("/usr/bin/chromium")
# The tests run offline: these keep Chromium from calling home (updates, sync, QUIC, …).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
VERIFICATION_REQUESTED = "ma.sawt.user.email_verification_requested.v1"
SESSION_COOKIE = "sawt_session"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def identity(start_service: StartService) -> RunningService:
    return await start_service(
        "identity",
        extra_env={
            "IDENTITY_LOG_LEVEL": "WARNING",
            # A real argon2id, cheaper than production's.
            "IDENTITY_ARGON2_TIME_COST": "1",
            "IDENTITY_ARGON2_MEMORY_COST": "8192",
            "IDENTITY_ARGON2_PARALLELISM": "1",
        },
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium and fonts-noto-core packages "
            "(./sawt test does); see docs/running.md, 'Browser tests'"
        )
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@dataclass
class ThirdPartyApp:
    """A third-party web app's redirect endpoint: not Sawt, so a small real HTTP server
    (Starlette under uvicorn on the loopback) that keeps every URL it was sent back to."""

    url: str = ""
    returned: list[str] = field(default_factory=list)

    async def callback(self, request: Request) -> Response:
        self.returned.append(str(request.url))
        return HTMLResponse("<!doctype html><title>Tadamun</title><p>Tadamun</p>")


@pytest_asyncio.fixture(loop_scope="session")
async def app() -> AsyncIterator[ThirdPartyApp]:
    stub = ThirdPartyApp()
    async with serve_asgi(Starlette(routes=[Route("/callback", stub.callback)])) as base_url:
        stub.url = base_url
        yield stub


async def _phone(browser: Browser, locale: str) -> BrowserContext:
    """A phone's browser with JavaScript off: the pages must work with forms alone."""
    context = await browser.new_context(
        java_script_enabled=False,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale=locale,
    )
    context.set_default_timeout(10_000)
    return context


async def _speaks(page: Page, lang: str, direction: str) -> None:
    """The page is in ``lang``, laid out in ``direction``, fits a phone, runs no script."""
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await expect(page.locator("html")).to_have_attribute("dir", direction)
    assert await page.locator("script").count() == 0
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways on a phone ({width}px)"


async def _form_direction(page: Page) -> str:
    direction: str = await page.locator("main form").first.evaluate(
        "form => getComputedStyle(form).direction"
    )
    return direction


async def _session_cookie(context: BrowserContext) -> dict[str, Any] | None:
    for cookie in await context.cookies():
        if cookie.get("name") == SESSION_COOKIE:
            return dict(cookie)
    return None


async def _verification_event(stack: StackEnv, email: str) -> dict[str, Any]:
    def find(records: list[Any]) -> dict[str, Any] | None:
        for record in records:
            if dict(record.headers).get("ce_type") != VERIFICATION_REQUESTED.encode():
                continue
            data: dict[str, Any] = json.loads(record.value)
            if data["email"] == email:
                return data
        return None

    records = await consume_until(
        stack.kafka_bootstrap,
        f"{stack.topic_prefix}identity.events",
        lambda records: find(records) is not None,
        timeout=20,
    )
    found = find(records)
    assert found is not None
    return found


async def test_a_citizen_registers_confirms_and_signs_in_in_arabic_on_a_phone_without_javascript(
    identity: RunningService,
    browser: Browser,
    stack: StackEnv,
    database_url: Callable[[str], Awaitable[str]],
    tmp_path: Path,
) -> None:
    email = f"fatima-{uuid.uuid4().hex[:8]}@example.org"
    name = "فاطمة الزهراء"
    password = "نخيل سوس ماسة 2026"
    db = await asyncpg.connect(await database_url("identity"))
    # The browser asks for English: the page's ?lang=ar, then its cookie, must win.
    context = await _phone(browser, locale="en-US")
    try:
        page = await context.new_page()
        sent: list[tuple[str, str]] = []
        page.on(
            "request", lambda request: sent.append((request.method, urlsplit(request.url).path))
        )

        # Registration, in Arabic, right to left.
        opened = await page.goto(f"{identity.url}/register?lang=ar")
        assert opened is not None
        assert opened.status == 200
        await _speaks(page, "ar", "rtl")
        assert await _form_direction(page) == "rtl"
        await expect(page).to_have_title("إنشاء حساب · صوت")
        await expect(page.get_by_role("heading", level=1)).to_have_text("إنشاء حساب")
        await expect(page.get_by_text("10 أحرف على الأقل، وليست كلمة مرور شائعة.")).to_be_visible()
        # Right to left for real: the button starts from the right edge of the screen.
        button = await page.get_by_role("button", name="إنشاء حساب").bounding_box()
        assert button is not None
        assert button["x"] > PHONE["width"] / 2, button

        await page.get_by_label("الاسم الظاهر على المنصة").fill(name)
        await page.get_by_label("البريد الإلكتروني").fill(email)
        await page.get_by_label("كلمة المرور").fill("1234567890")  # long enough, too common
        await expect(page.get_by_role("combobox", name="اللغة")).to_have_value("ar")
        await page.get_by_label("الجهة").select_option("souss-massa")
        await expect(page.get_by_label("الجهة").locator("option:checked")).to_have_text(
            "سوس - ماسة"
        )
        await page.get_by_role("button", name="إنشاء حساب").click()

        # Refused, in Arabic; what was typed is kept, except the password.
        await _speaks(page, "ar", "rtl")
        await expect(page.get_by_role("alert")).to_have_text(
            "كلمة المرور هذه قصيرة جدا أو شائعة جدا. اختر كلمة أخرى."
        )
        await expect(page.get_by_label("الاسم الظاهر على المنصة")).to_have_value(name)
        await expect(page.get_by_label("البريد الإلكتروني")).to_have_value(email)
        await expect(page.get_by_label("كلمة المرور")).to_have_value("")
        await expect(page.get_by_label("الجهة")).to_have_value("souss-massa")
        screenshot = tmp_path / "register-ar.png"
        await page.screenshot(path=screenshot, full_page=True)
        image = screenshot.read_bytes()
        assert image.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(image) > 5_000
        assert await db.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 0

        await page.get_by_label("كلمة المرور").fill(password)
        await page.get_by_role("button", name="إنشاء حساب").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("تفقّد بريدك الإلكتروني")
        await _speaks(page, "ar", "rtl")

        # The message the notifications service would send: in Arabic, with a link.
        event = await _verification_event(stack, email)
        assert event["language"] == "ar"
        assert event["display_name"] == name
        link: str = event["link"]
        assert link.startswith(f"{identity.url}/verify-email?token=")

        # Opening the link (what a mail scanner does too) confirms nothing...
        verified_at = "SELECT email_verified_at FROM users WHERE email = $1"
        opened = await page.goto(link)
        assert opened is not None
        assert opened.status == 200
        await _speaks(page, "ar", "rtl")
        await expect(page.get_by_role("heading", level=1)).to_have_text("أكِّد بريدك الإلكتروني")
        assert await db.fetchval(verified_at, email) is None
        # ...pressing the button does, with a POST.
        await page.get_by_role("button", name="تأكيد عنوان بريدي الإلكتروني").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "تم تأكيد البريد الإلكتروني"
        )
        assert await db.fetchval(verified_at, email) is not None
        assert ("GET", "/verify-email") in sent
        assert ("POST", "/verify-email") in sent

        # Signing in: a wrong password first.
        await page.get_by_role("link", name="تسجيل الدخول").click()
        await expect(page).to_have_url(f"{identity.url}/login")
        await _speaks(page, "ar", "rtl")
        assert await _form_direction(page) == "rtl"
        await page.get_by_label("البريد الإلكتروني").fill(email)
        await page.get_by_label("كلمة المرور").fill("كلمة مرور خاطئة تماما")
        await page.get_by_role("button", name="تسجيل الدخول", exact=True).click()
        await expect(page.get_by_role("alert")).to_have_text(
            "البريد الإلكتروني أو كلمة المرور غير صحيحة."
        )
        await _speaks(page, "ar", "rtl")
        await expect(page).to_have_url(f"{identity.url}/login")
        await expect(page.get_by_label("البريد الإلكتروني")).to_have_value(email)
        await expect(page.get_by_label("كلمة المرور")).to_have_value("")
        assert await _session_cookie(context) is None
        sessions = "SELECT count(*) FROM login_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1"
        assert await db.fetchval(sessions, email) == 0

        await page.get_by_label("كلمة المرور").fill(password)
        await page.get_by_role("button", name="تسجيل الدخول", exact=True).click()

        # Signed in.
        await expect(page).to_have_url(f"{identity.url}/")
        await _speaks(page, "ar", "rtl")
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"مرحبا، {name}")
        await expect(page.get_by_text(f"أنت متصل باسم {email}.")).to_be_visible()
        cookie = await _session_cookie(context)
        assert cookie is not None
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Lax"
        assert await db.fetchval(sessions, email) == 1

        # Signing out ends the session.
        await page.get_by_role("button", name="تسجيل الخروج").click()
        await expect(page).to_have_url(f"{identity.url}/login")
        await expect(page.get_by_role("heading", level=1)).to_have_text("تسجيل الدخول")
        assert await _session_cookie(context) is None
        assert await db.fetchval(sessions, email) == 0
    finally:
        await context.close()
        await db.close()


async def test_a_french_speaker_allows_a_registered_app_once_then_refuses_when_asked_again(
    identity: RunningService,
    browser: Browser,
    app: ThirdPartyApp,
    stack: StackEnv,
    database_url: Callable[[str], Awaitable[str]],
) -> None:
    settings = make_settings(await database_url("identity"), stack, issuer=identity.url)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    context = await _phone(browser, locale="fr-MA")
    try:
        factory = Factory(pool, settings)
        admin = await factory.user(roles=("admin",))
        citizen = await factory.user(language="fr", region="fes-meknes")
        name = "Youssef Amrani"
        await pool.execute("UPDATE users SET display_name = $1 WHERE id = $2", name, citizen.id)

        # A third-party app, registered by an administrator through the API.
        redirect_uri = app.url + "/callback"
        async with identity.client() as http:
            registered = await http.post(
                "/api/v1/admin/clients",
                json={
                    "name": "Appli Tadamun",
                    "kind": "public",
                    "redirect_uris": [redirect_uri],
                    "allowed_scopes": ["openid", "profile", "petitions:sign"],
                },
                headers=await factory.bearer(admin, "admin"),
            )
        assert registered.status_code == 201, registered.text
        client_id: str = registered.json()["client_id"]
        assert registered.json()["first_party"] is False
        back_at_the_app = re.compile(re.escape(redirect_uri + "?"))
        page = await context.new_page()

        def authorize_url(state: str, challenge: str, **extra: str) -> str:
            return f"{identity.url}/oauth2/authorize?" + urlencode(
                {
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "scope": "openid profile petitions:sign",
                    "state": state,
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                    **extra,
                }
            )

        # Not signed in: the login page first, in French.
        verifier, challenge = pkce()
        state = secrets.token_urlsafe(16)
        await page.goto(authorize_url(state, challenge))
        await expect(page).to_have_url(re.compile(re.escape(f"{identity.url}/login?next=")))
        await _speaks(page, "fr", "ltr")
        assert await _form_direction(page) == "ltr"
        await expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
        await page.get_by_label("E-mail").fill(citizen.email)
        await page.get_by_label("Mot de passe").fill(citizen.password)
        await page.get_by_role("button", name="Se connecter", exact=True).click()

        # The consent page, in French.
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Appli Tadamun demande à agir en votre nom"
        )
        assert urlsplit(page.url).path == "/oauth2/authorize"
        await _speaks(page, "fr", "ltr")
        await expect(page).to_have_title("Autoriser l'accès · Sawt")
        await expect(page.get_by_text(f"Connecté·e en tant que {name}.")).to_be_visible()
        scopes = page.locator("ul.scopes li")
        await expect(scopes).to_have_text(
            [
                "openid — savoir qui vous êtes sur Sawt",
                "profile — voir votre nom, votre langue et votre région",
                "petitions:sign — signer des pétitions en votre nom",
            ]
        )
        await page.get_by_role("button", name="Autoriser", exact=True).click()

        # Back at the app with a code, which it exchanges with its PKCE verifier.
        await expect(page).to_have_url(back_at_the_app)
        assert len(app.returned) == 1
        answer = parse_qs(urlsplit(app.returned[0]).query)
        assert answer["state"] == [state]
        async with identity.client() as http:
            exchange = {
                "grant_type": "authorization_code",
                "code": answer["code"][0],
                "redirect_uri": redirect_uri,
                "client_id": client_id,
            }
            wrong = await http.post("/oauth2/token", data={**exchange, "code_verifier": pkce()[0]})
            assert wrong.status_code == 400
            assert wrong.json()["error"] == "invalid_grant"
            tokens = await http.post("/oauth2/token", data={**exchange, "code_verifier": verifier})
        assert tokens.status_code == 200, tokens.text
        assert set(tokens.json()["scope"].split()) == {"openid", "profile", "petitions:sign"}
        assert tokens.json()["id_token"]

        # Asked again while signed in: the consent is remembered, straight back with a code.
        again_state = secrets.token_urlsafe(16)
        await page.goto(authorize_url(again_state, pkce()[1]))
        await expect(page).to_have_url(back_at_the_app)
        assert len(app.returned) == 2
        again = parse_qs(urlsplit(app.returned[1]).query)
        assert again["state"] == [again_state]
        assert again["code"]

        # The app asks for consent explicitly (prompt=consent): the page; this time, refused.
        refused_state = secrets.token_urlsafe(16)
        await page.goto(authorize_url(refused_state, pkce()[1], prompt="consent"))
        await _speaks(page, "fr", "ltr")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Appli Tadamun demande à agir en votre nom"
        )
        await page.get_by_role("button", name="Refuser").click()
        await expect(page).to_have_url(back_at_the_app)
        assert len(app.returned) == 3
        refused = parse_qs(urlsplit(app.returned[2]).query)
        assert refused["error"] == ["access_denied"]
        assert refused["state"] == [refused_state]
        assert "code" not in refused
    finally:
        await context.close()
        await pool.close()
