"""The whole lifecycle through the API, with its events, audit log and refusals."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from petitions.bootstrap import Petitions
from petitions.testing import REGION, World, assert_problem, petition_events
from sawt_shared.events.petitions import (
    PetitionCreated,
    PetitionHidden,
    PetitionPublished,
    PetitionRejected,
    PetitionSponsored,
    PetitionSponsorsInvited,
    PetitionSubmitted,
)
from sawt_shared.testing import StackEnv

pytestmark = pytest.mark.asyncio


async def snapshot(world: World, pid: str) -> tuple[Any, ...]:
    """What a refused action must leave as it was."""
    async with world.db.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT p.state, p.sponsors, p.title, p.updated_at,"
            " (SELECT count(*) FROM petition_audit WHERE petition_id = p.id) AS audit,"
            " (SELECT count(*) FROM sponsors WHERE petition_id = p.id) AS sponsor_rows,"
            " (SELECT count(*) FROM outbox WHERE key = p.id::text) AS events"
            " FROM petitions p WHERE p.id = $1",
            uuid.UUID(pid),
        )
    assert row is not None
    return tuple(row.values())


async def test_the_whole_lifecycle_is_audited_and_announced(world: World, stack: StackEnv) -> None:
    slug = await world.channel(min_sponsors=2, max_sponsors=3)
    creator = await world.identity.citizen()
    target = await world.identity.public_body()
    p = await world.draft(
        creator, channel=slug, target=target, title={"fr": "Bibliothèque à Tiznit", "ar": "مكتبة"}
    )
    pid = p["id"]
    assert p["state"] == "draft"

    r = await world.client.patch(
        f"/api/v1/petitions/{pid}",
        json={"title": {"fr": "Une bibliothèque à Tiznit", "ar": "مكتبة في تزنيت"}},
        headers=creator.headers,
    )
    assert r.status_code == 200, r.text
    r = await world.client.post(
        f"/api/v1/petitions/{pid}/sponsors/invitations",
        json={"emails": ["amina@example.ma", "youssef@example.ma"]},
        headers=creator.headers,
    )
    assert r.status_code == 202, r.text
    r = await world.client.post(f"/api/v1/petitions/{pid}/submit", headers=creator.headers)
    assert r.json()["state"] == "collecting_sponsors"
    s1, s2, s3, s4 = await world.identity.citizens(4)
    r = await world.client.post(f"/api/v1/petitions/{pid}/sponsors", headers=s1.headers)
    assert r.json() == {"petition_id": pid, "sponsors": 1, "state": "collecting_sponsors"}
    r = await world.client.post(f"/api/v1/petitions/{pid}/sponsors", headers=s2.headers)
    assert r.json()["state"] == "awaiting_moderation"
    r = await world.client.post(f"/api/v1/petitions/{pid}/sponsors", headers=s3.headers)
    assert r.json()["sponsors"] == 3
    assert_problem(
        await world.client.post(f"/api/v1/petitions/{pid}/sponsors", headers=s4.headers),
        409,
        "sponsors-full",
    )
    queue = await world.client.get("/api/v1/moderation/queue?limit=100", headers=world.moderator)
    assert pid in [i["id"] for i in queue.json()["items"]]
    r = await world.client.post(f"/api/v1/petitions/{pid}/publish", headers=world.moderator)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "open"
    assert r.json()["closes_at"] is not None

    audit = await world.client.get(f"/api/v1/petitions/{pid}/audit", headers=world.moderator)
    assert [a["action"] for a in audit.json()] == [
        "created",
        "edited",
        "sponsors_invited",
        "submitted",
        "sponsored",
        "sponsored",
        "sponsored",
        "published",
    ]
    assert audit.json()[-1]["actor_role"] == "moderator"
    assert_problem(
        await world.client.get(f"/api/v1/petitions/{pid}/audit", headers=creator.headers),
        403,
        "insufficient-scope",
    )

    wanted = [
        PetitionCreated.event_type,
        PetitionSponsorsInvited.event_type,
        PetitionSubmitted.event_type,
        PetitionSponsored.event_type,
        PetitionPublished.event_type,
    ]
    events = await petition_events(
        stack, pid, lambda es: PetitionPublished.event_type in [e.type for e in es]
    )
    types = [e.type for e in events]
    assert [t for t in dict.fromkeys(types) if t in wanted] == wanted
    assert types.count(PetitionSponsored.event_type) == 3
    invited = next(e.parse() for e in events if e.type == PetitionSponsorsInvited.event_type)
    assert isinstance(invited, PetitionSponsorsInvited)
    assert invited.emails == ["amina@example.ma", "youssef@example.ma"]


async def test_creation_shows_look_alikes_and_honours_idempotency(world: World) -> None:
    creator = await world.identity.citizen()
    target = await world.identity.public_body()
    slug = await world.channel()
    marker = uuid.uuid4().hex[:6]
    first = await world.draft(
        creator,
        channel=slug,
        target=target,
        title={"fr": f"Sauver la forêt de la Maâmora {marker}"},
    )
    r = await world.client.post(f"/api/v1/petitions/{first['id']}/submit", headers=creator.headers)
    assert r.status_code == 200
    body = {
        "channel": slug,
        "language": "fr",
        "title": {"fr": f"Sauvons la foret de la Maamora {marker}"},
        "body": {"fr": "Protéger la forêt."},
        "subject": "environment",
        "target_organization_id": str(target),
    }
    headers = {**creator.headers, "Idempotency-Key": uuid.uuid4().hex}
    r = await world.client.post("/api/v1/petitions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert first["id"] in [s["id"] for s in r.json()["similar"]]
    again = await world.client.post("/api/v1/petitions", json=body, headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] == r.json()["id"]
    assert again.headers["Location"] == f"/api/v1/petitions/{r.json()['id']}"
    mine = await world.client.get("/api/v1/petitions/mine", headers=creator.headers)
    assert len(mine.json()) == 2
    similar = await world.client.get(
        "/api/v1/petitions/similar", params={"title": f"forêt Maâmora {marker}"}
    )
    assert first["id"] in [s["id"] for s in similar.json()]
    changed = {**body, "subject": "forests"}
    assert_problem(
        await world.client.post("/api/v1/petitions", json=changed, headers=headers),
        422,
        "idempotency-key-reused",
    )


async def test_creation_refusals_write_nothing(world: World) -> None:
    creator = await world.identity.citizen()
    unverified = await world.identity.citizen(assurance="none")
    target = await world.identity.public_body()
    association = uuid.uuid4()
    slug = await world.channel(excluded_subjects=["monarchy"])
    local = await world.channel(region_restricted=True)
    good = {
        "channel": slug,
        "language": "fr",
        "title": {"fr": "Titre"},
        "body": {"fr": "Texte"},
        "subject": "water",
        "target_organization_id": str(target),
    }

    async def count() -> int:
        return int(await world.scalar("SELECT count(*) FROM petitions"))

    before = await count()
    cases: list[tuple[dict[str, Any], dict[str, str], int, str]] = [
        ({"subject": "monarchy"}, creator.headers, 422, "subject-not-receivable"),
        ({"channel": "no-such-channel"}, creator.headers, 422, "channel-not-found"),
        (
            {"target_organization_id": str(association)},
            creator.headers,
            422,
            "target-not-public-body",
        ),
        ({"target_organization_id": None}, creator.headers, 422, "target-authority-required"),
        ({"language": "ar"}, creator.headers, 422, "language-missing"),
        ({"channel": local}, creator.headers, 422, "region-required"),
        ({"channel": local, "region": "oriental"}, creator.headers, 403, "outside-region"),
        ({}, unverified.headers, 403, "assurance-too-low"),
        ({"title": {}}, creator.headers, 422, "invalid-input"),
        ({"title": {"xx": "?"}}, creator.headers, 422, "invalid-input"),
        ({"unknown": 1}, creator.headers, 422, "invalid-input"),
        ({}, world.identity.headers(creator.id, "petitions:sign"), 403, "insufficient-scope"),
        ({}, {}, 401, "missing-token"),
    ]
    for change, headers, status, slug_ in cases:
        r = await world.client.post("/api/v1/petitions", json={**good, **change}, headers=headers)
        assert_problem(r, status, slug_)
    assert await count() == before
    ok = await world.client.post(
        "/api/v1/petitions",
        json={**good, "channel": local, "region": REGION},
        headers=creator.headers,
    )
    assert ok.status_code == 201, ok.text


async def test_who_may_do_what_and_refusals_change_nothing(world: World, stack: StackEnv) -> None:
    creator, other = await world.identity.citizens(2)
    target = await world.identity.public_body()
    slug = await world.channel(min_sponsors=1)
    pid = (await world.draft(creator, channel=slug, target=target))["id"]
    before = await snapshot(world, pid)
    checks = [
        (
            "PATCH",
            f"/api/v1/petitions/{pid}",
            {"title": {"fr": "X"}},
            other.headers,
            403,
            "not-creator",
        ),
        ("POST", f"/api/v1/petitions/{pid}/submit", None, other.headers, 403, "not-creator"),
        (
            "POST",
            f"/api/v1/petitions/{pid}/sponsors",
            None,
            other.headers,
            409,
            "not-collecting-sponsors",
        ),
        (
            "POST",
            f"/api/v1/petitions/{pid}/publish",
            None,
            world.moderator,
            409,
            "not-awaiting-moderation",
        ),
        (
            "POST",
            f"/api/v1/petitions/{pid}/publish",
            None,
            creator.headers,
            403,
            "insufficient-scope",
        ),
        ("POST", f"/api/v1/petitions/{pid}/hide", {}, world.moderator, 409, "cannot-hide"),
        (
            "POST",
            f"/api/v1/petitions/{pid}/reject",
            {"reason": "rude"},
            world.moderator,
            422,
            "invalid-input",
        ),
        (
            "POST",
            f"/api/v1/petitions/{pid}/sponsors/invitations",
            {"emails": ["x@example.ma"]},
            other.headers,
            403,
            "not-creator",
        ),
        (
            "POST",
            f"/api/v1/petitions/{pid}/sponsors/invitations",
            {"emails": ["not-an-email"]},
            creator.headers,
            422,
            "invalid-input",
        ),
        (
            "PATCH",
            f"/api/v1/petitions/{uuid.uuid4()}",
            {"title": {"fr": "X"}},
            creator.headers,
            404,
            "petition-not-found",
        ),
    ]
    for method, url, body, headers, status, slug_ in checks:
        r = await world.client.request(method, url, json=body, headers=headers)
        assert_problem(r, status, slug_)
    assert await snapshot(world, pid) == before

    await world.client.post(f"/api/v1/petitions/{pid}/submit", headers=creator.headers)
    assert_problem(
        await world.client.post(f"/api/v1/petitions/{pid}/sponsors", headers=creator.headers),
        409,
        "creator-cannot-sponsor",
    )
    r = await world.client.post(f"/api/v1/petitions/{pid}/sponsors", headers=other.headers)
    assert r.json()["state"] == "awaiting_moderation"
    assert_problem(
        await world.client.post(f"/api/v1/petitions/{pid}/sponsors", headers=other.headers),
        409,
        "already-sponsored",
    )
    assert_problem(
        await world.client.patch(
            f"/api/v1/petitions/{pid}", json={"title": {"fr": "X"}}, headers=creator.headers
        ),
        409,
        "not-editable",
    )
    # reading: the draft's text is not public before it is published
    assert_problem(await world.client.get(f"/api/v1/petitions/{pid}"), 404, "petition-not-found")
    assert (
        await world.client.get(f"/api/v1/petitions/{pid}", headers=creator.headers)
    ).status_code == 200
    # a rejection needs a reason code, and says it
    r = await world.client.post(
        f"/api/v1/petitions/{pid}/reject",
        json={"reason": "duplicate", "explanation": "See the earlier one."},
        headers=world.moderator,
    )
    assert r.json()["state"] == "rejected"
    detail = (await world.client.get(f"/api/v1/petitions/{pid}")).json()
    assert detail["rejection"]["reason"] == "duplicate"
    assert set(detail["rejection"]["label"]) >= {"ar", "fr", "en"}
    events = await petition_events(
        stack, pid, lambda es: PetitionRejected.event_type in [e.type for e in es]
    )
    rejected = next(e.parse() for e in events if e.type == PetitionRejected.event_type)
    assert isinstance(rejected, PetitionRejected)
    assert rejected.reason == "duplicate"


async def test_moderators_see_the_queue_oldest_first_and_may_hide(
    world: World, stack: StackEnv
) -> None:
    slug = await world.channel()
    target = await world.identity.public_body()
    ids = []
    for _ in range(3):
        creator = await world.identity.citizen()
        pid = (await world.draft(creator, channel=slug, target=target))["id"]
        await world.client.post(f"/api/v1/petitions/{pid}/submit", headers=creator.headers)
        ids.append(pid)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await world.client.get(
                "/api/v1/moderation/queue", params=params, headers=world.moderator
            )
        ).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    mine = [i for i in seen if i in ids]
    assert mine == ids
    assert_problem(
        await world.client.get(
            "/api/v1/moderation/queue", params={"cursor": "garbage"}, headers=world.moderator
        ),
        400,
        "invalid-cursor",
    )
    citizen = await world.identity.citizen()
    assert_problem(
        await world.client.get("/api/v1/moderation/queue", headers=citizen.headers),
        403,
        "insufficient-scope",
    )

    pid, _, _ = await world.open_petition(channel=slug)
    r = await world.client.post(
        f"/api/v1/petitions/{pid}/hide", json={"explanation": "insults"}, headers=world.moderator
    )
    assert r.json()["state"] == "hidden"
    assert_problem(await world.client.get(f"/api/v1/petitions/{pid}"), 410, "petition-hidden")
    assert_problem(await world.sign(pid, citizen), 409, "petition-not-open")
    listed = (await world.client.get("/api/v1/petitions", params={"channel": slug})).json()
    assert pid not in [i["id"] for i in listed["items"]]
    events = await petition_events(
        stack, pid, lambda es: PetitionHidden.event_type in [e.type for e in es]
    )
    assert PetitionHidden.event_type in [e.type for e in events]


async def test_creation_is_rate_limited_per_account(world: World, service: Petitions) -> None:
    settings = service.settings
    saved = settings.create_limit_per_account
    settings.create_limit_per_account = "1/minute"
    try:
        creator = await world.identity.citizen()
        target = await world.identity.public_body()
        slug = await world.channel()
        await world.draft(creator, channel=slug, target=target)
        before = await world.scalar("SELECT count(*) FROM petitions")
        r = await world.client.post(
            "/api/v1/petitions",
            json={
                "channel": slug,
                "language": "fr",
                "title": {"fr": "Encore une"},
                "body": {"fr": "Texte"},
                "subject": "water",
                "target_organization_id": str(target),
            },
            headers=creator.headers,
        )
        assert_problem(r, 429, "too-many-requests")
        assert int(r.headers["Retry-After"]) >= 1
        assert await world.scalar("SELECT count(*) FROM petitions") == before
    finally:
        settings.create_limit_per_account = saved
