"""API schemas of the in-app feed."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from notifications.messages.categories import Category

__all__ = ["FeedItemRead", "FeedPage", "MarkedRead"]


class FeedItemRead(BaseModel):
    id: int
    kind: str = Field(
        description="What happened (`signature_receipt`, `petition_responded_follower`, …)."
    )
    category: Category
    title: str = Field(description="One line in the requested language.")
    petition_id: uuid.UUID | None = None
    url: str | None = Field(None, description="Where to read more, in the web app.")
    created_at: datetime
    read: bool


class FeedPage(BaseModel):
    items: list[FeedItemRead]
    unread_count: int
    next_cursor: str | None = None


class MarkedRead(BaseModel):
    marked: int
