"""Registration, email confirmation, login and reset through the API."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from identity.testing import Factory, link_token
from sawt_shared.errors import PROBLEM_MEDIA_TYPE

pytestmark = pytest.mark.asyncio


def _email() -> str:
    return f"citizen-{uuid.uuid4().hex[:10]}@example.org"


async def _register(client: httpx.AsyncClient, email: str, **overrides: str) -> httpx.Response:
    body = {
        "email": email,
        "password": "a long and unusual passphrase",
        "display_name": "Amina",
        "language": "ar",
        "region": "souss-massa",
        **overrides,
    }
    return await client.post("/api/v1/accounts", json=body)


async def test_register_then_confirm_by_code(client: httpx.AsyncClient, factory: Factory) -> None:
    email = _email()
    response = await _register(client, email)
    assert response.status_code == 202, response.text

    registered = [
        e for e in await factory.events("ma.sawt.user.registered.v1") if e["email"] == email
    ]
    assert len(registered) == 1
    user_id = registered[0]["user_id"]
    [message] = await factory.events("ma.sawt.user.email_verification_requested.v1", user_id)
    assert message["link"].startswith("https://identity.test/verify-email?token=")
    assert len(message["code"]) == 6

    wrong = await client.post(
        "/api/v1/accounts/email-confirmations", json={"email": email, "code": "xxxxxx"}
    )
    assert wrong.status_code == 410
    ok = await client.post(
        "/api/v1/accounts/email-confirmations", json={"email": email, "code": message["code"]}
    )
    assert ok.status_code == 200, ok.text
    again = await client.post(
        "/api/v1/accounts/email-confirmations", json={"email": email, "code": message["code"]}
    )
    assert again.status_code == 410

    assert await factory.events("ma.sawt.user.email_verified.v1", user_id)
    [raised] = await factory.events("ma.sawt.user.assurance_raised.v1", user_id)
    assert raised["assurance"] == "email"


async def test_a_taken_email_gets_the_same_answer(client: httpx.AsyncClient) -> None:
    email = _email()
    first = await _register(client, email)
    second = await _register(client, email.upper(), display_name="Someone else")
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()


@pytest.mark.parametrize(
    ("overrides", "slug"),
    [
        ({"password": "short"}, "weak-password"),
        ({"password": "1234567890"}, "weak-password"),
        ({"password": "qwertyuiop"}, "weak-password"),
        ({"region": "atlantis"}, "invalid-region"),
        ({"email": "not-an-email"}, "invalid-email"),
        ({"display_name": "   "}, "invalid-name"),
    ],
)
async def test_bad_registrations_are_refused_and_change_nothing(
    client: httpx.AsyncClient, factory: Factory, overrides: dict[str, str], slug: str
) -> None:
    fields = dict(overrides)
    email = fields.pop("email", _email())
    response = await _register(client, email, **fields)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["type"].endswith("/" + slug)
    assert not [
        e for e in await factory.events("ma.sawt.user.registered.v1") if e["email"] == email
    ]


async def test_login_sets_an_httponly_lax_cookie(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    response = await client.post(
        "/api/v1/sessions", json={"email": user.email, "password": user.password}
    )
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()


async def test_wrong_password_and_unknown_email_answer_alike(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    wrong = await client.post("/api/v1/sessions", json={"email": user.email, "password": "nope"})
    unknown = await client.post("/api/v1/sessions", json={"email": _email(), "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert {k: v for k, v in wrong.json().items() if k != "instance"} == {
        k: v for k, v in unknown.json().items() if k != "instance"
    }


async def test_the_eleventh_wrong_password_in_a_minute_is_429(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    for _ in range(10):
        r = await client.post("/api/v1/sessions", json={"email": user.email, "password": "nope"})
        assert r.status_code == 401
    locked = await client.post("/api/v1/sessions", json={"email": user.email, "password": "nope"})
    assert locked.status_code == 429
    assert locked.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert int(locked.headers["retry-after"]) > 0
    # Even the right password waits: the limit is checked before the password.
    right = await client.post(
        "/api/v1/sessions", json={"email": user.email, "password": user.password}
    )
    assert right.status_code == 429


async def test_a_successful_login_resets_the_account_counter(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.user()
    for _ in range(9):
        await client.post("/api/v1/sessions", json={"email": user.email, "password": "nope"})
    ok = await client.post(
        "/api/v1/sessions", json={"email": user.email, "password": user.password}
    )
    assert ok.status_code == 200
    for _ in range(10):
        r = await client.post("/api/v1/sessions", json={"email": user.email, "password": "nope"})
        assert r.status_code == 401


async def test_password_reset_is_single_use(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user()
    unknown = await client.post("/api/v1/password-resets", json={"email": _email()})
    known = await client.post("/api/v1/password-resets", json={"email": user.email})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    [message] = await factory.events("ma.sawt.user.password_reset_requested.v1", str(user.id))
    token = link_token(message["link"])
    assert parse_qs(urlsplit(message["link"]).query)["lang"] == [message["language"]]
    new_password = "another long passphrase"
    done = await client.post(
        "/api/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )
    assert done.status_code == 204, done.text
    again = await client.post(
        "/api/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )
    assert again.status_code == 410
    login = await client.post(
        "/api/v1/sessions", json={"email": user.email, "password": new_password}
    )
    assert login.status_code == 200
