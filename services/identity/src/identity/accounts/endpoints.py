"""Accounts API: register, confirm email, log in and out, reset the password, read and
change one's profile, export everything, delete the account."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from identity.accounts.auth import Actor, require_user
from identity.accounts.schemas import (
    Accepted,
    AccountCreate,
    AccountDelete,
    EmailChange,
    EmailConfirmation,
    LoginRequest,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    ProfileUpdate,
    RolesUpdate,
    SessionRead,
    UserRead,
)
from identity.accounts.service import AccountService
from identity.bootstrap import IdentityDep
from identity.organizations.auth import can_change_roles, can_read_user
from identity.web.cookies import clear_session_cookie, set_session_cookie
from sawt_shared.app import RuntimeDep
from sawt_shared.auth import auth_problem_responses
from sawt_shared.clientip import client_ip
from sawt_shared.db import DbTransaction
from sawt_shared.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
    problem_responses,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["accounts"])

AccountReader = Annotated[Actor, Depends(require_user("account"))]
AccountWriter = Annotated[Actor, Depends(require_user("account", write=True))]


def _service(conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep) -> AccountService:
    """The service, on the request's transaction."""
    return AccountService(
        conn, identity.settings, runtime.outbox, identity.passwords, runtime.limiter
    )


Accounts = Annotated[AccountService, Depends(_service)]


def _ip(request: Request, runtime: RuntimeDep) -> str:
    return client_ip(request, runtime.settings.trusted_proxies)


@router.post(
    "/accounts",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(InvalidInput, TooManyRequests),
    summary="Register an account",
)
async def register(
    body: AccountCreate,
    request: Request,
    conn: DbTransaction,
    identity: IdentityDep,
    runtime: RuntimeDep,
) -> Accepted:
    """Registers an account and sends a verification message (a link and a short code).

    The answer is the same when the email already has an account, so this endpoint does
    not reveal who is registered."""
    await runtime.limiter.hit("30/hour", "register", _ip(request, runtime), what="registrations")
    await _service(conn, identity, runtime).register(
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        language=body.language,
        region=body.region,
    )
    return Accepted(
        status="verification_sent",
        detail="If this address can be registered, a verification message is on its way.",
    )


@router.post(
    "/accounts/email-confirmations",
    response_model=Accepted,
    responses=problem_responses(InvalidInput, Gone, Conflict),
    summary="Confirm an email address (verification or change)",
)
async def confirm_email(
    body: EmailConfirmation, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Accepted:
    """With the token of the emailed link, or the address and the short code. Each
    token works once; a code is void after a few wrong tries."""
    await _service(conn, identity, runtime).confirm_email(
        token=body.token, email=body.email, code=body.code
    )
    return Accepted(status="confirmed", detail="The email address is confirmed.")


@router.post(
    "/sessions",
    response_model=SessionRead,
    responses=problem_responses(Unauthorized, TooManyRequests),
    summary="Log in (opens a hosted-login session)",
)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    conn: DbTransaction,
    identity: IdentityDep,
    runtime: RuntimeDep,
) -> SessionRead:
    """Checks the password and sets the session cookie used by the hosted pages.

    Past ``IDENTITY_LOGIN_ACCOUNT_LIMIT`` failures for one email, or
    ``IDENTITY_LOGIN_IP_LIMIT`` attempts from one address, the answer is 429 with
    ``Retry-After``. Unknown emails and wrong passwords get the same 401."""
    result = await _service(conn, identity, runtime).login(
        body.email, body.password, _ip(request, runtime)
    )
    set_session_cookie(response, identity.settings, result.session_token)
    return SessionRead(user_id=result.user.id, session_id=result.session_id)


@router.delete(
    "/sessions/current",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out of the hosted-login session",
)
async def logout(
    request: Request, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Response:
    token = request.cookies.get(identity.settings.session_cookie_name)
    if token:
        await _service(conn, identity, runtime).logout(token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, identity.settings)
    return response


@router.post(
    "/password-resets",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(TooManyRequests),
    summary="Ask for a password-reset message",
)
async def request_password_reset(
    body: PasswordResetRequest,
    request: Request,
    conn: DbTransaction,
    identity: IdentityDep,
    runtime: RuntimeDep,
) -> Accepted:
    """The same answer whether or not the address has an account."""
    await runtime.limiter.hit("20/hour", "reset-ip", _ip(request, runtime), what="reset requests")
    await _service(conn, identity, runtime).request_password_reset(body.email)
    return Accepted(
        status="reset_sent",
        detail="If this address has an account, a reset message is on its way.",
    )


@router.post(
    "/password-resets/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Gone, InvalidInput),
    summary="Set a new password with a reset token",
)
async def confirm_password_reset(
    body: PasswordResetConfirm, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> None:
    """Sets the password, ends every session and revokes every refresh token."""
    await _service(conn, identity, runtime).reset_password(body.token, body.new_password)


_ME_PROBLEMS = {**auth_problem_responses()}


@router.get("/me", response_model=UserRead, responses=_ME_PROBLEMS, summary="My account")
async def read_me(actor: AccountReader) -> UserRead:
    return UserRead.of(actor.user)


@router.patch(
    "/me",
    response_model=UserRead,
    responses={**_ME_PROBLEMS, **problem_responses(InvalidInput)},
    summary="Change my display name, language or region",
)
async def update_me(
    body: ProfileUpdate,
    actor: AccountWriter,
    service: Accounts,
) -> UserRead:
    user = await service.update_profile(actor.user, body.changes())
    return UserRead.of(user)


@router.post(
    "/me/email",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={**_ME_PROBLEMS, **problem_responses(InvalidInput, Conflict)},
    summary="Change my email (confirmed from the new address)",
)
async def change_email(
    body: EmailChange,
    actor: AccountWriter,
    service: Accounts,
) -> Accepted:
    await service.request_email_change(actor.user, body.new_email, body.password)
    return Accepted(status="confirmation_sent", detail="Confirm from the new address.")


@router.post(
    "/me/verification-email",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={**_ME_PROBLEMS, **problem_responses(Conflict, TooManyRequests)},
    summary="Send the verification message again",
)
async def resend_verification(
    actor: AccountWriter, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> Accepted:
    await runtime.limiter.hit("5/hour", "resend", str(actor.id), what="verification messages")
    await _service(conn, identity, runtime).resend_verification(actor.user)
    return Accepted(status="verification_sent", detail="A new verification message is on its way.")


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ME_PROBLEMS, **problem_responses(InvalidInput)},
    summary="Change my password",
)
async def change_password(
    body: PasswordChange,
    actor: AccountWriter,
    service: Accounts,
) -> None:
    await service.change_password(actor.user, body.current_password, body.new_password)


@router.get(
    "/me/export",
    responses=_ME_PROBLEMS,
    summary="Everything the platform holds about me (JSON)",
)
async def export_me(
    actor: AccountWriter, conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> JSONResponse:
    data = await _service(conn, identity, runtime).export(actor.user)
    return JSONResponse(
        jsonable_encoder(data),
        headers={
            "Content-Disposition": 'attachment; filename="sawt-account.json"',
            "Cache-Control": "no-store",
        },
    )


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ME_PROBLEMS, **problem_responses(Conflict)},
    summary="Delete my account",
)
async def delete_me(
    body: AccountDelete,
    actor: AccountWriter,
    service: Accounts,
) -> None:
    """Anonymises the account, ends its sessions and tokens, and publishes
    ``user.deleted`` so the other services anonymise what they hold."""
    await service.delete(actor.user, body.password)


@router.get(
    "/users/{user_id}",
    response_model=UserRead,
    responses={**_ME_PROBLEMS, **problem_responses(NotFound)},
    summary="A user (oneself, or anyone for moderators and admins)",
)
async def read_user(
    user_id: uuid.UUID,
    actor: AccountReader,
    service: Accounts,
) -> UserRead:
    if not can_read_user(actor.user, user_id):
        raise Forbidden("You may not read this user.", type_slug="not-your-user")
    return UserRead.of(await service.user(user_id))


@router.put(
    "/users/{user_id}/roles",
    response_model=UserRead,
    responses={**_ME_PROBLEMS, **problem_responses(NotFound)},
    summary="Set a user's platform roles (admins)",
)
async def set_roles(
    user_id: uuid.UUID,
    body: RolesUpdate,
    actor: Annotated[Actor, Depends(require_user("admin", write=True))],
    conn: DbTransaction,
    identity: IdentityDep,
    runtime: RuntimeDep,
) -> UserRead:
    if not can_change_roles(actor.user):
        raise Forbidden("Only platform admins set roles.", type_slug="admin-only")
    service = _service(conn, identity, runtime)
    target = await service.user(user_id)
    roles: list[str] = sorted(set(body.roles))
    await service.repo.set_roles(target.id, roles)
    await conn.execute(
        "INSERT INTO audit_log (actor_id, action, object_type, object_id, details)"
        " VALUES ($1, 'user.roles_set', 'user', $2, $3)",
        actor.id,
        str(target.id),
        {"roles": roles, "before": list(target.roles)},
    )
    return UserRead.of(await service.user(user_id))
