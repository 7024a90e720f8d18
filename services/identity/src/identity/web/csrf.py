"""CSRF protection for the hosted forms: a signed double-submit token.

Each browser gets a random ``sawt_csrf`` cookie; each form carries
HMAC(server secret, cookie). A cross-site page can neither read the cookie nor
compute the HMAC, so it cannot forge the field; SameSite=Lax on the session
cookie is the second line."""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.responses import Response

from identity.settings import IdentitySettings
from identity.tokens import keyed_hash, new_secret

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "csrf_token", "csrf_valid", "ensure_csrf_cookie"]

CSRF_COOKIE = "sawt_csrf"
CSRF_FIELD = "csrf_token"


def _token_for(settings: IdentitySettings, cookie: str) -> str:
    return keyed_hash(settings.secret_key, "csrf", cookie).hex()


def csrf_token(request: Request, settings: IdentitySettings) -> tuple[str, str]:
    """(cookie value, form token) for a page about to be rendered."""
    cookie = request.cookies.get(CSRF_COOKIE) or new_secret(24)
    return cookie, _token_for(settings, cookie)


def ensure_csrf_cookie(response: Response, settings: IdentitySettings, cookie: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, cookie, httponly=True, secure=settings.cookie_secure, samesite="lax", path="/"
    )


def csrf_valid(request: Request, settings: IdentitySettings, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(_token_for(settings, cookie), submitted)
