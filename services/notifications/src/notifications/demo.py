"""Demo data: ``python -m notifications.demo`` (idempotent).

The notifications service makes its data from the other services' events: once the
identity and petitions demos have published theirs, the demo users have mail in the
development mail server and items in their feeds. This module adds one thing of its
own: a sample notification in the feed of the user named by
``NOTIFICATIONS_DEMO_USER_ID`` (if set), and it says where to read the mail.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

from notifications.messages.categories import Category
from notifications.messages.repository import add_feed_item, save_message
from notifications.settings import NotificationsSettings
from sawt_shared.db import create_pool

__all__ = ["seed"]

_DEMO_EVENT = uuid.UUID("5a77a0e1-0000-4000-8000-00000000d3e0")
_TITLE = {
    "ar": "مرحبا بك في صوت",
    "fr": "Bienvenue sur Sawt",
    "en": "Welcome to Sawt",
}


async def seed(settings: NotificationsSettings, user_id: uuid.UUID | None) -> bool:
    """Add the sample feed item; ``False`` when there is nobody to give it to."""
    if user_id is None:
        return False
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            message_id = await save_message(
                conn,
                event_id=_DEMO_EVENT,
                event_type="demo",
                kind="petition_published",
                category=Category.MY_PETITIONS.value,
                params={
                    "petition_id": str(uuid.UUID(int=0)),
                    "title": _TITLE,
                    "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                },
            )
            await add_feed_item(
                conn,
                message_id=message_id,
                event_id=_DEMO_EVENT,
                user_id=user_id,
                category=Category.MY_PETITIONS.value,
            )
    finally:
        await pool.close()
    return True


def main() -> None:
    settings = NotificationsSettings()
    raw = os.environ.get("NOTIFICATIONS_DEMO_USER_ID")
    user_id = uuid.UUID(raw) if raw else None
    if asyncio.run(seed(settings, user_id)):
        print(f"notifications demo: a sample notification is in the feed of {user_id}")
    print(
        "notifications demo: mail sent in development is kept by devmail "
        f"(SMTP {settings.smtp_host}:{settings.smtp_port}); read it in its Maildir's new/ folder"
    )


if __name__ == "__main__":
    main()
