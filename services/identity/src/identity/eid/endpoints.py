"""eID pages: start a national eID login (or link), and its callback."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from identity.accounts.auth import session_of
from identity.accounts.repository import AccountRepository
from identity.accounts.service import AccountService
from identity.bootstrap import IdentityDep
from identity.eid.service import EidError, EidService
from identity.web.cookies import set_session_cookie
from identity.web.endpoints import safe_next
from identity.web.render import page
from sawt_shared.app import RuntimeDep
from sawt_shared.db import DbTransaction

__all__ = ["router"]

router = APIRouter(tags=["eid"])


@router.get(
    "/eid/start",
    response_class=Response,
    responses={303: {"description": "To the eID provider"}},
    summary="Sign in with (or link) the national eID",
)
async def eid_start(
    request: Request,
    conn: DbTransaction,
    identity: IdentityDep,
    runtime: RuntimeDep,
    next: str = "/",
) -> Response:
    """Signed in: links the eID to the account (assurance ``eid``). Not signed in:
    signs in the account the eID is linked to."""
    session = await session_of(request, conn, identity.settings.session_cookie_name)
    service = EidService(conn, identity.settings, runtime.http, runtime.outbox)
    try:
        url = await service.start(session.user_id if session else None, safe_next(next))
    except EidError as exc:
        return page(
            request,
            identity,
            "message.html",
            status_code=404 if exc.reason == "eid_disabled" else 502,
            title_key="eid_error",
            message="",
        )
    return RedirectResponse(url, status_code=303)


@router.get(
    "/eid/callback",
    response_class=Response,
    responses={303: {"description": "Signed in"}},
    summary="Where the eID provider sends the user back",
)
async def eid_callback(
    request: Request,
    conn: DbTransaction,
    identity: IdentityDep,
    runtime: RuntimeDep,
    state: str = "",
    code: str = "",
) -> Response:
    service = EidService(conn, identity.settings, runtime.http, runtime.outbox)
    try:
        if not state or not code:
            raise EidError("eid_error")
        outcome = await service.callback(state, code)
    except EidError as exc:
        key = "eid_taken" if exc.reason == "eid_taken" else "eid_error"
        return page(request, identity, "message.html", status_code=400, title_key=key, message="")
    accounts = AccountService(conn, identity.settings, runtime.outbox, identity.passwords)
    if outcome.login:
        token, _ = await accounts.open_session(outcome.user.id, ["eid"])
        response = RedirectResponse(safe_next(outcome.next_url), status_code=303)
        set_session_cookie(response, identity.settings, token)
        return response
    session = await session_of(request, conn, identity.settings.session_cookie_name)
    if session is not None and session.user_id == outcome.user.id:
        await AccountRepository(conn).add_session_amr(session.id, "eid")
    return page(
        request,
        identity,
        "message.html",
        title_key="eid_linked",
        message="",
        lang=outcome.user.language if outcome.user.language in ("ar", "fr", "en") else None,
    )
