"""The petitions service end to end, as a real uvicorn process against PostgreSQL and
Kafka, with a JWKS over HTTP standing in for the identity service (whose events are
published to the run's identity topic).

A crowd signs one petition through HTTP while the process is killed (SIGKILL) and
restarted: every signature that was answered 201 is stored and counted once, every
citizen ends with exactly one signature, and each stored signature's event reaches
Kafka.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
import uvicorn
from aiokafka import AIOKafkaProducer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from petitions.testing import petition_events
from sawt_shared.events import Event, EventEnvelope
from sawt_shared.events.identity import (
    OrganizationCreated,
    OrganizationVerified,
    UserAssuranceRaised,
    UserRegistered,
)
from sawt_shared.events.petitions import PetitionSigned
from sawt_shared.kafka import create_producer
from sawt_shared.testing import StackEnv, free_port, wait_until
from sawt_shared.testing.tokens import TokenFactory
from tests.conftest import RunningService, StartService

pytestmark = pytest.mark.asyncio

CROWD = 60


@pytest_asyncio.fixture(scope="module")
async def identity_stub() -> AsyncIterator[tuple[str, TokenFactory]]:
    """The identity service's JWKS at its usual path; tokens minted for its issuer."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    tokens = TokenFactory(issuer=url, lifetime=600)

    async def jwks(request: Request) -> Response:
        return JSONResponse(tokens.jwks())

    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/.well-known/jwks.json", jwks)]),
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_config=None,
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()
        return server.started

    await wait_until(started, timeout=10, message="JWKS stub started")
    yield url, tokens
    server.should_exit = True
    await asyncio.wait_for(task, timeout=10)


async def publish(producer: AIOKafkaProducer, prefix: str, *events: Event) -> None:
    futures = []
    for event in events:
        env = EventEnvelope.wrap(event, source="identity")
        futures.append(
            await producer.send(
                event.topic(prefix), env.data, key=env.key.encode(), headers=env.headers()
            )
        )
    await asyncio.gather(*futures)


async def test_signatures_answered_201_survive_a_crash_and_count_once(
    start_service: StartService,
    identity_stub: tuple[str, TokenFactory],
    stack: StackEnv,
    database_url: Callable[[str], Awaitable[str]],
) -> None:
    identity_url, tokens = identity_stub
    env = {
        "PETITIONS_LOG_LEVEL": "WARNING",
        "PETITIONS_FOLD_INTERVAL": "0.1",
        "PETITIONS_OUTBOX_POLL_INTERVAL": "0.2",
        "PETITIONS_SIGN_LIMIT_PER_IP": "100000/minute",
    }
    service: RunningService = await start_service(
        "petitions", identity_url=identity_url, extra_env=env
    )
    db = await asyncpg.connect(await database_url("petitions"))
    producer = create_producer(stack.kafka_bootstrap, client_id="petitions-e2e")
    await producer.start()
    try:
        # People and the public body, as the identity service announces them.
        crowd = [uuid.uuid4() for _ in range(CROWD)]
        creator, body = uuid.uuid4(), uuid.uuid4()
        events: list[Event] = []
        for person in [creator, *crowd]:
            events += [
                UserRegistered(
                    user_id=person,
                    email=f"{person.hex[:10]}@example.ma",
                    display_name="Citoyen",
                    language="fr",
                    region="oriental",
                ),
                UserAssuranceRaised(user_id=person, assurance="email"),
            ]
        events += [
            OrganizationCreated(
                organization_id=body, name="Wizara", kind="public_body", created_by=creator
            ),
            OrganizationVerified(
                organization_id=body, name="Wizara", kind="public_body", verified_by=creator
            ),
        ]
        await publish(producer, stack.topic_prefix, *events)

        async def known() -> bool:
            n = await db.fetchval(
                "SELECT count(*) FROM citizens WHERE user_id = ANY($1::uuid[])"
                " AND assurance = 'email'",
                [creator, *crowd],
            )
            verified = await db.fetchval(
                "SELECT verified FROM organizations WHERE organization_id = $1", body
            )
            return bool(n == CROWD + 1 and verified)

        await wait_until(known, timeout=60, message="the read model knows the crowd")

        def auth(subject: uuid.UUID | str, *scopes: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens.mint(subject=str(subject), scopes=scopes)}"}

        async with service.client() as client:
            r = await client.post(
                "/api/v1/petitions",
                json={
                    "channel": "open-petition",
                    "language": "fr",
                    "title": {"fr": "Un hôpital à Figuig", "ar": "مستشفى في فجيج"},
                    "body": {"fr": "Figuig n'a pas d'hôpital."},
                    "subject": "health",
                    "target_organization_id": str(body),
                },
                headers=auth(creator, "petitions:write"),
            )
            assert r.status_code == 201, r.text
            pid = r.json()["id"]
            assert (
                await client.post(
                    f"/api/v1/petitions/{pid}/submit", headers=auth(creator, "petitions:write")
                )
            ).json()["state"] == "collecting_sponsors"
            for sponsor in crowd[:5]:
                s = await client.post(
                    f"/api/v1/petitions/{pid}/sponsors", headers=auth(sponsor, "petitions:sign")
                )
                assert s.status_code == 201, s.text
            moderator = auth(uuid.uuid4(), "petitions:moderate")
            assert (
                await client.post(f"/api/v1/petitions/{pid}/publish", headers=moderator)
            ).json()["state"] == "open"

        acknowledged: set[uuid.UUID] = set()

        async def sign(base: str, person: uuid.UUID) -> int | None:
            try:
                async with httpx.AsyncClient(base_url=base, timeout=10) as c:
                    r = await c.post(
                        f"/api/v1/petitions/{pid}/signatures",
                        json={},
                        headers=auth(person, "petitions:sign"),
                    )
            except httpx.TransportError:
                return None  # the process died under this request: not acknowledged
            if r.status_code == 201:
                acknowledged.add(person)
            return r.status_code

        # The crowd signs; the process is killed while it does.
        first = [asyncio.create_task(sign(service.url, p)) for p in crowd]
        await asyncio.sleep(0.15)
        service.process.kill()
        await service.process.wait()
        outcomes: list[Any] = await asyncio.gather(*first)
        assert any(o is None for o in outcomes) or len(acknowledged) == CROWD
        stored = {
            r["signer_id"]
            for r in await db.fetch(
                "SELECT signer_id FROM signatures WHERE petition_id = $1", uuid.UUID(pid)
            )
        }
        assert acknowledged <= stored  # nothing answered 201 was lost

        restarted = await start_service("petitions", identity_url=identity_url, extra_env=env)
        retried = await asyncio.gather(
            *(sign(restarted.url, p) for p in crowd if p not in acknowledged)
        )
        assert set(retried) <= {201, 409}  # 409: written just before the crash, unanswered
        assert len(acknowledged) + retried.count(409) == CROWD

        async def counted() -> bool:
            total = await db.fetchval(
                "SELECT total FROM petition_counts WHERE petition_id = $1", uuid.UUID(pid)
            )
            return bool(total == CROWD)

        await wait_until(counted, timeout=60, message="the count folded after the restart")
        assert (
            await db.fetchval(
                "SELECT count(DISTINCT signer_id) FROM signatures WHERE petition_id = $1",
                uuid.UUID(pid),
            )
            == CROWD
        )
        async with restarted.client() as client:
            detail = (await client.get(f"/api/v1/petitions/{pid}")).json()
        assert detail["signatures"]["total"] == CROWD
        assert detail["signatures"]["by_region"] == [{"region": "oriental", "count": CROWD}]

        def signature_ids(envs: list[EventEnvelope]) -> set[uuid.UUID]:
            ids = set()
            for e in envs:
                if e.type == PetitionSigned.event_type:
                    data = e.parse()
                    assert isinstance(data, PetitionSigned)
                    ids.add(data.signature_id)
            return ids

        published = await petition_events(
            stack, pid, lambda envs: len(signature_ids(envs)) >= CROWD, timeout=60
        )
        signed = signature_ids(published)
        stored_ids = {
            r["id"]
            for r in await db.fetch(
                "SELECT id FROM signatures WHERE petition_id = $1", uuid.UUID(pid)
            )
        }
        assert signed == stored_ids
    finally:
        await producer.stop()
        await db.close()
