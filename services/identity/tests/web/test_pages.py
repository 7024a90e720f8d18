"""The hosted pages: language and direction, CSRF, no confirmation on a bare GET."""

from __future__ import annotations

import re

import httpx
import pytest

from identity.testing import Factory
from identity.testing.oauth import csrf_of

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("lang", "direction", "text"),
    [("ar", "rtl", "تسجيل الدخول"), ("fr", "ltr", "Se connecter"), ("en", "ltr", "Sign in")],
)
async def test_login_page_speaks_the_language(
    client: httpx.AsyncClient, lang: str, direction: str, text: str
) -> None:
    response = await client.get("/login", params={"lang": lang})
    assert response.status_code == 200
    assert f'<html lang="{lang}" dir="{direction}">' in response.text
    assert text in response.text
    assert "<script" not in response.text


async def test_the_browser_language_is_followed(client: httpx.AsyncClient) -> None:
    response = await client.get("/login", headers={"Accept-Language": "fr-MA,fr;q=0.9,en;q=0.5"})
    assert 'lang="fr"' in response.text


async def test_the_clients_ui_locales_choose_the_login_pages_language(
    client: httpx.AsyncClient,
) -> None:
    # An authorization request with ui_locales=fr is sent to /login with it in ``next``.
    authorize = "/oauth2/authorize?client_id=web&response_type=code&ui_locales=fr-MA%20ar"
    response = await client.get(
        "/login", params={"next": authorize}, headers={"Accept-Language": "en"}
    )
    assert '<html lang="fr" dir="ltr">' in response.text
    assert "Se connecter" in response.text
    # the language switcher on that page still wins
    switched = await client.get("/login", params={"next": authorize, "lang": "ar"})
    assert '<html lang="ar" dir="rtl">' in switched.text


async def test_a_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    response = await client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 400
    assert "sawt_session" not in response.headers.get("set-cookie", "")


async def test_login_form_then_logout(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user()
    page = await client.get("/login", params={"next": "/"})
    response = await client.post(
        "/login",
        data={
            "email": user.email,
            "password": user.password,
            "next": "https://evil.test/",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert user.email in home.text
    out = await client.post("/logout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303
    assert user.email not in (await client.get("/")).text


async def test_a_wrong_password_on_the_page_is_401_with_the_message(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    page = await client.get("/login", params={"lang": "en"})
    response = await client.post(
        "/login", data={"email": user.email, "password": "nope", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 401
    assert "The email or password is not right." in response.text


async def test_the_verification_link_only_shows_a_button(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    email = "page-verify@example.org"
    await client.post(
        "/api/v1/accounts",
        json={
            "email": email,
            "password": "a long and unusual passphrase",
            "display_name": "Y",
            "language": "fr",
            "region": "oriental",
        },
    )
    [registered] = [
        e for e in await factory.events("ma.sawt.user.registered.v1") if e["email"] == email
    ]
    [message] = await factory.events(
        "ma.sawt.user.email_verification_requested.v1", registered["user_id"]
    )
    link = message["link"].replace("https://identity.test", "")
    page = await client.get(link)
    assert page.status_code == 200
    assert 'method="post"' in page.text
    assert not await factory.events("ma.sawt.user.email_verified.v1", registered["user_id"])
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    done = await client.post(
        "/verify-email", data={"token": token.group(1), "csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 200
    assert await factory.events("ma.sawt.user.email_verified.v1", registered["user_id"])


async def test_register_page(client: httpx.AsyncClient, factory: Factory) -> None:
    page = await client.get("/register", params={"lang": "ar"})
    assert 'dir="rtl"' in page.text
    response = await client.post(
        "/register",
        data={
            "email": "from-page@example.org",
            "password": "short",
            "display_name": "Z",
            "language": "ar",
            "region": "oriental",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 422
    assert "كلمة المرور" in response.text


async def test_forms_post_only_to_the_service_itself(client: httpx.AsyncClient) -> None:
    response = await client.get("/register", params={"lang": "ar"})
    policy = response.headers["content-security-policy"]
    assert "form-action 'self';" in policy
    assert "*" not in policy


async def test_the_password_rule_shown_is_the_configured_one(client: httpx.AsyncClient) -> None:
    from identity.settings import IdentitySettings

    minimum = IdentitySettings().password_min_length
    page = await client.get("/register", params={"lang": "fr"})
    assert f'minlength="{minimum}"' in page.text
    assert f"Au moins {minimum} caractères" in page.text
    assert re.search(r'<input id="email" dir="ltr"', page.text)
