"""A response to every signer who opted in: queued in the database in batches, resumable."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from notifications.messages.fanout import FanoutWorker
from sawt_shared.events.petitions import PetitionResponded
from sawt_shared.testing import wait_until

pytestmark = pytest.mark.asyncio

TITLE: Any = {"ar": "نقل عمومي ليلي", "fr": "Des bus de nuit", "en": "Night buses"}


async def seed_followers(
    db: asyncpg.Pool, petition_id: uuid.UUID, count: int, *, opted_out: int = 0
) -> list[uuid.UUID]:
    """Signers as the read model holds them after their petition.signed events."""
    users = [uuid.uuid4() for _ in range(count + opted_out)]
    languages = ["ar", "fr", "en"]
    await db.executemany(
        "INSERT INTO recipients (user_id, email, display_name, language, email_verified) VALUES ($1, $2, $3, $4, true)",
        [
            (u, f"{u.hex[:12]}@fanout.test", f"Signer {i}", languages[i % 3])
            for i, u in enumerate(users)
        ],
    )
    await db.executemany(
        "INSERT INTO petition_followers (petition_id, user_id, wants_updates) VALUES ($1, $2, $3)",
        [(petition_id, u, i < count) for i, u in enumerate(users)],
    )
    return users[:count]


async def test_a_response_reaches_every_signer_who_opted_in_in_their_language(
    db: asyncpg.Pool, publisher: Any, devmail: Any, people: Any
) -> None:
    creator = await people.user("ar")
    petition_id = uuid.uuid4()
    followers = await seed_followers(db, petition_id, 120, opted_out=30)
    env = await publisher.publish(
        PetitionResponded(
            petition_id=petition_id,
            kind="response",
            organization_id=uuid.uuid4(),
            summary={
                "ar": "ستُطلق الحافلات الليلية في مارس.",
                "fr": "Les bus de nuit démarreront en mars.",
                "en": "Night buses start in March.",
            },
            responded_at=datetime.now(UTC),
            creator_id=creator.id,
            title=TITLE,
        )
    )

    async def all_sent() -> bool:
        sent = await db.fetchval(
            "SELECT count(*) FROM email_deliveries WHERE event_id = $1 AND status = 'sent'", env.id
        )
        return bool(sent == 121)

    await wait_until(all_sent, timeout=60)
    (to_creator,) = await devmail.wait_for(creator.email)
    assert to_creator["Subject"] == "رد رسمي على عريضتك «نقل عمومي ليلي»"
    french = f"{followers[1].hex[:12]}@fanout.test"
    (mail,) = devmail.to(french)
    assert mail["Subject"] == "Réponse officielle à la pétition « Des bus de nuit »"
    assert "Les bus de nuit démarreront en mars." in str(
        mail.get_body(preferencelist=("plain",)).get_content()
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the ones who did not ask for updates got nothing; the feed has an item per follower
    fed = await db.fetchval("SELECT count(*) FROM feed_items WHERE event_id = $1", env.id)
    assert fed == 121
    done = await db.fetchrow(
        "SELECT f.queued, f.done_at FROM fanouts f JOIN messages m ON m.id = f.message_id WHERE m.event_id = $1",
        env.id,
    )
    assert done is not None
    assert done["queued"] == 120
    assert done["done_at"] is not None


async def test_a_fanout_stopped_in_the_middle_resumes_without_doubles(
    db: asyncpg.Pool, app: Any
) -> None:
    petition_id = uuid.uuid4()
    followers = await seed_followers(db, petition_id, 250)
    event_id = uuid.uuid4()
    async with db.acquire() as conn, conn.transaction():
        message_id = await conn.fetchval(
            "INSERT INTO messages (event_id, event_type, kind, category, params) VALUES ($1, 'test', 'petition_closed_follower', 'petition_updates', $2::jsonb) RETURNING id",
            event_id,
            json.loads(
                json.dumps(
                    {
                        "petition_id": str(petition_id),
                        "title": TITLE,
                        "signatures": 250,
                        "role": "follower",
                    }
                )
            ),
        )
        await conn.execute(
            "INSERT INTO fanouts (message_id, petition_id, audience) VALUES ($1, $2, 'followers')",
            message_id,
            petition_id,
        )

    # one worker queues one batch, then "crashes"; whoever comes next goes on from there
    first = await FanoutWorker(db, batch_size=100).expand_one_batch()
    assert first is not None
    position = await db.fetchval("SELECT position FROM fanouts WHERE message_id = $1", message_id)
    assert position is not None
    await FanoutWorker(db, batch_size=100).run_until_idle()

    async def complete() -> bool:
        row = await db.fetchrow(
            "SELECT done_at, queued FROM fanouts WHERE message_id = $1", message_id
        )
        return row is not None and row["done_at"] is not None

    await wait_until(complete)
    rows = await db.fetch("SELECT user_id FROM email_deliveries WHERE message_id = $1", message_id)
    assert sorted(r["user_id"] for r in rows) == sorted(followers)
    assert await db.fetchval("SELECT queued FROM fanouts WHERE message_id = $1", message_id) == 250
