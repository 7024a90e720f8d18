"""The hosted pages: login, logout, registration, email confirmation, password reset,
invitations. Plain HTML forms (no JavaScript), CSRF-protected, in Arabic (right to
left), French or English. Confirming anything is a POST: mail scanners that follow a
link only ever see a page with a button."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from identity.accounts.auth import session_of
from identity.accounts.repository import AccountRepository, User
from identity.accounts.service import AccountService
from identity.bootstrap import Identity, IdentityDep
from identity.organizations.service import OrganizationService
from identity.settings import IdentitySettings
from identity.web.cookies import clear_session_cookie, set_session_cookie
from identity.web.csrf import CSRF_FIELD, csrf_valid
from identity.web.render import page, page_language
from sawt_shared.app import Runtime, RuntimeDep
from sawt_shared.clientip import client_ip
from sawt_shared.db import Connection, DbTransaction
from sawt_shared.errors import Problem, TooManyRequests

__all__ = ["router", "safe_next"]

router = APIRouter(tags=["pages"], include_in_schema=True)
_HTML: dict[str, Any] = {"content": {"text/html": {}}}


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _service(conn: Connection, identity: Identity, runtime: Runtime) -> AccountService:
    return AccountService(
        conn, identity.settings, runtime.outbox, identity.passwords, runtime.limiter
    )


async def _form(request: Request, settings: IdentitySettings) -> FormData | None:
    form = await request.form()
    if not csrf_valid(request, settings, str(form.get(CSRF_FIELD) or "")):
        return None
    return form


def _csrf_failed(request: Request, identity: Identity) -> Response:
    return page(
        request, identity, "message.html", status_code=400, title_key="csrf_error", message=""
    )


async def _user(request: Request, conn: Connection, identity: Identity) -> User | None:
    session = await session_of(request, conn, identity.settings.session_cookie_name)
    if session is None:
        return None
    return await AccountRepository(conn).get(session.user_id)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.get("/", response_class=Response, responses={200: _HTML}, summary="Home page")
async def home(request: Request, conn: DbTransaction, identity: IdentityDep) -> Response:
    user = await _user(request, conn, identity)
    lang = page_language(request, user.language if user else None)
    return page(request, identity, "home.html", lang=lang, user=user)


@router.get("/login", response_class=Response, responses={200: _HTML}, summary="Login page")
async def login_page(request: Request, identity: IdentityDep, next: str = "/") -> Response:
    return page(
        request,
        identity,
        "login.html",
        next=safe_next(next),
        error=None,
        eid=bool(identity.settings.eid_issuer),
    )


@router.post(
    "/login",
    response_class=Response,
    responses={303: {"description": "Logged in"}},
    summary="Login form",
)
async def login_submit(
    request: Request, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Response:
    form = await _form(request, identity.settings)
    if form is None:
        return _csrf_failed(request, identity)
    target = safe_next(_field(form, "next"))
    email = _field(form, "email")
    try:
        result = await _service(conn, identity, runtime).login(
            email, _field(form, "password"), client_ip(request, runtime.settings.trusted_proxies)
        )
    except TooManyRequests as exc:
        return page(
            request,
            identity,
            "login.html",
            status_code=429,
            headers=exc.headers,
            next=target,
            error="locked",
            email=email,
            eid=bool(identity.settings.eid_issuer),
        )
    except Problem:
        return page(
            request,
            identity,
            "login.html",
            status_code=401,
            next=target,
            error="invalid",
            email=email,
            eid=bool(identity.settings.eid_issuer),
        )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, identity.settings, result.session_token)
    return response


@router.post("/logout", response_class=Response, summary="Logout form")
async def logout_submit(
    request: Request, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Response:
    form = await _form(request, identity.settings)
    if form is None:
        return _csrf_failed(request, identity)
    token = request.cookies.get(identity.settings.session_cookie_name)
    if token:
        await _service(conn, identity, runtime).logout(token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, identity.settings)
    return response


@router.get(
    "/register", response_class=Response, responses={200: _HTML}, summary="Registration page"
)
async def register_page(request: Request, identity: IdentityDep) -> Response:
    return page(
        request, identity, "register.html", regions=identity.settings.regions, error=None, values={}
    )


@router.post("/register", response_class=Response, summary="Registration form")
async def register_submit(
    request: Request, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Response:
    form = await _form(request, identity.settings)
    if form is None:
        return _csrf_failed(request, identity)
    values = {k: _field(form, k) for k in ("email", "display_name", "language", "region")}
    lang = page_language(request)
    try:
        await runtime.limiter.hit(
            "30/hour", "register", client_ip(request, runtime.settings.trusted_proxies)
        )
        await _service(conn, identity, runtime).register(
            email=values["email"],
            password=_field(form, "password"),
            display_name=values["display_name"],
            language=values["language"] or lang,
            region=values["region"],
        )
    except Problem as exc:
        return page(
            request,
            identity,
            "register.html",
            status_code=exc.status,
            regions=identity.settings.regions,
            error=exc.type_slug,
            values=values,
        )
    return page(request, identity, "message.html", title_key="check_email", message="")


async def _confirm_page(request: Request, identity: Identity, action: str) -> Response:
    return page(
        request,
        identity,
        "confirm_email.html",
        token=request.query_params.get("token", ""),
        action=action,
        error=None,
    )


@router.get(
    "/verify-email",
    response_class=Response,
    responses={200: _HTML},
    summary="Email verification page (a button, or a code)",
)
async def verify_email_page(request: Request, identity: IdentityDep) -> Response:
    return await _confirm_page(request, identity, "/verify-email")


@router.get(
    "/confirm-email",
    response_class=Response,
    responses={200: _HTML},
    summary="New-email confirmation page",
)
async def confirm_email_page(request: Request, identity: IdentityDep) -> Response:
    return await _confirm_page(request, identity, "/confirm-email")


async def _confirm_submit(
    request: Request, conn: Connection, identity: Identity, runtime: Runtime, action: str
) -> Response:
    form = await _form(request, identity.settings)
    if form is None:
        return _csrf_failed(request, identity)
    try:
        await _service(conn, identity, runtime).confirm_email(
            token=_field(form, "token") or None,
            email=_field(form, "email") or None,
            code=_field(form, "code") or None,
        )
    except Problem as exc:
        return page(
            request,
            identity,
            "confirm_email.html",
            status_code=exc.status,
            token=_field(form, "token"),
            action=action,
            error=exc.type_slug,
        )
    return page(request, identity, "message.html", title_key="email_confirmed", message="")


@router.post("/verify-email", response_class=Response, summary="Confirm an email (form)")
async def verify_email_submit(
    request: Request, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Response:
    return await _confirm_submit(request, conn, identity, runtime, "/verify-email")


@router.post("/confirm-email", response_class=Response, summary="Confirm a new email (form)")
async def confirm_email_submit(
    request: Request, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Response:
    return await _confirm_submit(request, conn, identity, runtime, "/confirm-email")


@router.get(
    "/reset-password",
    response_class=Response,
    responses={200: _HTML},
    summary="Password reset pages (ask for a link; set a new password)",
)
async def reset_page(request: Request, identity: IdentityDep) -> Response:
    return page(
        request,
        identity,
        "reset_password.html",
        token=request.query_params.get("token", ""),
        error=None,
        sent=False,
    )


@router.post("/reset-password", response_class=Response, summary="Password reset forms")
async def reset_submit(
    request: Request, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Response:
    form = await _form(request, identity.settings)
    if form is None:
        return _csrf_failed(request, identity)
    service = _service(conn, identity, runtime)
    token = _field(form, "token")
    try:
        if token:
            await service.reset_password(token, _field(form, "password"))
            return page(request, identity, "message.html", title_key="password_changed", message="")
        await runtime.limiter.hit(
            "20/hour", "reset-ip", client_ip(request, runtime.settings.trusted_proxies)
        )
        await service.request_password_reset(_field(form, "email"))
    except Problem as exc:
        return page(
            request,
            identity,
            "reset_password.html",
            status_code=exc.status,
            token=token,
            error=exc.type_slug,
            sent=False,
        )
    return page(request, identity, "reset_password.html", token="", error=None, sent=True)


@router.get(
    "/invitations",
    response_class=Response,
    responses={200: _HTML},
    summary="Invitation page (a button to join)",
)
async def invitation_page(request: Request, conn: DbTransaction, identity: IdentityDep) -> Response:
    user = await _user(request, conn, identity)
    if user is None:
        target = request.url.path + "?" + request.url.query
        return RedirectResponse("/login?" + _q(next=target), status_code=303)
    return page(
        request,
        identity,
        "invitation.html",
        lang=page_language(request, user.language),
        token=request.query_params.get("token", ""),
        error=None,
    )


@router.post("/invitations", response_class=Response, summary="Accept an invitation (form)")
async def invitation_submit(
    request: Request, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Response:
    form = await _form(request, identity.settings)
    if form is None:
        return _csrf_failed(request, identity)
    user = await _user(request, conn, identity)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    try:
        await OrganizationService(conn, identity.settings, runtime.outbox).accept(
            user, _field(form, "token")
        )
    except Problem as exc:
        return page(
            request,
            identity,
            "invitation.html",
            status_code=exc.status,
            token=_field(form, "token"),
            error=exc.type_slug,
        )
    return page(request, identity, "message.html", title_key="joined", message="")


def _q(**params: Any) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
