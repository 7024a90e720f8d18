"""The lease query refuses any table but the two delivery tables (its name goes into SQL)."""

from __future__ import annotations

from typing import Any

import pytest

from notifications.leasing import lease_due


@pytest.mark.asyncio
async def test_only_the_delivery_tables_can_be_leased() -> None:
    bogus: Any = "users; DROP TABLE recipients"
    with pytest.raises(ValueError, match="not a delivery table"):
        await lease_due(None, bogus, limit=1, lease_seconds=1)  # type: ignore[arg-type]
