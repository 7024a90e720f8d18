"""``python -m notifications.demo`` is idempotent."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from notifications.demo import seed
from notifications.settings import NotificationsSettings

pytestmark = pytest.mark.asyncio


async def test_demo_seed_twice_gives_one_item(
    settings: NotificationsSettings, db: asyncpg.Pool
) -> None:
    user = uuid.uuid4()
    assert await seed(settings, user)
    assert await seed(settings, user)
    assert await db.fetchval("SELECT count(*) FROM feed_items WHERE user_id = $1", user) == 1
    assert not await seed(settings, None)
