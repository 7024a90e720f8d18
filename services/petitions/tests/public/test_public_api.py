"""Public reads: filters, search in Arabic and French, sorting, cursors, counts with
``as_of``, hourly series, exports without signer identities, ETags."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest

from petitions.testing import OTHER_REGION, REGION, World, assert_problem
from sawt_shared.testing import wait_until

pytestmark = pytest.mark.asyncio


async def folded(world: World, pid: str, n: int) -> None:
    async def done() -> bool:
        total = await world.scalar(
            "SELECT total FROM petition_counts WHERE petition_id = $1", uuid.UUID(pid)
        )
        return bool(total == n)

    await wait_until(done, timeout=30, message=f"{n} signatures folded")


async def list_all(world: World, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await world.client.get("/api/v1/petitions", params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_filters_search_sorts_and_cursors(world: World) -> None:
    slug = await world.channel()
    marker = uuid.uuid4().hex[:8]
    water, _, _ = await world.open_petition(
        channel=slug,
        language="ar",
        title={"ar": f"الماءُ الصالح للشرب في القرى {marker}", "fr": f"Eau potable {marker}"},
    )
    school, _, _ = await world.open_petition(
        channel=slug, title={"fr": f"Une école à Tafraout {marker}"}
    )
    quiet, _, _ = await world.open_petition(channel=slug, title={"fr": f"Un parc {marker}"})
    signers = await world.identity.citizens(3)
    for s in signers:
        assert (await world.sign(school, s)).status_code == 201
    assert (await world.sign(water, signers[0])).status_code == 201
    await folded(world, school, 3)
    await folded(world, water, 1)

    newest = await list_all(world, channel=slug, limit=1)
    assert [p["id"] for p in newest] == [quiet, school, water]
    most = await list_all(world, channel=slug, sort="signatures", limit=2)
    assert [p["id"] for p in most] == [school, water, quiet]
    assert most[0]["signatures"] == 3
    trending = await list_all(world, channel=slug, sort="trending", limit=2)
    assert [p["id"] for p in trending][:2] == [school, water]
    assert trending[0]["last_hour"] == 3

    # Arabic, with and without short vowels; French, with and without accents
    for q in (f"الماء {marker}", f"الماءُ {marker}", f"école {marker}", f"ecole {marker}"):
        found = [p["id"] for p in await list_all(world, q=q)]
        assert found, q
    assert [p["id"] for p in await list_all(world, q=f"ecole {marker}")] == [school]
    assert [p["id"] for p in await list_all(world, q=f"الصالح {marker}")] == [water]
    assert await list_all(world, q=f"introuvable {uuid.uuid4().hex}") == []

    assert await list_all(world, channel=slug, state="closed") == []
    assert_problem(
        await world.client.get("/api/v1/petitions", params={"state": "draft"}), 422, "invalid-input"
    )
    page = (
        await world.client.get("/api/v1/petitions", params={"channel": slug, "limit": 1})
    ).json()
    wrong = await world.client.get(
        "/api/v1/petitions",
        params={"channel": slug, "sort": "signatures", "cursor": page["next_cursor"]},
    )
    assert_problem(wrong, 400, "invalid-cursor")


async def test_region_filter(world: World) -> None:
    local = await world.channel(region_restricted=True)
    here, _, _ = await world.open_petition(channel=local, region=REGION)
    there, _, _ = await world.open_petition(channel=local, region=OTHER_REGION)
    ids = [p["id"] for p in await list_all(world, channel=local, region=OTHER_REGION)]
    assert ids == [there]
    assert here not in ids


async def test_detail_has_counts_by_region_as_of_and_an_etag(world: World) -> None:
    pid, _, _ = await world.open_petition()
    here = await world.identity.citizens(2)
    there = await world.identity.citizen(region=OTHER_REGION)
    nowhere = await world.identity.citizen(region=None)
    for s in [*here, there, nowhere]:
        assert (await world.sign(pid, s)).status_code == 201
    await folded(world, pid, 4)
    r = await world.client.get(f"/api/v1/petitions/{pid}")
    assert r.status_code == 200
    detail = r.json()
    counts = detail["signatures"]
    assert counts["total"] == 4
    assert {c["region"]: c["count"] for c in counts["by_region"]} == {
        REGION: 2,
        OTHER_REGION: 1,
        None: 1,
    }
    assert counts["as_of"]
    assert detail["thresholds"][0]["reached_at"] is not None  # 3 signatures reach it
    assert "creator_id" not in detail
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    etag = r.headers["ETag"]
    assert etag.startswith('W/"')
    again = await world.client.get(f"/api/v1/petitions/{pid}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    # a new signature changes the counts, hence the ETag
    assert (await world.sign(pid, await world.identity.citizen())).status_code == 201
    await folded(world, pid, 5)
    changed = await world.client.get(f"/api/v1/petitions/{pid}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["signatures"]["total"] == 5


async def test_hourly_series_and_exports_show_no_signer(world: World) -> None:
    pid, creator, _ = await world.open_petition(title={"fr": '=HYPERLINK("x") pétition'})
    signers = await world.identity.citizens(2)
    assert (await world.sign(pid, signers[0], public=True)).status_code == 201
    assert (await world.sign(pid, signers[1])).status_code == 201
    await folded(world, pid, 2)

    series = (await world.client.get(f"/api/v1/petitions/{pid}/signatures/hourly")).json()
    assert sum(p["count"] for p in series["points"]) == 2
    assert series["as_of"]

    exported = (await world.client.get("/api/v1/exports/petitions.json")).json()
    mine = next(p for p in exported["items"] if p["id"] == pid)
    assert mine["signatures"] == 2
    r = await world.client.get("/api/v1/exports/petitions.csv")
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    row = next(x for x in rows if x["id"] == pid)
    assert row["signatures"] == "2"
    assert row["title"].startswith("'=")  # a spreadsheet will not run it
    for person in [creator, *signers]:
        assert str(person.id) not in text
        assert str(person.id) not in str(exported)

    hours = await world.client.get(f"/api/v1/petitions/{pid}/export.csv")
    assert hours.status_code == 200
    regions = await world.client.get(
        f"/api/v1/petitions/{pid}/export.csv", params={"table": "regions"}
    )
    assert f"{REGION},2" in regions.content.decode("utf-8-sig")
    for person in signers:
        assert str(person.id) not in hours.text + regions.text


async def test_drafts_are_private_and_unknown_ids_404(world: World) -> None:
    creator = await world.identity.citizen()
    target = await world.identity.public_body()
    pid = (await world.draft(creator, channel=await world.channel(), target=target))["id"]
    assert_problem(await world.client.get(f"/api/v1/petitions/{pid}"), 404, "petition-not-found")
    stranger = await world.identity.citizen()
    assert_problem(
        await world.client.get(f"/api/v1/petitions/{pid}", headers=stranger.headers),
        404,
        "petition-not-found",
    )
    mine = await world.client.get(f"/api/v1/petitions/{pid}", headers=creator.headers)
    assert mine.status_code == 200
    assert mine.headers["Cache-Control"].startswith("private")
    assert (
        await world.client.get(f"/api/v1/petitions/{pid}", headers=world.moderator)
    ).status_code == 200
    assert_problem(
        await world.client.get(f"/api/v1/petitions/{uuid.uuid4()}"), 404, "petition-not-found"
    )
    assert_problem(
        await world.client.get(f"/api/v1/petitions/{pid}/signatures/hourly"),
        404,
        "petition-not-found",
    )
