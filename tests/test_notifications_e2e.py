"""The notifications service end to end: a real uvicorn process, the real development
mail server process, Kafka and PostgreSQL. Events published as identity and petitions
would publish them become mail in the reader's language; one-click unsubscribe over
HTTP stops the next one; metrics show the deliveries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage

import asyncpg
import httpx
import pytest
import pytest_asyncio

from notifications.testing import DevMail, running_devmail
from sawt_shared.events import Event, EventEnvelope
from sawt_shared.events.identity import UserEmailVerified, UserRegistered
from sawt_shared.events.petitions import PetitionCreated, PetitionSigned
from sawt_shared.kafka import create_producer
from sawt_shared.testing import StackEnv, wait_until

from .conftest import StartService

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture(scope="module")
async def devmail(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevMail]:
    async with running_devmail(tmp_path_factory.mktemp("e2e-maildir")) as server:
        yield server


@pytest_asyncio.fixture(scope="module")
async def own_database(database_url: Callable[..., Awaitable[str]]) -> str:
    """A database of its own: the in-process tests of the service use the run's one."""
    return await database_url("notifications", "notifications_e2e")


async def test_signature_receipt_unsubscribe_and_metrics_through_a_real_process(
    start_service: StartService, stack: StackEnv, devmail: DevMail, own_database: str
) -> None:
    service = await start_service(
        "notifications",
        extra_env={
            "NOTIFICATIONS_DATABASE_URL": own_database,
            "NOTIFICATIONS_SMTP_PORT": str(devmail.port),
            "NOTIFICATIONS_CONSUMER_GROUP_PREFIX": f"e2e-{uuid.uuid4().hex[:8]}-",
            "NOTIFICATIONS_SENDER_POLL_INTERVAL": "0.5",
        },
    )
    producer = create_producer(stack.kafka_bootstrap, client_id="e2e")
    await producer.start()

    async def publish(event: Event) -> EventEnvelope:
        env = EventEnvelope.wrap(event, source="e2e")
        await producer.send_and_wait(
            type(event).topic(stack.topic_prefix),
            value=env.data,
            key=env.key.encode(),
            headers=env.headers(),
        )
        return env

    try:
        signer, petition = uuid.uuid4(), uuid.uuid4()
        address = f"{signer.hex[:12]}@e2e.test"
        await publish(
            UserRegistered(
                user_id=signer, email=address, display_name="Yassine", language="fr", region="MA-04"
            )
        )
        await publish(UserEmailVerified(user_id=signer, email=address))
        await publish(
            PetitionCreated(
                petition_id=petition,
                channel="national",
                creator_id=uuid.uuid4(),
                title={"ar": "مسبح بلدي", "fr": "Une piscine municipale"},
                language="ar",
            )
        )

        async def sign() -> EventEnvelope:
            return await publish(
                PetitionSigned(
                    petition_id=petition,
                    signature_id=uuid.uuid4(),
                    signer_id=signer,
                    region="MA-04",
                    signed_at=datetime.now(UTC),
                )
            )

        # the recipient must be known and verified before the receipt can go out
        db = await asyncpg.connect(own_database)
        try:

            async def verified() -> bool:
                return bool(
                    await db.fetchval(
                        "SELECT email_verified FROM recipients WHERE user_id = $1", signer
                    )
                )

            await wait_until(verified, timeout=30)
            await sign()

            async def receipt() -> list[EmailMessage] | None:
                return devmail.to(address) or None

            mails = await wait_until(receipt, timeout=30)
            assert mails is not None
            (mail,) = mails
            assert mail["Subject"] == "Votre signature de « Une piscine municipale »"

            path = httpx.URL(mail["List-Unsubscribe"].strip("<>")).path
            async with service.client() as client:
                done = await client.post(path, content=b"List-Unsubscribe=One-Click")
                assert done.status_code == 200
                metrics = (await client.get("/metrics")).text
            assert (
                'sawt_notifications_emails_total{category="signature_receipts",outcome="sent"}'
                in metrics
            )

            second = await sign()

            async def skipped() -> str | None:
                value: str | None = await db.fetchval(
                    "SELECT status FROM email_deliveries WHERE event_id = $1", second.id
                )
                return value if value in ("skipped", "sent") else None

            assert await wait_until(skipped, timeout=30) == "skipped"
            assert len(devmail.to(address)) == 1
        finally:
            await db.close()
    finally:
        await producer.stop()
