"""The identity service end to end: a real uvicorn process, a real OAuth client
(Authlib's), real HTTP, the shared token verifier, and Kafka.

Covers the acceptance of the identity issue: the authorization-code flow with PKCE
(login, consent, code, token, refresh with rotation, revoke, userinfo) and what the
shared verifier makes of its tokens; client credentials; key rotation; brute-force
limits; every identity event on Kafka with its CloudEvents headers; the API
documents.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]
from joserfc import jws

from identity.demo import CIVIC_REDIRECTS, DEMO_PASSWORD, GOV_CLIENT_SECRET, WEB_REDIRECTS
from identity.testing import link_token, run_secret
from sawt_shared.auth import JWKSCache, TokenVerifier
from sawt_shared.errors import PROBLEM_MEDIA_TYPE, Unauthorized
from sawt_shared.events.identity import IdentityEvent
from sawt_shared.testing import StackEnv, consume_until, free_port, wait_until
from sawt_stack.services import service_argv

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.asyncio


@dataclass
class Identity:
    url: str
    env: dict[str, str]
    process: asyncio.subprocess.Process

    def endpoint(self, path: str) -> str:
        return self.url + path


async def _run(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0, out.decode()
    return out.decode()


@pytest_asyncio.fixture(scope="module")
async def identity(
    stack: StackEnv,
    database_url: Callable[[str], Awaitable[str]],
    kafka_topics: list[str],
) -> AsyncIterator[Identity]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "IDENTITY_DATABASE_URL": await database_url("identity"),
        "IDENTITY_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "IDENTITY_TOPIC_PREFIX": stack.topic_prefix,
        "IDENTITY_CONSUMER_GROUP_PREFIX": stack.topic_prefix,
        "IDENTITY_ISSUER": url,
        "IDENTITY_JWKS_URL": url + "/.well-known/jwks.json",
        "IDENTITY_TOKEN_ISSUER": url,
        "IDENTITY_COOKIE_SECURE": "false",
        "IDENTITY_SECRET_KEY": run_secret(stack),
        "IDENTITY_LOG_LEVEL": "WARNING",
        # Cheaper argon2 than production, still a real argon2id cost to time.
        "IDENTITY_ARGON2_TIME_COST": "1",
        "IDENTITY_ARGON2_MEMORY_COST": "8192",
        "IDENTITY_ARGON2_PARALLELISM": "1",
        "IDENTITY_LOGIN_IP_LIMIT": "1000/minute",
    }
    await _run(env, "-m", "identity.demo")
    logs = REPO / ".stack" / "logs" / f"test-{stack.run_id}"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"identity-e2e-{port}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *service_argv(sys.executable, "identity", port),
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )

    async def ready() -> bool:
        if process.returncode is not None:
            raise AssertionError(log.read_text()[-3000:])
        try:
            async with httpx.AsyncClient() as c:
                return (await c.get(url + "/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    await wait_until(ready, timeout=60, interval=0.2, message="identity ready")
    try:
        yield Identity(url, env, process)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=15)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, html
    return match.group(1)


async def _browser_login_and_consent(
    browser: httpx.AsyncClient, authorize_url: str, email: str, password: str, *, consent: bool
) -> str:
    """What a person does in the browser; returns the redirect back to the client."""
    first = await browser.get(authorize_url)
    assert first.status_code == 303  # to the login page
    login_page = await browser.get(first.headers["location"])
    assert login_page.status_code == 200
    next_url = re.search(r'name="next" value="([^"]+)"', login_page.text)
    assert next_url
    logged_in = await browser.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": _csrf(login_page.text),
            "next": next_url.group(1).replace("&amp;", "&"),
        },
    )
    assert logged_in.status_code == 303, logged_in.text
    back = await browser.get(logged_in.headers["location"])
    if consent:
        assert back.status_code == 200, back.text
        assert "petitions:sign" in back.text
        fields = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', back.text)
        )
        fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
        back = await browser.post("/oauth2/authorize", data={**fields, "decision": "approve"})
    assert back.status_code == 302, back.text
    location: str = back.headers["location"]
    return location


def _kid(token: str) -> str:
    return str(jws.extract_compact(token.encode()).headers()["kid"])


def _verifier(identity: Identity, http: httpx.AsyncClient, **kwargs: Any) -> TokenVerifier:
    return TokenVerifier(
        JWKSCache(identity.endpoint("/.well-known/jwks.json"), http),
        issuer=identity.url,
        audience=kwargs.pop("audience", "sawt"),
        **kwargs,
    )


async def _user_token(
    identity: Identity, email: str, password: str, scope: str, client_id: str = "sawt-web"
) -> dict[str, Any]:
    redirect = WEB_REDIRECTS[0] if client_id == "sawt-web" else CIVIC_REDIRECTS[0]
    async with (
        AsyncOAuth2Client(
            client_id=client_id,
            redirect_uri=redirect,
            scope=scope,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
        ) as oauth,
        httpx.AsyncClient(base_url=identity.url) as browser,
    ):
        verifier = secrets.token_urlsafe(48)
        url, _ = oauth.create_authorization_url(
            identity.endpoint("/oauth2/authorize"),
            code_verifier=verifier,
            nonce="n-" + secrets.token_hex(4),
            # a third-party app's consent is remembered; ask for the page every time here
            **({} if client_id == "sawt-web" else {"prompt": "consent"}),
        )
        back = await _browser_login_and_consent(
            browser, url, email, password, consent=client_id != "sawt-web"
        )
        token: dict[str, Any] = await oauth.fetch_token(
            identity.endpoint("/oauth2/token"), authorization_response=back, code_verifier=verifier
        )
        return token


async def test_authorization_code_flow_with_authlibs_client(identity: Identity) -> None:
    async with (
        AsyncOAuth2Client(
            client_id="civic-app",
            redirect_uri=CIVIC_REDIRECTS[0],
            scope="openid profile email petitions:sign",
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
        ) as oauth,
        httpx.AsyncClient(base_url=identity.url) as browser,
        httpx.AsyncClient() as http,
    ):
        verifier = secrets.token_urlsafe(48)
        url, state = oauth.create_authorization_url(
            identity.endpoint("/oauth2/authorize"),
            code_verifier=verifier,
            nonce="abc123",
            prompt="consent",  # shown even if an earlier test's consent is remembered
        )
        back = await _browser_login_and_consent(
            browser, url, "sara@demo.sawt.ma", DEMO_PASSWORD, consent=True
        )
        assert back.startswith(CIVIC_REDIRECTS[0])
        assert f"state={state}" in back
        token = await oauth.fetch_token(
            identity.endpoint("/oauth2/token"), authorization_response=back, code_verifier=verifier
        )
        assert set(token["scope"].split()) == {"openid", "profile", "email", "petitions:sign"}
        assert token["id_token"]

        # userinfo with the access token
        info = await oauth.get(identity.endpoint("/oauth2/userinfo"))
        assert info.status_code == 200
        assert info.json()["email"] == "sara@demo.sawt.ma"

        # refresh: a new pair, the old refresh token is spent
        old_refresh = token["refresh_token"]
        refreshed = await oauth.refresh_token(
            identity.endpoint("/oauth2/token"), refresh_token=old_refresh
        )
        assert refreshed["refresh_token"] != old_refresh
        assert refreshed["access_token"] != token["access_token"]

        # the shared verifier accepts the token
        accepted = await _verifier(identity, http).verify(refreshed["access_token"])
        assert accepted.client_id == "civic-app"
        assert accepted.has_scopes("petitions:sign")
        header = jws.extract_compact(refreshed["access_token"].encode()).headers()
        assert header["typ"] == "at+jwt"

        # ...and refuses a tampered signature, another audience, an expired token
        parts = refreshed["access_token"].split(".")
        signature = parts[2]
        flipped = "A" if signature[10] != "A" else "B"
        tampered = ".".join([parts[0], parts[1], signature[:10] + flipped + signature[11:]])
        with pytest.raises(Unauthorized) as bad_signature:
            await _verifier(identity, http).verify(tampered)
        assert bad_signature.value.type_slug == "invalid-signature"
        with pytest.raises(Unauthorized) as wrong_audience:
            await _verifier(identity, http, audience="another-service").verify(
                refreshed["access_token"]
            )
        assert wrong_audience.value.type_slug == "invalid-audience"
        later = _verifier(identity, http, clock=lambda: time.time() + 3600)
        with pytest.raises(Unauthorized) as expired:
            await later.verify(refreshed["access_token"])
        assert expired.value.type_slug == "token-expired"

        # reusing the spent refresh token is refused, and ends the whole family
        reuse = await http.post(
            identity.endpoint("/oauth2/token"),
            data={
                "grant_type": "refresh_token",
                "refresh_token": old_refresh,
                "client_id": "civic-app",
            },
        )
        assert reuse.status_code == 400
        assert reuse.json()["error"] == "invalid_grant"
        after_reuse = await http.post(
            identity.endpoint("/oauth2/token"),
            data={
                "grant_type": "refresh_token",
                "refresh_token": refreshed["refresh_token"],
                "client_id": "civic-app",
            },
        )
        assert after_reuse.json()["error"] == "invalid_grant"

    # revoke (RFC 7009) a fresh grant's refresh token, then it no longer works
    fresh = await _user_token(
        identity, "sara@demo.sawt.ma", DEMO_PASSWORD, "openid petitions:sign", client_id="civic-app"
    )
    async with AsyncOAuth2Client(
        client_id="civic-app",
        token_endpoint_auth_method="none",
        revocation_endpoint_auth_method="none",
    ) as oauth:
        revoked = await oauth.revoke_token(
            identity.endpoint("/oauth2/revoke"),
            token=fresh["refresh_token"],
            token_type_hint="refresh_token",
        )
        assert revoked.status_code == 200
    async with httpx.AsyncClient() as http:
        dead = await http.post(
            identity.endpoint("/oauth2/token"),
            data={
                "grant_type": "refresh_token",
                "refresh_token": fresh["refresh_token"],
                "client_id": "civic-app",
            },
        )
        assert dead.json()["error"] == "invalid_grant"
        info = await http.get(
            identity.endpoint("/oauth2/userinfo"),
            headers={"Authorization": f"Bearer {fresh['access_token']}"},
        )
        assert info.status_code == 401


async def test_client_credentials_and_key_rotation(identity: Identity) -> None:
    async with (
        AsyncOAuth2Client(
            client_id="gov-results",
            client_secret=GOV_CLIENT_SECRET,
            token_endpoint_auth_method="client_secret_basic",
        ) as gov,
        httpx.AsyncClient() as http,
    ):
        before = await gov.fetch_token(
            identity.endpoint("/oauth2/token"),
            grant_type="client_credentials",
            scope="results:read petitions:respond admin petitions:sign",
        )
        assert before["scope"].split() == ["results:read", "petitions:respond"]
        access = await _verifier(identity, http).verify(before["access_token"])
        assert access.scopes == {"results:read", "petitions:respond"}
        assert access.subject == "gov-results"

        out = await _run(identity.env, "-m", "identity.keys", "rotate", "--now")
        assert "new key" in out

        after = await gov.fetch_token(
            identity.endpoint("/oauth2/token"), grant_type="client_credentials"
        )
        assert _kid(after["access_token"]) != _kid(before["access_token"])
        verifier = _verifier(identity, http)
        assert (await verifier.verify(before["access_token"])).subject == "gov-results"
        assert (await verifier.verify(after["access_token"])).subject == "gov-results"


async def test_brute_force_is_limited_and_nothing_tells_who_is_registered(
    identity: Identity,
) -> None:
    async with httpx.AsyncClient(base_url=identity.url) as http:

        async def attempt(email: str, password: str = "wrong password") -> httpx.Response:  # noqa: S107
            return await http.post("/api/v1/sessions", json={"email": email, "password": password})

        for _ in range(10):
            assert (await attempt("idir@demo.sawt.ma")).status_code == 401
        locked = await attempt("idir@demo.sawt.ma")
        assert locked.status_code == 429
        assert locked.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert int(locked.headers["retry-after"]) >= 1
        assert (await attempt("idir@demo.sawt.ma", DEMO_PASSWORD)).status_code == 429

        # Unknown and known emails: same status, same document, similar time.
        known_emails = [
            "amina@demo.sawt.ma",
            "youssef@demo.sawt.ma",
            "sara@demo.sawt.ma",
            "moderator@demo.sawt.ma",
        ]
        known: list[float] = []
        unknown: list[float] = []
        bodies = set()
        for i in range(12):
            for email, bucket in (
                (known_emails[i % 4], known),
                (f"nobody-{uuid.uuid4().hex[:8]}@demo.sawt.ma", unknown),
            ):
                start = time.perf_counter()
                response = await attempt(email)
                bucket.append(time.perf_counter() - start)
                assert response.status_code == 401
                body = response.json()
                bodies.add(
                    json.dumps({k: v for k, v in body.items() if k != "instance"}, sort_keys=True)
                )
        assert len(bodies) == 1
        ratio = statistics.median(known) / statistics.median(unknown)
        assert 0.5 < ratio < 2.0, (known, unknown)


def _identity_event_types() -> set[str]:
    found: set[str] = set()
    stack: list[type[IdentityEvent]] = [IdentityEvent]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "event_type" in cls.__dict__:
            found.add(cls.event_type)
    return found


async def test_every_identity_event_reaches_kafka_with_cloudevents_headers(
    identity: Identity, stack: StackEnv
) -> None:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.org"
    password = "an e2e passphrase that is long"
    topic = f"{stack.topic_prefix}identity.events"

    async def event(event_type: str, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        records = await consume_until(
            stack.kafka_bootstrap,
            topic,
            lambda rs: any(_is(r, event_type, match) for r in rs),
            timeout=30,
        )
        data: dict[str, Any] = json.loads(
            next(r for r in records if _is(r, event_type, match)).value
        )
        return data

    async with httpx.AsyncClient(base_url=identity.url) as http:
        registered = await http.post(
            "/api/v1/accounts",
            json={
                "email": email,
                "password": password,
                "display_name": "E2E",
                "language": "fr",
                "region": "oriental",
            },
        )
        assert registered.status_code == 202
        verification = await event(
            "ma.sawt.user.email_verification_requested.v1", lambda d: d["email"] == email
        )
        user_id = verification["user_id"]
        confirmed = await http.post(
            "/api/v1/accounts/email-confirmations",
            json={"email": email, "code": verification["code"]},
        )
        assert confirmed.status_code == 200

        token = await _user_token(identity, email, password, "openid account organizations")
        me = {"Authorization": f"Bearer {token['access_token']}"}
        updated = await http.patch("/api/v1/me", json={"region": "souss-massa"}, headers=me)
        assert updated.status_code == 200
        assert (
            await http.post("/api/v1/password-resets", json={"email": email})
        ).status_code == 202
        changed = await http.post(
            "/api/v1/me/email", json={"new_email": "new-" + email, "password": password}, headers=me
        )
        assert changed.status_code == 202
        org = await http.post(
            "/api/v1/organizations",
            json={"name": "E2E association", "kind": "association"},
            headers=me,
        )
        assert org.status_code == 201
        org_id = org.json()["id"]
        invited = await http.post(
            f"/api/v1/organizations/{org_id}/invitations",
            json={"email": "amina@demo.sawt.ma", "role": "editor"},
            headers=me,
        )
        assert invited.status_code == 201
        invitation = await event(
            "ma.sawt.organization.invitation_sent.v1", lambda d: d["organization_id"] == org_id
        )
        amina_token = await _user_token(
            identity, "amina@demo.sawt.ma", DEMO_PASSWORD, "openid organizations account"
        )
        amina = {"Authorization": f"Bearer {amina_token['access_token']}"}
        accepted = await http.post(
            "/api/v1/invitations/accept",
            json={"token": link_token(invitation["link"])},
            headers=amina,
        )
        assert accepted.status_code == 200, accepted.text
        amina_id = (await http.get("/api/v1/me", headers=amina)).json()["id"]
        left = await http.delete(
            f"/api/v1/organizations/{org_id}/members/{amina_id}", headers=amina
        )
        assert left.status_code == 204
        admin_token = await _user_token(
            identity, "admin@demo.sawt.ma", DEMO_PASSWORD, "openid admin"
        )
        verified = await http.post(
            f"/api/v1/organizations/{org_id}/verification",
            json={"note": "e2e"},
            headers={"Authorization": f"Bearer {admin_token['access_token']}"},
        )
        assert verified.status_code == 200, verified.text
        deleted = await http.request(
            "DELETE", "/api/v1/me", json={"password": password}, headers=me
        )
        assert deleted.status_code == 204, deleted.text

    expected = _identity_event_types()
    ours = {user_id, org_id}

    def all_seen(records: list[Any]) -> bool:
        return expected <= {
            dict(r.headers)["ce_type"].decode() for r in records if r.key.decode() in ours
        }

    records = await consume_until(stack.kafka_bootstrap, topic, all_seen, timeout=30)
    mine = [r for r in records if r.key.decode() in ours]
    for record in mine:
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["ce_specversion"] == "1.0"
        assert headers["ce_source"] == "identity"
        assert headers["ce_type"].startswith("ma.sawt.")
        assert headers["ce_subject"] == record.key.decode()
        assert headers["content-type"] == "application/json"
        uuid.UUID(headers["ce_id"])
        assert headers["ce_time"].endswith("Z")
        body = record.value.decode()
        assert password not in body
        assert "hash" not in body
    assert len({dict(r.headers)["ce_id"] for r in mine}) == len(mine)


def _is(record: Any, event_type: str, match: Callable[[dict[str, Any]], bool]) -> bool:
    if dict(record.headers).get("ce_type") != event_type.encode():
        return False
    data: dict[str, Any] = json.loads(record.value)
    return match(data)


async def test_openapi_and_asyncapi_list_every_endpoint_and_event(identity: Identity) -> None:
    async with httpx.AsyncClient(base_url=identity.url) as http:
        spec = (await http.get("/openapi.json")).json()
    paths = set(spec["paths"])
    for path in (
        "/oauth2/authorize",
        "/oauth2/token",
        "/oauth2/revoke",
        "/oauth2/introspect",
        "/oauth2/userinfo",
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
        "/api/v1/accounts",
        "/api/v1/accounts/email-confirmations",
        "/api/v1/sessions",
        "/api/v1/password-resets",
        "/api/v1/password-resets/confirm",
        "/api/v1/me",
        "/api/v1/me/export",
        "/api/v1/me/email",
        "/api/v1/organizations",
        "/api/v1/organizations/{org_id}/members/{user_id}",
        "/api/v1/organizations/{org_id}/verification",
        "/api/v1/admin/clients",
        "/login",
        "/eid/start",
        "/eid/callback",
    ):
        assert path in paths, path
    asyncapi = json.loads((REPO / "docs" / "asyncapi.json").read_text())
    documented = json.dumps(asyncapi)
    for event_type in _identity_event_types():
        assert event_type in documented, event_type
