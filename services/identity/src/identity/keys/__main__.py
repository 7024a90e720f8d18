"""``python -m identity.keys rotate|list|ensure``: manage the token-signing keys.

``rotate`` makes a new key active at once; the old one stays in the JWKS until the
tokens it signed have expired, so nothing in flight is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from identity.keys.service import SigningKeys
from identity.settings import IdentitySettings
from sawt_shared.db import create_pool


async def _run(action: str) -> int:
    settings = IdentitySettings()
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            keys = SigningKeys(conn, settings)
            if action == "rotate":
                old, new = await keys.rotate()
                print(f"active key: {new}" + (f" (retired {old})" if old else ""))
            elif action == "ensure":
                print(f"active key: {await keys.ensure_active()}")
            else:
                for info in await keys.list_keys():
                    state = "active" if info.retired_at is None else "retired"
                    until = (
                        f", published until {info.publish_until:%Y-%m-%d %H:%M:%S}Z"
                        if info.publish_until
                        else ""
                    )
                    print(f"{info.kid}\t{state}{until}")
    finally:
        await pool.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m identity.keys", description="Manage the identity service's signing keys."
    )
    parser.add_argument("action", choices=["rotate", "list", "ensure"])
    args = parser.parse_args(argv)
    return asyncio.run(_run(args.action))


if __name__ == "__main__":
    sys.exit(main())
