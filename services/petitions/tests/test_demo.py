"""The demo data seeds once, whatever the number of runs."""

from __future__ import annotations

import pytest

from petitions.demo import STORIES, demo_id, seed
from petitions.settings import PetitionsSettings
from petitions.testing import World

pytestmark = pytest.mark.asyncio


async def test_the_demo_is_idempotent(settings: PetitionsSettings, world: World) -> None:
    await seed(settings)
    await seed(settings)
    ids = [demo_id(f"petition:{s.key}") for s in STORIES]
    assert await world.scalar(
        "SELECT count(*) FROM petitions WHERE id = ANY($1::uuid[])", ids
    ) == len(STORIES)
    states = {
        r["state"]
        for r in await world.db.fetch("SELECT state FROM petitions WHERE id = ANY($1::uuid[])", ids)
    }
    assert states == {
        "draft",
        "collecting_sponsors",
        "awaiting_moderation",
        "open",
        "responded",
        "rejected",
    }
    buses = demo_id("petition:night-buses")
    assert (
        await world.scalar("SELECT total FROM petition_counts WHERE petition_id = $1", buses) == 310
    )
    detail = (await world.client.get(f"/api/v1/petitions/{buses}")).json()
    assert detail["thresholds"][0]["reached_at"] is not None
