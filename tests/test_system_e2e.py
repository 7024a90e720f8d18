"""The whole system, with nothing faked but the user.

Identity, petitions and notifications run as uvicorn processes and the development
mail server as its own process, against this run's databases and topics. People act
over HTTP only: they register, read their mail in the Maildir, confirm from the link
in it, get tokens through the authorization-code flow with PKCE, and sign. Services
learn of each other through Kafka alone (identity's events build petitions' read
model of the signer; petitions' events become mail).

The only shortcut is the first administrator, made by the identity test factory with
a token minted for it once to register the OAuth client (someone has to be first);
from then on the administrator too signs in through the OAuth flow.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from identity.testing import FAST_ARGON2, Factory, make_settings
from identity.testing.oauth import REDIRECT_URI, authorize, code_of, csrf_of, pkce
from notifications.testing import DevMail, running_devmail
from sawt_shared.errors import PROBLEM_MEDIA_TYPE
from sawt_shared.events.petitions import PetitionSigned
from sawt_shared.kafka import all_topics, ensure_topics
from sawt_shared.testing import StackEnv, consume_until, wait_until

from .conftest import RunningService, StartService

pytestmark = pytest.mark.asyncio

REGION = "souss-massa"
PASSWORD = "a civic passphrase, long enough"
SCOPES = [
    "openid",
    "account",
    "organizations",
    "admin",
    "petitions:sign",
    "petitions:write",
    "petitions:moderate",
]
TITLE_AR = "ماء الشرب لدواوير تافراوت"
TITLE_FR = "De l'eau potable pour les douars de Tafraout"


# --------------------------------------------------------------------------- #
# The development mail server, as its own process
# --------------------------------------------------------------------------- #


@pytest_asyncio.fixture(scope="module")
async def devmail(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevMail]:
    async with running_devmail(tmp_path_factory.mktemp("system-maildir")) as server:
        yield server


# --------------------------------------------------------------------------- #
# What a person does
# --------------------------------------------------------------------------- #


def _parts(msg: EmailMessage) -> dict[str, str]:
    """The text of each part of a ``multipart/alternative`` mail, by content type."""
    assert msg.get_content_type() == "multipart/alternative", msg.get_content_type()
    parts: dict[str, str] = {}
    for part in msg.iter_parts():
        assert isinstance(part, EmailMessage)
        parts[part.get_content_type()] = str(part.get_content())
    return parts


def _assert_arabic_mail(msg: EmailMessage, subject: str) -> dict[str, str]:
    assert msg["Subject"] == subject, msg["Subject"]
    assert msg["Content-Language"] == "ar"
    parts = _parts(msg)
    assert set(parts) == {"text/plain", "text/html"}, set(parts)
    html = parts["text/html"]
    assert re.search(r'<html[^>]*\blang="ar"', html), html[:300]
    assert re.search(r'<html[^>]*\bdir="rtl"', html), html[:300]
    return parts


@dataclass
class Person:
    email: str
    display_name: str
    language: str
    region: str
    password: str = PASSWORD
    id: uuid.UUID | None = None
    token: str = ""

    @property
    def bearer(self) -> dict[str, str]:
        assert self.token, f"{self.email} has no token yet"
        return {"Authorization": f"Bearer {self.token}"}


async def register(identity: RunningService, devmail: DevMail, person: Person) -> EmailMessage:
    """Register through the API; the verification mail that reaches the mail server."""
    async with identity.client() as http:
        registered = await http.post(
            "/api/v1/accounts",
            json={
                "email": person.email,
                "password": person.password,
                "display_name": person.display_name,
                "language": person.language,
                "region": person.region,
            },
        )
        assert registered.status_code == 202, registered.text
    try:
        return (await devmail.wait_for(person.email))[0]
    except AssertionError as missing:
        raise AssertionError(f"{missing}\n{await _mail_trail(identity, person.email)}") from None


async def _mail_trail(identity: RunningService, address: str) -> str:
    """Where a verification mail stopped: identity's outbox, notifications' deliveries."""
    lines = []
    for service, sql in (
        (
            "identity",
            "SELECT event_type, topic, created_at, published_at FROM outbox"
            " WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'",
        ),
        (
            "notifications",
            "SELECT status, attempts, last_error, created_at, finished_at FROM email_deliveries"
            " WHERE address = $1",
        ),
        ("notifications", "SELECT email, language FROM recipients WHERE email = $1"),
    ):
        url = identity.env["IDENTITY_DATABASE_URL"].replace("_identity_", f"_{service}_")
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(sql, address)
        except asyncpg.PostgresError as exc:
            rows = [f"{type(exc).__name__}: {exc}"]  # type: ignore[list-item]
        finally:
            await conn.close()
        lines.append(
            f"{service}: {sql.split(' FROM ')[1].split()[0]}: {[dict(r) if not isinstance(r, str) else r for r in rows]}"
        )
    return "\n".join(lines)


def verification_link(identity: RunningService, mail: EmailMessage) -> str:
    text = _parts(mail)["text/plain"]
    found = re.search(re.escape(identity.url) + r"/verify-email\?\S+", text)
    assert found, text
    return found.group(0)


async def confirm_from_mail(identity: RunningService, mail: EmailMessage) -> None:
    """What a person does with the mail: open the link (a page with a button), press
    the button (a POST; mail scanners only ever GET)."""
    async with identity.client() as browser:
        page = await browser.get(verification_link(identity, mail))
        assert page.status_code == 200, page.text
        token_field = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token_field, page.text
        done = await browser.post(
            "/verify-email",
            data={"csrf_token": csrf_of(page.text), "token": token_field.group(1)},
        )
        assert done.status_code == 200, done.text
        assert 'class="error"' not in done.text, done.text


def verification_code(mail: EmailMessage) -> str:
    parts = _parts(mail)
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", parts["text/plain"])
    assert found, parts["text/plain"]
    assert found.group(1) in parts["text/html"]
    return found.group(1)


async def register_and_confirm(
    identity: RunningService, devmail: DevMail, person: Person, *, by_code: bool = False
) -> None:
    """Register and confirm: by the link (a browser), or by typing the code (an app)."""
    mail = await register(identity, devmail, person)
    if not by_code:
        await confirm_from_mail(identity, mail)
        return
    async with identity.client() as http:
        confirmed = await http.post(
            "/api/v1/accounts/email-confirmations",
            json={"email": person.email, "code": verification_code(mail)},
        )
        assert confirmed.status_code == 200, confirmed.text


async def public_detail(http: httpx.AsyncClient, pid: str, total: int) -> dict[str, Any] | None:
    """The petition's public detail once its folded count is ``total`` (no token)."""
    r = await http.get(f"/api/v1/petitions/{pid}")
    assert r.status_code == 200, r.text
    detail: dict[str, Any] = r.json()
    return detail if detail["signatures"]["total"] == total else None


async def oauth_token(
    identity: RunningService,
    client_id: str,
    person: Person,
    scope: str,
    *,
    granted: str | None = None,
) -> dict[str, Any]:
    """Sign in, consent, exchange the code with the PKCE verifier: the token response
    (``granted``: the scopes expected when the person's roles allow less than asked)."""
    async with identity.client() as browser:
        session = await browser.post(
            "/api/v1/sessions", json={"email": person.email, "password": person.password}
        )
        assert session.status_code == 200, session.text
        person.id = uuid.UUID(session.json()["user_id"])
        verifier, challenge = pkce()
        code = code_of(await authorize(browser, client_id, scope, challenge=challenge))
        exchanged = await browser.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": client_id,
                "code_verifier": verifier,
            },
        )
        assert exchanged.status_code == 200, exchanged.text
        token: dict[str, Any] = exchanged.json()
        expected = set((scope if granted is None else granted).split())
        assert set(token["scope"].split()) == expected, token["scope"]
        person.token = token["access_token"]
        return token


# --------------------------------------------------------------------------- #
# The system
# --------------------------------------------------------------------------- #


async def test_a_citizen_registers_in_arabic_signs_and_withdraws(
    start_service: StartService,
    stack: StackEnv,
    database_url: Callable[..., Awaitable[str]],
    devmail: DevMail,
) -> None:
    run = uuid.uuid4().hex[:8]
    # Topics of its own: the services start from empty topics instead of replaying
    # every event the run's other tests published (hundreds of mails to send first).
    topic_prefix = f"{stack.topic_prefix}system-{run}."
    await ensure_topics(stack.kafka_bootstrap, all_topics(topic_prefix))
    # Databases of its own too: the in-process apps of the services' own tests keep
    # running on the run's databases, and their senders would take this test's mail.
    db = {
        name: await database_url(name, f"{name}_system")
        for name in ("identity", "petitions", "notifications")
    }
    identity = await start_service(
        "identity",
        extra_env={
            "IDENTITY_TOPIC_PREFIX": topic_prefix,
            "IDENTITY_DATABASE_URL": db["identity"],
            "IDENTITY_LOG_LEVEL": "WARNING",
            **{f"IDENTITY_{name.upper()}": str(value) for name, value in FAST_ARGON2.items()},
        },
    )
    # Own consumer groups: other tests of the run may keep a process of these
    # services (same databases) alive; each group reads every event, the inbox
    # keeps each effect single.
    petitions, notifications = await asyncio.gather(
        start_service(
            "petitions",
            extra_env={
                "PETITIONS_TOPIC_PREFIX": topic_prefix,
                "PETITIONS_DATABASE_URL": db["petitions"],
                "PETITIONS_LOG_LEVEL": "WARNING",
                "PETITIONS_CONSUMER_GROUP_PREFIX": f"system-{run}-",
                "PETITIONS_FOLD_INTERVAL": "0.1",
                "PETITIONS_OUTBOX_POLL_INTERVAL": "0.2",
            },
        ),
        start_service(
            "notifications",
            extra_env={
                "NOTIFICATIONS_TOPIC_PREFIX": topic_prefix,
                "NOTIFICATIONS_DATABASE_URL": db["notifications"],
                "NOTIFICATIONS_LOG_LEVEL": "WARNING",
                "NOTIFICATIONS_CONSUMER_GROUP_PREFIX": f"system-{run}-",
                "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
                "NOTIFICATIONS_SMTP_PORT": str(devmail.port),
                "NOTIFICATIONS_SENDER_POLL_INTERVAL": "0.2",
            },
        ),
    )
    assert notifications.url

    identity_db = await asyncpg.create_pool(db["identity"], min_size=1, max_size=2)
    petitions_db = await asyncpg.connect(db["petitions"])
    try:
        # ------------------------------------------------------------------ #
        # The first administrator (test factory), the OAuth client, the body
        # ------------------------------------------------------------------ #
        settings = make_settings(db["identity"], stack, issuer=identity.url)
        factory = Factory(identity_db, settings)
        first_admin = await factory.user(roles=("admin",), email=f"admin-{run}@sawt.test")
        async with identity.client() as http:
            created = await http.post(
                "/api/v1/admin/clients",
                json={
                    "name": f"Sawt system test {run}",
                    "kind": "public",
                    "redirect_uris": [REDIRECT_URI],
                    "allowed_scopes": SCOPES,
                },
                headers=await factory.bearer(first_admin, "admin"),
            )
            assert created.status_code == 201, created.text
            client_id: str = created.json()["client_id"]

        admin = Person(first_admin.email, "Admin", "fr", "rabat-sale-kenitra", first_admin.password)
        await oauth_token(identity, client_id, admin, "openid admin organizations")
        async with identity.client() as http:
            org = await http.post(
                "/api/v1/organizations",
                json={"name": f"Conseil communal de Tafraout {run}", "kind": "public_body"},
                headers=admin.bearer,
            )
            assert org.status_code == 201, org.text
            body_id = org.json()["id"]
            verified = await http.post(
                f"/api/v1/organizations/{body_id}/verification",
                json={"note": "system test"},
                headers=admin.bearer,
            )
            assert verified.status_code == 200, verified.text

        # ------------------------------------------------------------------ #
        # People register and confirm from their mail
        # ------------------------------------------------------------------ #
        citizen = Person(f"leila-{run}@example.ma", "ليلى أمزيان", "ar", REGION)
        creator = Person(f"brahim-{run}@example.ma", "Brahim Ait", "fr", REGION)
        moderator = Person(f"moderatrice-{run}@example.ma", "Nadia M.", "fr", "casablanca-settat")

        verification = await register(identity, devmail, citizen)
        parts = _assert_arabic_mail(verification, "أكّد عنوان بريدك الإلكتروني")
        verification_code(verification)  # also offered as a code to type
        link = verification_link(identity, verification)
        assert "lang=ar" in link
        assert link in parts["text/html"].replace("&amp;", "&")
        async with identity.client() as browser:
            page = await browser.get(link)
            assert 'dir="rtl"' in page.text  # the page opens in the reader's language
        await confirm_from_mail(identity, verification)

        await asyncio.gather(
            register_and_confirm(identity, devmail, creator, by_code=True),
            register_and_confirm(identity, devmail, moderator),
        )

        # ------------------------------------------------------------------ #
        # Tokens through the authorization-code flow; the moderator's role
        # ------------------------------------------------------------------ #
        await oauth_token(identity, client_id, citizen, "openid account petitions:sign")
        await oauth_token(identity, client_id, creator, "openid petitions:write")
        # not a moderator yet: the scope is not granted (and the test learns the id)
        await oauth_token(
            identity, client_id, moderator, "openid petitions:moderate", granted="openid"
        )
        async with identity.client() as http:
            me = await http.get("/api/v1/me", headers=citizen.bearer)
            assert me.status_code == 200, me.text
            assert me.json()["email_verified"] is True
            assert me.json()["assurance"] == "email"
            roles = await http.put(
                f"/api/v1/users/{moderator.id}/roles",
                json={"roles": ["moderator"]},
                headers=admin.bearer,
            )
            assert roles.status_code == 200, roles.text
        await oauth_token(identity, client_id, moderator, "openid petitions:moderate")
        assert citizen.id is not None
        assert creator.id is not None

        # ------------------------------------------------------------------ #
        # Petitions learns of the people and the body from identity's events
        # ------------------------------------------------------------------ #
        async def read_model_ready() -> bool:
            people = await petitions_db.fetch(
                "SELECT user_id FROM citizens"
                " WHERE user_id = ANY($1::uuid[]) AND region = $2 AND assurance = 'email'"
                " AND deleted_at IS NULL",
                [citizen.id, creator.id],
                REGION,
            )
            body = await petitions_db.fetchval(
                "SELECT verified AND kind = 'public_body' FROM organizations"
                " WHERE organization_id = $1",
                uuid.UUID(body_id),
            )
            return len(people) == 2 and bool(body)

        await wait_until(
            read_model_ready, timeout=20, interval=0.1, message="petitions' read model"
        )

        # ------------------------------------------------------------------ #
        # A petition: draft, submitted, published by the moderator
        # ------------------------------------------------------------------ #
        async with petitions.client() as http:
            draft = await http.post(
                "/api/v1/petitions",
                json={
                    "channel": "local-petition",
                    "language": "ar",
                    "title": {"ar": TITLE_AR, "fr": TITLE_FR},
                    "body": {
                        "ar": "نطالب بربط الدواوير بشبكة الماء الصالح للشرب.",
                        "fr": "Nous demandons le raccordement des douars au réseau d'eau.",
                    },
                    "subject": "water",
                    "region": REGION,
                    "target_organization_id": body_id,
                },
                headers=creator.bearer,
            )
            assert draft.status_code == 201, draft.text
            pid = draft.json()["id"]
            submitted = await http.post(f"/api/v1/petitions/{pid}/submit", headers=creator.bearer)
            assert submitted.status_code == 200, submitted.text
            assert submitted.json()["state"] == "awaiting_moderation"
            published = await http.post(
                f"/api/v1/petitions/{pid}/publish", headers=moderator.bearer
            )
            assert published.status_code == 200, published.text
            assert published.json()["state"] == "open"

            # -------------------------------------------------------------- #
            # The citizen signs: 201, then 409; the public count follows
            # -------------------------------------------------------------- #
            request_id = str(uuid.uuid4())
            signed = await http.post(
                f"/api/v1/petitions/{pid}/signatures",
                json={},
                headers={**citizen.bearer, "X-Request-ID": request_id},
            )
            assert signed.status_code == 201, signed.text
            signature = signed.json()
            assert signature["region"] == REGION
            assert signature["public"] is False
            again = await http.post(
                f"/api/v1/petitions/{pid}/signatures", json={}, headers=citizen.bearer
            )
            assert again.status_code == 409, again.text
            assert again.headers["content-type"] == PROBLEM_MEDIA_TYPE
            assert again.json()["type"].endswith("/already-signed")

            detail = await wait_until(
                lambda: public_detail(http, pid, 1), timeout=10, message="count of 1"
            )
            assert detail is not None
            counts = detail["signatures"]
            assert counts["by_region"] == [{"region": REGION, "count": 1}]
            assert datetime.fromisoformat(counts["as_of"]) >= datetime.fromisoformat(
                signature["signed_at"]
            )
            public_text = json.dumps(detail, ensure_ascii=False)
            assert citizen.display_name not in public_text
            assert str(citizen.id) not in public_text
            signers = await http.get(f"/api/v1/petitions/{pid}/signers")
            assert signers.status_code == 200, signers.text
            assert signers.json()["items"] == []

        # ------------------------------------------------------------------ #
        # The receipt in Arabic; the event on Kafka with the request's id
        # ------------------------------------------------------------------ #
        receipt = (await devmail.wait_for(citizen.email, subject=TITLE_AR))[0]
        receipt_parts = _assert_arabic_mail(receipt, f"توقيعك على «{TITLE_AR}»")
        receipt_number = signature["signature_id"].split("-")[0].upper()
        assert receipt_number in receipt_parts["text/plain"]
        assert receipt_number in receipt_parts["text/html"]

        def is_ours(record: Any) -> bool:
            headers = dict(record.headers)
            if headers.get("ce_type") != PetitionSigned.event_type.encode():
                return False
            data = json.loads(record.value)
            return bool(data["signature_id"] == signature["signature_id"])

        records = await consume_until(
            stack.kafka_bootstrap,
            PetitionSigned.topic(topic_prefix),
            lambda rs: any(is_ours(r) for r in rs),
            timeout=15,
        )
        (record,) = [r for r in records if is_ours(r)]
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["ce_specversion"] == "1.0"
        assert headers["ce_source"] == "petitions"
        assert headers["ce_subject"] == pid
        assert headers["ce_requestid"] == request_id
        assert headers["content-type"] == "application/json"
        assert headers["ce_time"].endswith("Z")
        uuid.UUID(headers["ce_id"])
        assert record.key == pid.encode()
        event = PetitionSigned.model_validate_json(record.value)
        assert event.signer_id == citizen.id
        assert event.region == REGION

        # ------------------------------------------------------------------ #
        # The citizen withdraws: the count goes back to 0
        # ------------------------------------------------------------------ #
        async with petitions.client() as http:
            withdrawn = await http.delete(
                f"/api/v1/petitions/{pid}/signatures/mine", headers=citizen.bearer
            )
            assert withdrawn.status_code == 204, withdrawn.text
            detail = await wait_until(
                lambda: public_detail(http, pid, 0), timeout=10, message="count of 0"
            )
            assert detail is not None
            assert detail["signatures"]["by_region"] in ([], [{"region": REGION, "count": 0}])
    finally:
        await petitions_db.close()
        await identity_db.close()
