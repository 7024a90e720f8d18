"""Preferences API (``/api/v1/me/preferences``) and one-click unsubscribe (``/api/v1/unsubscribe``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse

from notifications.bootstrap import ServicesDep
from notifications.mail.i18n import mail_language
from notifications.messages.categories import Category
from notifications.preferences import service
from notifications.preferences.schemas import PreferencesRead, PreferenceUpdate
from notifications.preferences.tokens import InvalidToken
from notifications.users import CurrentUser
from sawt_shared.auth import auth_problem_responses
from sawt_shared.db import Connection, DbConnection, DbTransaction
from sawt_shared.errors import BadRequest, InvalidInput, problem_responses
from sawt_shared.i18n import Language

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["preferences"])


async def _language(conn: Connection, user_id: object, lang: str | None) -> str:
    if lang:
        return mail_language(lang)
    stored = await conn.fetchval("SELECT language FROM recipients WHERE user_id = $1", user_id)
    return mail_language(stored)


@router.get(
    "/me/preferences",
    summary="What the caller receives, per category",
    responses=auth_problem_responses(),
)
async def get_preferences(
    user: CurrentUser,
    conn: DbConnection,
    services: ServicesDep,
    lang: Annotated[Language | None, Query(description="Language of the labels.")] = None,
) -> PreferencesRead:
    language = await _language(conn, user, lang)
    return await service.read_preferences(conn, user, language, services.renderer)


@router.put(
    "/me/preferences/{category}",
    summary="Switch a category on or off, by email and in the app",
    responses={**auth_problem_responses(), **problem_responses(InvalidInput)},
)
async def put_preference(
    category: Category,
    change: PreferenceUpdate,
    user: CurrentUser,
    conn: DbTransaction,
    services: ServicesDep,
) -> PreferencesRead:
    await service.update_preference(conn, user, category, change)
    language = await _language(conn, user, None)
    return await service.read_preferences(conn, user, language, services.renderer)


@router.get(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    summary="The page behind an unsubscribe link: asks to confirm (GET never unsubscribes)",
)
async def unsubscribe_page(
    token: str,
    request: Request,
    conn: DbConnection,
    services: ServicesDep,
    lang: Annotated[Language | None, Query()] = None,
) -> HTMLResponse:
    try:
        read = services.tokens.read(token)
    except InvalidToken:
        page = services.renderer.unsubscribe_page(lang, state="invalid")
        return HTMLResponse(page, status_code=status.HTTP_400_BAD_REQUEST)
    language = await _language(conn, read.user_id, lang)
    page = services.renderer.unsubscribe_page(
        language, state="confirm", category=read.category, action=str(request.url.path)
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


@router.post(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    summary="One-click unsubscribe (RFC 8058): no login, the signed token says who and what",
    responses=problem_responses(BadRequest),
)
async def unsubscribe(
    token: str,
    conn: DbTransaction,
    services: ServicesDep,
    lang: Annotated[Language | None, Query()] = None,
) -> HTMLResponse:
    try:
        read = services.tokens.read(token)
    except InvalidToken:
        raise BadRequest(
            "This unsubscribe link is not valid.", type_slug="invalid-unsubscribe-token"
        ) from None
    if not await service.unsubscribe(conn, read):
        raise BadRequest(
            "This unsubscribe link is not valid.", type_slug="invalid-unsubscribe-token"
        )
    language = await _language(conn, read.user_id, lang)
    page = services.renderer.unsubscribe_page(language, state="done", category=read.category)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
