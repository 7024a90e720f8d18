"""Events on Kafka become the right mails, in the reader's language, at the real SMTP server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
import pytest

from notifications.messages.keys import delivery_key
from sawt_shared.events.identity import (
    EmailVerificationRequested,
    PasswordResetRequested,
)
from sawt_shared.events.petitions import (
    PetitionClosed,
    PetitionCreated,
    PetitionPublished,
    PetitionRejected,
    PetitionSigned,
    PetitionSponsorsInvited,
    PetitionThresholdReached,
)
from sawt_shared.testing import wait_until

pytestmark = pytest.mark.asyncio

TITLE: Any = {
    "ar": "ماء نظيف لقريتنا",
    "fr": "De l'eau propre pour notre village",
    "en": "Clean water for our village",
}


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


def now() -> datetime:
    return datetime.now(UTC)


async def create_petition(publisher: Any, creator: Any) -> uuid.UUID:
    petition_id = uuid.uuid4()
    await publisher.publish(
        PetitionCreated(
            petition_id=petition_id,
            channel="national",
            creator_id=creator.id,
            title=TITLE,
            language="ar",
        )
    )
    return petition_id


async def test_verification_mail_in_arabic_right_to_left_without_unsubscribe(
    publisher: Any, devmail: Any, app: Any
) -> None:
    user_id = uuid.uuid4()
    address = f"{user_id.hex[:10]}@example.test"
    env = await publisher.publish(
        EmailVerificationRequested(
            user_id=user_id,
            email=address,
            display_name="أمينة",
            language="ar",
            link="https://sawt.test/verify?t=abc",
            code="482913",
            expires_at=now() + timedelta(hours=24),
        )
    )
    (msg,) = await devmail.wait_for(address)
    assert msg["Subject"] == "أكّد عنوان بريدك الإلكتروني"
    text, html = parts(msg)
    assert "482913" in text
    assert "https://sawt.test/verify?t=abc" in text
    assert 'dir="rtl"' in html
    assert 'lang="ar"' in html
    assert "أمينة" in text
    assert msg["Content-Language"] == "ar"
    assert msg["Message-ID"] == f"<{delivery_key(env.id, str(user_id), 'email')}@sawt.ma>"
    # transactional: no unsubscribe
    assert msg["List-Unsubscribe"] is None


async def test_password_reset_in_french(publisher: Any, devmail: Any, app: Any) -> None:
    user_id = uuid.uuid4()
    address = f"{user_id.hex[:10]}@example.test"
    await publisher.publish(
        PasswordResetRequested(
            user_id=user_id,
            email=address,
            display_name="Camille",
            language="fr",
            link="https://sawt.test/reset?t=xyz",
            expires_at=now() + timedelta(hours=1),
        )
    )
    (msg,) = await devmail.wait_for(address)
    assert msg["Subject"] == "Réinitialisez votre mot de passe"
    text, html = parts(msg)
    assert "Bonjour Camille," in text
    assert "https://sawt.test/reset?t=xyz" in text
    assert 'dir="ltr"' in html


async def test_same_event_delivered_three_times_sends_one_mail(
    publisher: Any, devmail: Any, db: asyncpg.Pool, app: Any
) -> None:
    user_id = uuid.uuid4()
    address = f"{user_id.hex[:10]}@example.test"
    event = PasswordResetRequested(
        user_id=user_id,
        email=address,
        display_name="Sam",
        language="en",
        link="https://sawt.test/reset?t=1",
        expires_at=now() + timedelta(hours=1),
    )
    env = await publisher.publish(event, times=3)
    await devmail.wait_for(address)

    async def all_three_handled() -> bool:
        # the inbox saw the event; its two copies were no-ops
        rows = await db.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", env.id)
        sent = await db.fetchval(
            "SELECT count(*) FROM email_deliveries WHERE event_id = $1 AND status = 'sent'", env.id
        )
        return bool(rows == 1 and sent == 1)

    await wait_until(all_three_handled)
    # a later event on the same partition is handled, so the copies were consumed already
    marker = uuid.uuid4()
    await publisher.publish(
        PasswordResetRequested(
            user_id=user_id,
            email=f"{marker.hex[:10]}@example.test",
            display_name="Sam",
            language="en",
            link="https://sawt.test/reset?t=2",
            expires_at=now() + timedelta(hours=1),
        )
    )
    await devmail.wait_for(f"{marker.hex[:10]}@example.test")
    assert len(devmail.to(address)) == 1


async def test_signature_receipt_in_the_signers_language(
    publisher: Any, devmail: Any, people: Any
) -> None:
    creator = await people.user("ar")
    signer = await people.user("en")
    petition_id = await create_petition(publisher, creator)
    signature_id = uuid.uuid4()
    await publisher.publish(
        PetitionSigned(
            petition_id=petition_id,
            signature_id=signature_id,
            signer_id=signer.id,
            region="MA-01",
            signed_at=now(),
            wants_updates=True,
        )
    )
    (msg,) = await devmail.wait_for(signer.email)
    assert msg["Subject"] == "Your signature on “Clean water for our village”"
    text, _html = parts(msg)
    assert signature_id.hex[:8].upper() in text
    assert f"https://sawt.test/en/petitions/{petition_id}" in text
    assert "We will tell you when the petition receives an official response." in text
    assert msg["List-Unsubscribe"].startswith(
        "<https://notifications.sawt.test/api/v1/unsubscribe/"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_no_mail_to_an_address_nobody_verified(
    publisher: Any, devmail: Any, people: Any, db: asyncpg.Pool
) -> None:
    creator = await people.user("fr", verified=False)
    petition_id = uuid.uuid4()
    env = await publisher.publish(
        PetitionPublished(
            petition_id=petition_id,
            channel="national",
            creator_id=creator.id,
            title=TITLE,
            opened_at=now(),
            closes_at=now() + timedelta(days=30),
        )
    )

    async def skipped() -> str | None:
        value: str | None = await db.fetchval(
            "SELECT last_error FROM email_deliveries WHERE event_id = $1 AND status = 'skipped'",
            env.id,
        )
        return value

    assert await wait_until(skipped) == "address not verified"
    assert devmail.to(creator.email) == []


async def test_creator_hears_of_publication_rejection_threshold_and_closing(
    publisher: Any, devmail: Any, people: Any
) -> None:
    creator = await people.user("fr")
    petition_id = await create_petition(publisher, creator)
    await publisher.publish(
        PetitionRejected(
            petition_id=petition_id,
            creator_id=creator.id,
            title=TITLE,
            reason="unclear",
            explanation="Précisez la commune concernée.",
        )
    )
    (rejected,) = await devmail.wait_for(creator.email)
    assert (
        rejected["Subject"]
        == "Votre pétition « De l'eau propre pour notre village » n’a pas été acceptée"
    )
    text, _ = parts(rejected)
    assert "Motif : sa demande n’est pas assez claire" in text
    assert "Précisez la commune concernée." in text

    await publisher.publish(
        PetitionPublished(
            petition_id=petition_id,
            channel="national",
            creator_id=creator.id,
            title=TITLE,
            opened_at=now(),
            closes_at=datetime(2027, 3, 1, 12, tzinfo=UTC),
        )
    )
    await publisher.publish(
        PetitionThresholdReached(
            petition_id=petition_id,
            threshold="response",
            signatures=25_312,
            required=25_000,
            triggers="government_response",
            reached_at=now(),
            creator_id=creator.id,
            title=TITLE,
        )
    )
    await publisher.publish(
        PetitionClosed(
            petition_id=petition_id,
            closed_at=now(),
            signatures=31_000,
            creator_id=creator.id,
            title=TITLE,
        )
    )
    mails = await devmail.wait_for(creator.email, count=4)
    subjects = {m["Subject"] for m in mails}
    assert (
        "Votre pétition « De l'eau propre pour notre village » est ouverte aux signatures"
        in subjects
    )
    assert (
        "Votre pétition « De l'eau propre pour notre village » a atteint 25\u202f000 signatures"
        in subjects
    )
    assert "Votre pétition « De l'eau propre pour notre village » est close" in subjects
    published = next(m for m in mails if "ouverte" in m["Subject"])
    assert "jusqu’au 1 mars 2027" in parts(published)[0]


async def test_sponsor_requests_go_to_each_named_address_once(
    publisher: Any, devmail: Any, people: Any
) -> None:
    creator = await people.user("ar")
    first, second = (f"{uuid.uuid4().hex[:10]}@example.test" for _ in range(2))
    await publisher.publish(
        PetitionSponsorsInvited(
            petition_id=uuid.uuid4(),
            creator_id=creator.id,
            title=TITLE,
            emails=[first, second, first.upper()],
            language="ar",
            link="https://sawt.test/ar/sponsor/abc",
        )
    )
    (a,) = await devmail.wait_for(first)
    (b,) = await devmail.wait_for(second)
    assert a["Subject"] == "مطلوب دعمك للعريضة «ماء نظيف لقريتنا»"
    assert "https://sawt.test/ar/sponsor/abc" in parts(b)[0]
    assert a["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_unsubscribe_stops_the_next_mail_of_that_category(
    publisher: Any, devmail: Any, people: Any, api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    creator = await people.user("ar")
    signer = await people.user("fr")
    petition_id = await create_petition(publisher, creator)

    async def sign() -> Any:
        return await publisher.publish(
            PetitionSigned(
                petition_id=petition_id,
                signature_id=uuid.uuid4(),
                signer_id=signer.id,
                region=None,
                signed_at=now(),
            )
        )

    await sign()
    (receipt,) = await devmail.wait_for(signer.email)
    url = receipt["List-Unsubscribe"].strip("<>")
    path = httpx.URL(url).path

    # the GET behind the link only asks (mail scanners follow links)
    page = await api.get(path)
    assert page.status_code == 200
    assert "Ne plus recevoir les messages « Reçus de signature »" in page.text
    assert await db.fetchval("SELECT count(*) FROM preferences WHERE user_id = $1", signer.id) == 0

    # the RFC 8058 one-click POST unsubscribes, without any login
    done = await api.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200, done.text
    assert "Vous ne recevrez plus les messages « Reçus de signature »" in done.text

    env = await sign()

    async def skipped() -> str | None:
        value: str | None = await db.fetchval(
            "SELECT last_error FROM email_deliveries WHERE event_id = $1 AND status = 'skipped'",
            env.id,
        )
        return value

    assert await wait_until(skipped) == "unsubscribed"
    assert len(devmail.to(signer.email)) == 1

    # a forged or altered token changes nothing
    forged = await api.post(path[:-3] + "abc")
    assert forged.status_code == 400
    assert forged.json()["type"].endswith("/invalid-unsubscribe-token")
