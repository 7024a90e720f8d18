"""Preferences per category, and what an unsubscribe link does."""

from __future__ import annotations

import uuid

from notifications.mail.rendering import MailRenderer
from notifications.messages.categories import Category, may_switch_off
from notifications.preferences import repository
from notifications.preferences.schemas import PreferenceRead, PreferencesRead, PreferenceUpdate
from notifications.preferences.tokens import UnsubscribeToken
from sawt_shared.db import Connection
from sawt_shared.errors import InvalidInput

__all__ = ["read_preferences", "unsubscribe", "update_preference"]


async def read_preferences(
    conn: Connection, user_id: uuid.UUID, language: str, renderer: MailRenderer
) -> PreferencesRead:
    saved = await repository.read_preferences(conn, user_id)
    items = []
    for category in Category:
        email, in_app = saved.get(category.value, (True, True))
        switchable = may_switch_off(category)
        items.append(
            PreferenceRead(
                category=category,
                label=renderer.category_label(category.value, language),
                email=email or not switchable,
                in_app=in_app,
                can_switch_off=switchable,
            )
        )
    return PreferencesRead(items=items)


async def update_preference(
    conn: Connection, user_id: uuid.UUID, category: Category, change: PreferenceUpdate
) -> None:
    if change.email is False and not may_switch_off(category):
        raise InvalidInput(
            f"Messages of the category {category.value!r} answer the user's own requests "
            "(verification, password reset) and cannot be switched off.",
            type_slug="category-cannot-be-switched-off",
            title="This category cannot be switched off",
        )
    await repository.save_preference(
        conn, user_id, category.value, email=change.email, in_app=change.in_app
    )


async def unsubscribe(conn: Connection, token: UnsubscribeToken) -> bool:
    """Stop mail of the token's category to its user or address; ``False`` if it names a
    category that cannot be switched off (such links are never made)."""
    try:
        category = Category(token.category)
    except ValueError:
        return False
    if not may_switch_off(category):
        return False
    if token.user_id is not None:
        await repository.save_preference(
            conn, token.user_id, category.value, email=False, in_app=None
        )
    elif token.address is not None:
        await repository.opt_out_address(conn, token.address, category.value)
    return True
