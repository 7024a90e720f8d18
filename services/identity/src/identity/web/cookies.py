"""The session cookie: HttpOnly, SameSite=Lax, Secure unless configured off."""

from __future__ import annotations

from starlette.responses import Response

from identity.settings import IdentitySettings

__all__ = ["clear_session_cookie", "set_session_cookie"]


def set_session_cookie(response: Response, settings: IdentitySettings, token: str) -> None:
    response.set_cookie(
        settings.session_cookie_name,
        token,
        max_age=settings.session_ttl,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response, settings: IdentitySettings) -> None:
    response.delete_cookie(
        settings.session_cookie_name,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )
