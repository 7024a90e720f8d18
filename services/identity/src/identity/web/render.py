"""Rendering a hosted page: language, direction, CSRF token and cookie."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from identity.bootstrap import Identity
from identity.web.csrf import CSRF_FIELD, csrf_token, ensure_csrf_cookie
from identity.web.i18n import PAGE_LANGUAGES, choose_language

__all__ = ["LANG_COOKIE", "page", "page_language"]

LANG_COOKIE = "sawt_lang"


def page_language(request: Request, preferred: str | None = None) -> str:
    return choose_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE) or preferred,
        request.headers.get("accept-language"),
        hinted=_ui_locales(request),
    )


def _ui_locales(request: Request) -> str | None:
    """The ``ui_locales`` of the authorization request: on the authorize and consent
    pages themselves, or carried in ``next`` by the login and registration pages."""
    hinted = request.query_params.get("ui_locales")
    if hinted is None and (target := request.query_params.get("next")):
        values = parse_qs(urlsplit(target).query).get("ui_locales")
        hinted = values[0] if values else None
    return hinted


def page(
    request: Request,
    identity: Identity,
    template: str,
    *,
    lang: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    form_targets: Sequence[str] = (),
    **context: Any,
) -> HTMLResponse:
    """Render ``template``; its forms may post (and be redirected) to ``'self'`` and to
    ``form_targets`` only (the consent page names the client's redirect origin)."""
    lang = lang or page_language(request)
    cookie, token = csrf_token(request, identity.settings)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    lang_urls = {
        code: request.url.path + "?" + urlencode([*kept, ("lang", code)]) for code in PAGE_LANGUAGES
    }
    html = identity.pages.render(
        template,
        lang,
        csrf_field=CSRF_FIELD,
        csrf_token=token,
        lang_urls=lang_urls,
        password_min_length=identity.settings.password_min_length,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    form_action = " ".join(["'self'", *form_targets])
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"form-action {form_action}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    ensure_csrf_cookie(response, identity.settings, cookie)
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response
