"""Factories and helpers for the petitions service's tests (as ``sawt_shared.testing``
is for the shared library's): people and organisations published as identity events,
tokens, channels and petitions made through the API, and the petition's events read
back from Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from sawt_shared.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from sawt_shared.events import Event, EventEnvelope
from sawt_shared.events.identity import (
    OrganizationCreated,
    OrganizationMemberAdded,
    OrganizationVerified,
    UserAssuranceRaised,
    UserRegistered,
)
from sawt_shared.testing import StackEnv, consume_until, wait_until
from sawt_shared.testing.tokens import TokenFactory

__all__ = [
    "ALL_SCOPES",
    "OTHER_REGION",
    "REGION",
    "Identity",
    "Person",
    "World",
    "assert_problem",
    "channel_body",
    "now",
    "petition_events",
]

REGION = "casablanca-settat"
OTHER_REGION = "souss-massa"

ALL_SCOPES = ("petitions:write", "petitions:sign")


# --------------------------------------------------------------------------- #
# People: identity events published to the run's identity.events topic
# --------------------------------------------------------------------------- #


@dataclass
class Person:
    id: uuid.UUID
    token: str
    region: str | None
    assurance: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Identity:
    """Plays the identity service: publishes its events, mints its tokens."""

    producer: AIOKafkaProducer
    stack: StackEnv
    tokens: TokenFactory
    db: asyncpg.Pool
    published: list[EventEnvelope] = field(default_factory=list)

    async def publish(self, *events: Event) -> None:
        futures = []
        for event in events:
            env = EventEnvelope.wrap(event, source="identity")
            futures.append(
                await self.producer.send(
                    event.topic(self.stack.topic_prefix),
                    env.data,
                    key=env.key.encode(),
                    headers=env.headers(),
                )
            )
            self.published.append(env)
        await asyncio.gather(*futures)

    def token(self, user_id: uuid.UUID | str, *scopes: str) -> str:
        return self.tokens.mint(subject=str(user_id), scopes=scopes or ALL_SCOPES)

    def headers(self, user_id: uuid.UUID | str, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, *scopes)}"}

    async def citizens(
        self,
        n: int,
        *,
        region: str | None = REGION,
        assurance: str = "email",
        scopes: Iterable[str] = ALL_SCOPES,
        wait: bool = True,
    ) -> list[Person]:
        people = [Person(uuid.uuid4(), "", region, assurance) for _ in range(n)]
        events: list[Event] = []
        for p in people:
            p.token = self.token(p.id, *scopes)
            events.append(
                UserRegistered(
                    user_id=p.id,
                    email=f"{p.id.hex[:12]}@example.ma",
                    display_name=f"Citizen {p.id.hex[:6]}",
                    language="ar",
                    region=region or "",
                )
            )
            if assurance != "none":
                events.append(UserAssuranceRaised(user_id=p.id, assurance=assurance))
        await self.publish(*events)
        if wait:
            await self.wait_known([p.id for p in people], assurance)
        return people

    async def citizen(self, **kwargs: Any) -> Person:
        return (await self.citizens(1, **kwargs))[0]

    async def wait_known(self, ids: list[uuid.UUID], assurance: str = "none") -> None:
        async def known() -> bool:
            async with self.db.acquire() as conn:
                n = await conn.fetchval(
                    "SELECT count(*) FROM citizens WHERE user_id = ANY($1::uuid[])"
                    " AND assurance = $2",
                    ids,
                    assurance,
                )
            return bool(n == len(ids))

        await wait_until(known, timeout=30, message=f"{len(ids)} citizens in the read model")

    async def public_body(self, *members: Person, name: str = "Wizarat") -> uuid.UUID:
        org = uuid.uuid4()
        creator = members[0].id if members else uuid.uuid4()
        await self.publish(
            OrganizationCreated(
                organization_id=org, name=name, kind="public_body", created_by=creator
            ),
            OrganizationVerified(
                organization_id=org, name=name, kind="public_body", verified_by=uuid.uuid4()
            ),
            *(
                OrganizationMemberAdded(organization_id=org, user_id=m.id, role="editor")
                for m in members[1:]
            ),
        )

        async def known() -> bool:
            async with self.db.acquire() as conn:
                verified = await conn.fetchval(
                    "SELECT verified FROM organizations WHERE organization_id = $1", org
                )
                members_known = await conn.fetchval(
                    "SELECT count(*) FROM organization_members WHERE organization_id = $1", org
                )
            return bool(verified) and members_known == max(1, len(members))

        await wait_until(known, timeout=30, message="public body in the read model")
        return org


# --------------------------------------------------------------------------- #
# Petitions
# --------------------------------------------------------------------------- #


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_BASE + slug, body
    assert body["status"] == status
    return body


LABEL = {"ar": "عتبة", "fr": "Seuil", "en": "Threshold"}


def channel_body(slug: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": slug,
        "name": {"ar": "قناة تجريبية", "fr": "Canal d'essai", "en": "Test channel"},
        "description": {"ar": "للاختبار", "fr": "Pour les essais", "en": "For tests"},
        "authority": {"ar": "الحكومة", "fr": "Le gouvernement", "en": "The government"},
        "min_sponsors": 0,
        "max_sponsors": 5,
        "duration_days": 30,
        "thresholds": [
            {
                "name": "response",
                "signatures": 3,
                "triggers": "response",
                "response_days": 30,
                "label": LABEL,
            }
        ],
        "signer_assurance": "email",
        "region_restricted": False,
        "excluded_subjects": ["monarchy"],
    }
    body.update(overrides)
    return body


@dataclass
class World:
    """Factories for channels and petitions, through the API like a real client."""

    client: httpx.AsyncClient
    identity: Identity
    db: asyncpg.Pool
    admin: dict[str, str]
    moderator: dict[str, str]

    async def channel(self, **overrides: Any) -> str:
        slug = f"t-{uuid.uuid4().hex[:12]}"
        r = await self.client.post(
            "/api/v1/channels", json=channel_body(slug, **overrides), headers=self.admin
        )
        assert r.status_code == 201, r.text
        return slug

    async def draft(
        self,
        creator: Person,
        *,
        channel: str,
        target: uuid.UUID,
        title: dict[str, str] | None = None,
        language: str = "fr",
        **extra: Any,
    ) -> dict[str, Any]:
        body = {
            "channel": channel,
            "language": language,
            "title": title or {language: f"Pétition {uuid.uuid4().hex[:8]}"},
            "body": {language: "Nous demandons de l'eau potable dans les villages."},
            "subject": "water",
            "target_organization_id": str(target),
            **extra,
        }
        r = await self.client.post("/api/v1/petitions", json=body, headers=creator.headers)
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    async def open_petition(
        self,
        *,
        channel: str | None = None,
        region: str | None = None,
        assurance: str = "email",
        **draft: Any,
    ) -> tuple[str, Person, uuid.UUID]:
        """A published petition: its id, its creator, and the public body addressed."""
        creator = await self.identity.citizen(region=region or REGION, assurance=assurance)
        target = await self.identity.public_body()
        slug = channel or await self.channel()
        extra: dict[str, Any] = {"region": region} if region else {}
        p = await self.draft(creator, channel=slug, target=target, **extra, **draft)
        pid = p["id"]
        r = await self.client.post(f"/api/v1/petitions/{pid}/submit", headers=creator.headers)
        assert r.status_code == 200, r.text
        if r.json()["state"] == "collecting_sponsors":
            needed = r.json()["min_sponsors"]
            sponsors = await self.identity.citizens(
                needed, region=region or REGION, assurance=assurance
            )
            for sponsor in sponsors:
                s = await self.client.post(
                    f"/api/v1/petitions/{pid}/sponsors", headers=sponsor.headers
                )
                assert s.status_code == 201, s.text
        r = await self.client.post(f"/api/v1/petitions/{pid}/publish", headers=self.moderator)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "open"
        return pid, creator, target

    async def sign(self, pid: str, person: Person, **body: Any) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/petitions/{pid}/signatures", json=body or None, headers=person.headers
        )

    async def scalar(self, sql: str, *args: Any) -> Any:
        async with self.db.acquire() as conn:
            return await conn.fetchval(sql, *args)


async def petition_events(
    stack: StackEnv,
    petition_id: str,
    done: Callable[[list[EventEnvelope]], bool],
    *,
    settle: float = 0.0,
    timeout: float = 20.0,
) -> list[EventEnvelope]:
    """The events of one petition on the run's petitions topic (read from the start)."""
    topic = f"{stack.topic_prefix}petitions.events"
    key = petition_id.encode()

    def mine(records: list[Any]) -> list[EventEnvelope]:
        return [
            EventEnvelope.from_kafka(r.headers, r.key, r.value) for r in records if r.key == key
        ]

    records = await consume_until(
        stack.kafka_bootstrap, topic, lambda rs: done(mine(rs)), settle=settle, timeout=timeout
    )
    return mine(records)


def now() -> datetime:
    return datetime.now(UTC)
