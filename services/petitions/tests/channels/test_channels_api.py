"""Channels are data: anyone reads them, an admin edits them, petitions keep their rules."""

from __future__ import annotations

import uuid

import pytest

from petitions.testing import World, assert_problem, channel_body

pytestmark = pytest.mark.asyncio


async def test_the_seeded_channels_are_public_with_etags(world: World) -> None:
    r = await world.client.get("/api/v1/channels")
    assert r.status_code == 200
    seeded = {c["slug"]: c for c in r.json()}
    assert seeded["national-petition"]["thresholds"][0]["signatures"] == 4000
    assert seeded["legislative-motion"]["min_sponsors"] == 5
    assert seeded["legislative-motion"]["thresholds"][0]["signatures"] == 20000
    assert seeded["local-petition"]["region_restricted"] is True
    assert [t["signatures"] for t in seeded["open-petition"]["thresholds"]] == [10_000, 100_000]
    assert seeded["open-petition"]["min_sponsors"] == 5
    assert seeded["open-petition"]["max_sponsors"] == 20
    for channel in seeded.values():
        assert {"ar", "fr", "en"} <= set(channel["name"])
    assert "public" in r.headers["Cache-Control"]
    again = await world.client.get("/api/v1/channels", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


async def test_an_admin_edits_a_channel_and_petitions_keep_their_rules(world: World) -> None:
    slug = await world.channel()
    pid, _, _ = await world.open_petition(channel=slug)
    current = (await world.client.get(f"/api/v1/channels/{slug}")).json()
    assert current["version"] == 1
    changed = channel_body(slug, duration_days=10)
    changed.pop("slug")
    changed["thresholds"][0]["signatures"] = 1000
    r = await world.client.put(
        f"/api/v1/channels/{slug}", json=changed, headers={**world.admin, "If-Match": "1"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    stale = await world.client.put(
        f"/api/v1/channels/{slug}", json=changed, headers={**world.admin, "If-Match": "1"}
    )
    assert_problem(stale, 412, "channel-version-mismatch")
    detail = (await world.client.get(f"/api/v1/petitions/{pid}")).json()
    assert detail["thresholds"][0]["signatures"] == 3  # the rules it was created under
    audit = await world.scalar("SELECT count(*) FROM channel_audit WHERE channel = $1", slug)
    assert audit == 2


async def test_channel_writes_are_for_admins_and_nonsense_is_refused(world: World) -> None:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    citizen = await world.identity.citizen()
    body = channel_body(slug)
    assert_problem(
        await world.client.post("/api/v1/channels", json=body, headers=citizen.headers),
        403,
        "insufficient-scope",
    )
    assert_problem(await world.client.post("/api/v1/channels", json=body), 401, "missing-token")
    bad = channel_body(
        slug,
        min_sponsors=5,
        max_sponsors=1,
        thresholds=[
            {**body["thresholds"][0], "signatures": 100},
            {**body["thresholds"][0], "name": "second", "signatures": 50},
        ],
    )
    problem = assert_problem(
        await world.client.post("/api/v1/channels", json=bad, headers=world.admin),
        422,
        "invalid-channel-rules",
    )
    assert "max_sponsors" in problem["detail"]
    not_a_body = channel_body(slug, target_organization_id=str(uuid.uuid4()))
    assert_problem(
        await world.client.post("/api/v1/channels", json=not_a_body, headers=world.admin),
        422,
        "invalid-channel-rules",
    )
    no_french = channel_body(slug, name={"ar": "قناة", "en": "Channel"})
    assert_problem(
        await world.client.post("/api/v1/channels", json=no_french, headers=world.admin),
        422,
        "invalid-input",
    )
    assert_problem(await world.client.get(f"/api/v1/channels/{slug}"), 404, "channel-not-found")
    assert (
        await world.client.post("/api/v1/channels", json=body, headers=world.admin)
    ).status_code == 201
    assert_problem(
        await world.client.post("/api/v1/channels", json=body, headers=world.admin),
        409,
        "channel-exists",
    )
    target = await world.identity.public_body()
    fixed = channel_body(slug, target_organization_id=str(target))
    fixed.pop("slug")
    r = await world.client.put(f"/api/v1/channels/{slug}", json=fixed, headers=world.admin)
    assert r.status_code == 200, r.text
    # a petition on a channel with a fixed target needs not name one
    creator = await world.identity.citizen()
    r = await world.client.post(
        "/api/v1/petitions",
        json={
            "channel": slug,
            "language": "ar",
            "title": {"ar": "عريضة"},
            "body": {"ar": "نص العريضة"},
            "subject": "health",
        },
        headers=creator.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["target_organization_id"] == str(target)
    inactive = {**fixed, "active": False}
    await world.client.put(f"/api/v1/channels/{slug}", json=inactive, headers=world.admin)
    r = await world.client.post(
        "/api/v1/petitions",
        json={
            "channel": slug,
            "language": "ar",
            "title": {"ar": "عريضة"},
            "body": {"ar": "نص"},
            "subject": "health",
        },
        headers=creator.headers,
    )
    assert_problem(r, 422, "channel-closed")
