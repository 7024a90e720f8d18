"""The in-app feed: ``/api/v1/me/notifications`` (list, mark read) and its SSE stream."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Header, Query, status
from sse_starlette import EventSourceResponse, ServerSentEvent

from notifications.bootstrap import Services, ServicesDep
from notifications.feed import repository
from notifications.feed.schemas import FeedItemRead, FeedPage, MarkedRead
from notifications.mail.i18n import mail_language
from notifications.messages.categories import Category
from notifications.users import CurrentUser
from sawt_shared.app import RuntimeDep
from sawt_shared.auth import auth_problem_responses
from sawt_shared.db import Connection, DbConnection, DbTransaction
from sawt_shared.errors import NotFound, problem_responses
from sawt_shared.i18n import Language

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/me/notifications", tags=["feed"])

LangQuery = Annotated[
    Language | None, Query(description="Language of the titles (default: the user's).")
]


async def _language(conn: Connection, user_id: uuid.UUID, lang: str | None) -> str:
    if lang:
        return mail_language(lang)
    stored = await conn.fetchval("SELECT language FROM recipients WHERE user_id = $1", user_id)
    return mail_language(stored)


def _item(row: asyncpg.Record, language: str, services: Services) -> FeedItemRead:
    params = row["params"]
    petition_id = params.get("petition_id")
    return FeedItemRead(
        id=row["id"],
        kind=row["kind"],
        category=Category(row["category"]),
        title=services.renderer.subject(row["kind"], language, params),
        petition_id=petition_id,
        url=services.renderer.petition_url(petition_id, language) if petition_id else None,
        created_at=row["created_at"],
        read=row["read_at"] is not None,
    )


@router.get(
    "", summary="The caller's notifications, newest first", responses=auth_problem_responses()
)
async def list_notifications(
    user: CurrentUser,
    conn: DbConnection,
    services: ServicesDep,
    lang: LangQuery = None,
    cursor: Annotated[
        int | None, Query(ge=1, description="`next_cursor` of the last page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
    unread_only: bool = False,
) -> FeedPage:
    language = await _language(conn, user, lang)
    rows = await repository.list_items(
        conn, user, before=cursor, unread_only=unread_only, limit=limit + 1
    )
    items = [_item(r, language, services) for r in rows[:limit]]
    next_cursor = str(items[-1].id) if len(rows) > limit else None
    return FeedPage(
        items=items,
        unread_count=await repository.count_unread(conn, user),
        next_cursor=next_cursor,
    )


@router.post(
    "/{item_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Mark one notification read",
    responses={**auth_problem_responses(), **problem_responses(NotFound)},
)
async def mark_read(item_id: int, user: CurrentUser, conn: DbTransaction) -> None:
    if not await repository.mark_read(conn, user, item_id):
        raise NotFound("No such notification.", type_slug="notification-not-found")


@router.post(
    "/read-all",
    summary="Mark every notification read (up to an id, to spare ones not yet seen)",
    responses=auth_problem_responses(),
)
async def mark_all_read(
    user: CurrentUser,
    conn: DbTransaction,
    up_to: Annotated[int | None, Query(ge=1)] = None,
) -> MarkedRead:
    return MarkedRead(marked=await repository.mark_all_read(conn, user, up_to))


@router.get(
    "/stream",
    summary="Server-Sent Events: each new notification as a `notification` event",
    response_class=EventSourceResponse,
    responses=auth_problem_responses(),
)
async def stream(
    user: CurrentUser,
    runtime: RuntimeDep,
    services: ServicesDep,
    lang: LangQuery = None,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
) -> EventSourceResponse:
    """Sends notifications newer than ``Last-Event-ID`` (or than the newest one when the
    stream opens), then each new one as it arrives; a comment every 15 s keeps it open."""
    pool = runtime.pool
    async with pool.acquire() as conn:
        language = await _language(conn, user, lang)
        after = (
            last_event_id if last_event_id is not None else await repository.latest_id(conn, user)
        )

    async def events() -> AsyncIterator[ServerSentEvent]:
        nonlocal after
        with services.broker.listen(str(user)) as woken:
            while True:
                woken.clear()
                async with pool.acquire() as conn:
                    rows = await repository.list_items(conn, user, after=after, limit=100)
                for row in rows:
                    item = _item(row, language, services)
                    after = item.id
                    yield ServerSentEvent(
                        data=item.model_dump_json(), event="notification", id=str(item.id)
                    )
                if not rows:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(woken.wait(), timeout=30)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})
