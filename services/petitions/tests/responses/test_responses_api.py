"""Closing when time is up, official responses by the body addressed, and the public
list of petitions past their response deadline."""

from __future__ import annotations

import uuid

import pytest

from petitions.bootstrap import Petitions, close_due
from petitions.testing import World, assert_problem, petition_events
from sawt_shared.events.petitions import PetitionClosed, PetitionResponded
from sawt_shared.testing import StackEnv, wait_until

pytestmark = pytest.mark.asyncio


async def expire(world: World, pid: str) -> None:
    async with world.db.acquire() as conn:
        await conn.execute(
            "UPDATE petitions SET closes_at = now() - interval '1 second' WHERE id = $1",
            uuid.UUID(pid),
        )


async def state(world: World, pid: str) -> str:
    return str(await world.scalar("SELECT state FROM petitions WHERE id = $1", uuid.UUID(pid)))


async def test_an_open_petition_closes_by_itself_when_its_time_is_up(
    world: World, stack: StackEnv, service: Petitions
) -> None:
    pid, _, _ = await world.open_petition()
    assert (await world.sign(pid, await world.identity.citizen())).status_code == 201
    await expire(world, pid)

    async def closed() -> bool:
        return await state(world, pid) == "closed"

    await wait_until(closed, timeout=30, message="the closing task")
    assert await close_due(service.runtime) == 0  # nothing left; safe to run again
    events = await petition_events(
        stack, pid, lambda es: PetitionClosed.event_type in [e.type for e in es]
    )
    data = next(e.parse() for e in events if e.type == PetitionClosed.event_type)
    assert isinstance(data, PetitionClosed)
    assert data.signatures == 1
    audit = await world.client.get(f"/api/v1/petitions/{pid}/audit", headers=world.moderator)
    assert audit.json()[-1]["actor_role"] == "system"


async def test_the_body_addressed_responds_and_the_deadline_is_met(
    world: World, stack: StackEnv
) -> None:
    official, colleague, outsider = await world.identity.citizens(3)
    target = await world.identity.public_body(official, colleague)
    other_body = await world.identity.public_body(outsider)
    assert other_body != target
    creator = await world.identity.citizen()
    slug = await world.channel()
    draft = await world.draft(creator, channel=slug, target=target)
    pid = draft["id"]
    await world.client.post(f"/api/v1/petitions/{pid}/submit", headers=creator.headers)
    await world.client.post(f"/api/v1/petitions/{pid}/publish", headers=world.moderator)
    for s in await world.identity.citizens(3):
        assert (await world.sign(pid, s)).status_code == 201

    async def reached() -> bool:
        return bool(
            await world.scalar(
                "SELECT count(*) FROM petition_thresholds WHERE petition_id = $1", uuid.UUID(pid)
            )
        )

    await wait_until(reached, timeout=30)
    # the deadline passes without an answer
    async with world.db.acquire() as conn:
        await conn.execute(
            "UPDATE petition_thresholds SET response_due_at = now() - interval '3 days 2 hours'"
            " WHERE petition_id = $1",
            uuid.UUID(pid),
        )
    awaiting = (await world.client.get("/api/v1/petitions/awaiting-response")).json()
    late = next(i for i in awaiting["items"] if i["petition_id"] == pid)
    assert late["days_overdue"] == 3
    assert late["threshold"] == "response"
    assert late["target_organization_id"] == str(target)
    assert set(late["threshold_label"]) >= {"ar", "fr", "en"}

    answer = {
        "kind": "response",
        "language": "fr",
        "summary": {"fr": "Le ministère étudie la demande.", "ar": "الوزارة تدرس الطلب."},
        "body": {"fr": "Réponse complète."},
    }
    url = f"/api/v1/petitions/{pid}/responses"
    before = await world.scalar(
        "SELECT (SELECT count(*) FROM responses WHERE petition_id = $1)"
        " + (SELECT count(*) FROM petition_audit WHERE petition_id = $1)",
        uuid.UUID(pid),
    )
    responder = world.identity.headers(outsider.id, "petitions:respond")
    assert_problem(
        await world.client.post(url, json=answer, headers=responder), 403, "not-target-authority"
    )
    assert_problem(
        await world.client.post(url, json=answer, headers=official.headers),
        403,
        "insufficient-scope",
    )
    speaker = world.identity.headers(colleague.id, "petitions:respond")
    assert_problem(
        await world.client.post(url, json={**answer, "decision": "admissible"}, headers=speaker),
        422,
        "decision-not-allowed",
    )
    assert_problem(
        await world.client.post(
            url, json={**answer, "language": "ar"} | {"body": {"fr": "x"}}, headers=speaker
        ),
        422,
        "language-missing",
    )
    refused_wrote = await world.scalar(
        "SELECT (SELECT count(*) FROM responses WHERE petition_id = $1)"
        " + (SELECT count(*) FROM petition_audit WHERE petition_id = $1)",
        uuid.UUID(pid),
    )
    assert refused_wrote == before
    r = await world.client.post(url, json=answer, headers=speaker)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "open"  # it keeps collecting until its time is up
    awaiting = (await world.client.get("/api/v1/petitions/awaiting-response")).json()
    assert pid not in [i["petition_id"] for i in awaiting["items"]]
    detail = (await world.client.get(f"/api/v1/petitions/{pid}")).json()
    assert detail["responses"][0]["summary"]["ar"] == "الوزارة تدرس الطلب."
    assert detail["thresholds"][0]["satisfied_at"] is not None
    assert detail["thresholds"][0]["days_overdue"] is None

    await expire(world, pid)

    async def responded() -> bool:
        return await state(world, pid) == "responded"

    await wait_until(responded, timeout=30)
    debate = {**answer, "kind": "debate"}
    r = await world.client.post(url, json=debate, headers=speaker)
    assert r.json()["state"] == "debated"
    events = await petition_events(
        stack,
        pid,
        lambda es: [e.type for e in es].count(PetitionResponded.event_type) >= 2,
    )
    kinds = []
    for e in events:
        if e.type == PetitionResponded.event_type:
            data = e.parse()
            assert isinstance(data, PetitionResponded)
            kinds.append(data.kind)
            assert data.organization_id == target
    assert kinds == ["response", "debate"]


async def test_a_motion_gets_an_admissibility_decision(world: World) -> None:
    official = await world.identity.citizen()
    target = await world.identity.public_body(official)
    slug = await world.channel(
        thresholds=[
            {
                "name": "admissibility",
                "signatures": 2,
                "triggers": "admissibility",
                "response_days": 60,
                "label": {"ar": "القبول", "fr": "Recevabilité", "en": "Admissibility"},
            }
        ]
    )
    creator = await world.identity.citizen()
    pid = (await world.draft(creator, channel=slug, target=target))["id"]
    await world.client.post(f"/api/v1/petitions/{pid}/submit", headers=creator.headers)
    await world.client.post(f"/api/v1/petitions/{pid}/publish", headers=world.moderator)
    await expire(world, pid)

    async def closed() -> bool:
        return await state(world, pid) == "closed"

    await wait_until(closed, timeout=30)
    speaker = world.identity.headers(official.id, "petitions:respond")
    url = f"/api/v1/petitions/{pid}/responses"
    body = {
        "kind": "admissibility",
        "language": "ar",
        "summary": {"ar": "الملتمس غير مقبول"},
        "body": {"ar": "لأسباب شكلية."},
    }
    assert_problem(
        await world.client.post(url, json=body, headers=speaker), 422, "decision-required"
    )
    r = await world.client.post(url, json={**body, "decision": "inadmissible"}, headers=speaker)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "responded"
    detail = (await world.client.get(f"/api/v1/petitions/{pid}")).json()
    assert detail["responses"][0]["decision"] == "inadmissible"
