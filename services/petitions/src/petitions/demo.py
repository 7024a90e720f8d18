"""``python -m petitions.demo``: channels' targets, people and petitions to look at.

Idempotent: every id is derived from a name, rows are written once. The people and
public bodies are written into the read model directly (as the identity events
would); petitions go through the same rules and outbox as the API, in Arabic,
French and English, in every state: a draft, one collecting sponsors, one awaiting
moderation, open ones with signatures (one past its threshold), a closed one with
the government's response, a rejected duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from petitions.channels import repository as channels
from petitions.counting.service import fold
from petitions.lifecycle import repository as lifecycle
from petitions.lifecycle.rules import Petition
from petitions.people import repository as people
from petitions.people.rules import Responder
from petitions.responses import repository as responses
from petitions.responses.rules import satisfied_by
from petitions.settings import PetitionsSettings
from petitions.signing.service import SignCommand, write_batch
from sawt_shared.db import Connection, create_pool
from sawt_shared.i18n import Language, LocalizedText
from sawt_shared.outbox import Outbox

_log = logging.getLogger("petitions.demo")
_NS = uuid.UUID("5a17d3e0-0000-4000-8000-000000000004")

CITIZENS = 400
CASABLANCANS = 330  # the first ones live in Casablanca-Settat
REGIONS = (
    "casablanca-settat",
    "rabat-sale-kenitra",
    "marrakech-safi",
    "fes-meknes",
    "souss-massa",
    "tanger-tetouan-al-hoceima",
)


def demo_id(name: str) -> uuid.UUID:
    return uuid.uuid5(_NS, name)


@dataclass(frozen=True)
class Story:
    key: str
    channel: str
    language: Language
    title: LocalizedText
    body: LocalizedText
    subject: str
    target: str
    region: str | None = None
    end: str = "open"  # draft, collecting, awaiting, open, responded, rejected
    signers: int = 0


BODIES = {
    "head-of-government": "Chef du gouvernement",
    "government": "Gouvernement",
    "house-of-representatives": "Chambre des représentants",
    "casablanca-settat-council": "Conseil de la région Casablanca-Settat",
}

STORIES = (
    Story(
        "water",
        "national-petition",
        "ar",
        {
            "ar": "الماء الصالح للشرب في كل دواوير الأطلس",
            "fr": "L'eau potable dans tous les douars de l'Atlas",
        },
        {
            "ar": "نطالب بربط كل الدواوير الجبلية بشبكة الماء الصالح للشرب قبل الصيف.",
            "fr": "Nous demandons le raccordement de tous les douars de montagne à l'eau potable.",
        },
        "water",
        "head-of-government",
        signers=48,
    ),
    Story(
        "night-buses",
        "local-petition",
        "fr",
        {"fr": "Des bus de nuit à Casablanca", "ar": "حافلات ليلية في الدار البيضاء"},
        {"fr": "Des lignes de bus de nuit entre les quartiers et le centre, jusqu'à 2 h."},
        "transport",
        "casablanca-settat-council",
        region="casablanca-settat",
        signers=310,  # past the council's threshold of 300
    ),
    Story(
        "libraries",
        "open-petition",
        "en",
        {"en": "Open public libraries on weekends", "fr": "Ouvrir les bibliothèques le week-end"},
        {"en": "Public libraries should open on Saturdays and Sundays, when students are free."},
        "culture",
        "government",
        signers=30,
    ),
    Story(
        "amazigh-signs",
        "open-petition",
        "fr",
        {"fr": "Des panneaux en tifinagh dans les gares", "ar": "لوحات بتيفيناغ في المحطات"},
        {"fr": "Toutes les gares devraient afficher leurs informations en tifinagh aussi."},
        "language",
        "government",
        end="responded",
        signers=20,
    ),
    Story(
        "teachers",
        "legislative-motion",
        "ar",
        {"ar": "ملتمس تشريعي حول وضعية الأساتذة المتعاقدين"},
        {"ar": "نقترح قانونا ينظم وضعية الأساتذة أطر الأكاديميات."},
        "education",
        "house-of-representatives",
        end="collecting",
    ),
    Story(
        "cycle-lanes",
        "open-petition",
        "fr",
        {"fr": "Des pistes cyclables à Rabat"},
        {"fr": "Un réseau de pistes cyclables protégées à Rabat et Salé."},
        "transport",
        "government",
        end="awaiting",
    ),
    Story(
        "libraries-again",
        "open-petition",
        "en",
        {"en": "Libraries open on weekends"},
        {"en": "Same request as the petition on weekend libraries."},
        "culture",
        "government",
        end="rejected",
    ),
    Story(
        "beaches",
        "open-petition",
        "ar",
        {"ar": "شواطئ نظيفة في الصيف"},
        {"ar": "مسودة: حملة لتنظيف الشواطئ."},
        "environment",
        "government",
        end="draft",
    ),
)


async def _people(conn: Connection, now: datetime) -> None:
    for key, name in BODIES.items():
        org = demo_id(f"org:{key}")
        await people.upsert_organization(
            conn, organization_id=org, name=name, kind="public_body", verified=True, at=now
        )
        await people.upsert_member(
            conn, organization_id=org, user_id=demo_id(f"official:{key}"), role="editor"
        )
    for n in range(CITIZENS):
        await people.upsert_citizen(
            conn,
            user_id=demo_id(f"citizen:{n}"),
            region=REGIONS[n % len(REGIONS)] if n >= CASABLANCANS else "casablanca-settat",
            display_name=f"Citoyen·ne {n}",
            assurance="eid" if n % 2 == 0 else "email",
            at=now,
        )
    await conn.execute(
        "UPDATE channels SET target_organization_id = $1 WHERE slug = 'national-petition'"
        " AND target_organization_id IS NULL",
        demo_id("org:head-of-government"),
    )


async def _story(conn: Connection, outbox: Outbox, story: Story, now: datetime) -> None:
    pid = demo_id(f"petition:{story.key}")
    if await lifecycle.get_petition(conn, pid) is not None:
        return
    channel = await channels.get_channel(conn, story.channel)
    assert channel is not None
    creator = await people.get_citizen(conn, demo_id("citizen:0"))
    target = await people.get_organization(conn, demo_id(f"org:{story.target}"))
    start = now - timedelta(days=3)
    petition = Petition.create(
        id=pid,
        channel=story.channel,
        channel_active=True,
        rules=channel.to_rules(),
        creator=creator,
        target_id=target.organization_id if target else None,
        target=target,
        language=story.language,
        title=story.title,
        body=story.body,
        subject=story.subject,
        region=story.region,
        now=start,
    )
    moderator = demo_id("moderator")
    eid_only = petition.rules.signer_assurance == "eid"
    eligible = [
        n
        for n in range(1, CITIZENS)
        if (not eid_only or n % 2 == 0)
        and (not petition.rules.region_restricted or n < CASABLANCANS)
    ]
    sponsor_numbers: list[int] = []
    if story.end != "draft":
        petition.submit(petition.creator_id, start)
        sponsors = 2 if story.end == "collecting" else petition.rules.min_sponsors
        sponsor_numbers = eligible[:sponsors]
        for n in sponsor_numbers:
            sponsor = await people.get_citizen(conn, demo_id(f"citizen:{n}"))
            petition.add_sponsor(sponsor, already=False, now=start)
    if story.end == "rejected":
        petition.reject(
            moderator, "duplicate", "Voir « Open public libraries on weekends ».", start
        )
    if story.end in ("open", "responded"):
        petition.publish(moderator, start)
    await lifecycle.insert_petition(conn, petition)
    await lifecycle.save_petition(conn, petition)  # the states it went through
    for n in sponsor_numbers:
        sponsor_id = demo_id(f"citizen:{n}")
        sponsor = await people.get_citizen(conn, sponsor_id)
        await lifecycle.add_sponsor(conn, pid, sponsor_id, sponsor.region if sponsor else None)
    await lifecycle.record_audit(conn, pid, petition.audit)
    await outbox.add(conn, *petition.events)
    petition.audit.clear()
    petition.events.clear()
    if story.signers:
        candidates = [n for n in eligible if n not in sponsor_numbers]
        await write_batch(
            conn,
            outbox,
            [
                SignCommand(pid, demo_id(f"citizen:{n}"), public=n % 3 == 0)
                for n in candidates[: story.signers]
            ],
        )
    if story.end == "responded":
        petition.closes_at = now - timedelta(minutes=1)  # its time is up
        petition.close(now, signatures=story.signers, response_kinds=set())
        official = demo_id(f"official:{story.target}")
        response_id = demo_id(f"response:{story.key}")
        at = now
        summary: LocalizedText = {
            "fr": "Le ministère des Transports équipera les gares d'ici deux ans.",
            "ar": "ستجهز وزارة النقل المحطات في غضون سنتين.",
            "en": "The transport ministry will equip the stations within two years.",
        }
        assert petition.target_organization_id is not None
        petition.respond(
            Responder(official, frozenset({petition.target_organization_id})),
            response_id=response_id,
            kind="response",
            decision=None,
            summary=summary,
            response_kinds=set(),
            now=at,
        )
        assert petition.target_organization_id is not None
        await responses.insert_response(
            conn,
            response_id=response_id,
            petition_id=pid,
            kind="response",
            decision=None,
            organization_id=petition.target_organization_id,
            author_id=official,
            language="fr",
            summary=summary,
            body=summary,
            at=at,
        )
        reached = await responses.reached_of(conn, pid)
        await responses.satisfy(conn, pid, satisfied_by("response", reached), response_id, at)
        await lifecycle.save_petition(conn, petition)
        await lifecycle.record_audit(conn, pid, petition.audit)
        await outbox.add(conn, *petition.events)


async def seed(settings: PetitionsSettings) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    outbox = Outbox(source=settings.service_name, topic_prefix=settings.topic_prefix)
    now = datetime.now(UTC)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await _people(conn, now)
            for story in STORIES:
                await _story(conn, outbox, story, now)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", 0x5A17, 0x0F01)
            await fold(conn, outbox)
    finally:
        await pool.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    asyncio.run(seed(PetitionsSettings()))
    _log.info("petitions demo data is in place (%d stories)", len(STORIES))


if __name__ == "__main__":
    main()
