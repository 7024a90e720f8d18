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


async def _run(action: str, delay: float | None) -> int:
    settings = IdentitySettings()
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            keys = SigningKeys(conn, settings)
            if action == "rotate":
                old, new, at = await keys.rotate(delay)
                replaced = f"; replaces {', '.join(old)}" if old else ""
                print(
                    f"new key {new}, published now, signing from {at:%Y-%m-%d %H:%M:%S}Z{replaced}"
                )
            elif action == "ensure":
                print(f"active key: {await keys.ensure_active()}")
            else:
                for info in await keys.list_keys():
                    state = f"signing from {info.activated_at:%Y-%m-%d %H:%M:%S}Z"
                    if info.retired_at is not None:
                        state += f" until {info.retired_at:%Y-%m-%d %H:%M:%S}Z"
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
    parser.add_argument(
        "--delay",
        type=float,
        default=None,
        help="Seconds between publishing the new key and signing with it "
        "(default IDENTITY_KEY_ACTIVATION_DELAY).",
    )
    parser.add_argument(
        "--now",
        action="store_true",
        help="Sign with the new key at once (a compromised key: resource servers may refuse "
        "new tokens until they refetch the key set).",
    )
    args = parser.parse_args(argv)
    return asyncio.run(_run(args.action, 0.0 if args.now else args.delay))


if __name__ == "__main__":
    sys.exit(main())
