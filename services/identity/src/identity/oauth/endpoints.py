"""OAuth 2.0 and OpenID Connect endpoints: authorize (with the consent page), token,
revoke, introspect, userinfo, discovery and keys."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from joserfc.jwk import KeySet

from identity.accounts.auth import session_of
from identity.accounts.repository import AccountRepository
from identity.bootstrap import Identity, IdentityDep
from identity.consents.repository import ConsentRepository
from identity.keys.service import SigningKeys
from identity.oauth.bridge import StarletteOAuth2Request, oauth2_request
from identity.oauth.models import Subject
from identity.oauth.repository import OAuthRepository
from identity.oauth.scopes import SCOPES, permitted_scopes
from identity.oauth.server import SawtAuthorizationServer, user_claims
from identity.organizations.repository import OrganizationRepository
from identity.web.csrf import CSRF_FIELD, csrf_valid
from identity.web.render import page, page_language
from sawt_shared.auth import Token, auth_problem_responses
from sawt_shared.db import Connection, DbConnection, DbTransaction
from sawt_shared.errors import Forbidden, Unauthorized

__all__ = ["build_server", "router"]

router = APIRouter(tags=["oauth2"])

_FORM_ONLY = {
    "requestBody": {
        "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}
    }
}


async def build_server(conn: Connection, identity: Identity) -> SawtAuthorizationServer:
    keys = SigningKeys(conn, identity.settings)
    signing_key = await keys.signing_key()
    public = KeySet.import_key_set(await keys.jwks())  # type: ignore[arg-type]
    orgs = OrganizationRepository(conn)

    async def standing(user: Any) -> Any:
        return await orgs.standing(user.id, user.roles)

    return SawtAuthorizationServer(conn, identity.settings, signing_key, public, standing)


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


async def _subject(request: Request, conn: Connection, identity: Identity) -> Subject | None:
    session = await session_of(request, conn, identity.settings.session_cookie_name)
    if session is None:
        return None
    user = await AccountRepository(conn).get(session.user_id)
    if user is None or not user.active:
        return None
    standing = await OrganizationRepository(conn).standing(user.id, user.roles)
    return Subject(user, standing, session.auth_time, session.amr)


def _origin(uri: str) -> str:
    """The scheme and host of ``uri``: where the consent form's answer is redirected."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "'none'"


def _error_page(request: Request, identity: Identity, error: OAuth2Error, lang: str) -> Response:
    return page(
        request,
        identity,
        "message.html",
        lang=lang,
        status_code=400,
        title_key="authorize_error",
        message=f"{error.error}: {error.description or ''}",
    )


async def _authorize(
    request: Request,
    conn: Connection,
    identity: Identity,
    oreq: StarletteOAuth2Request,
    decision: str | None,
) -> Response:
    subject = await _subject(request, conn, identity)
    if subject is None:
        return _login_redirect(request)
    lang = page_language(request, subject.user.language)
    server = await build_server(conn, identity)
    try:
        grant = await server.run(server.get_consent_grant, oreq, subject)
    except OAuth2Error as error:
        if error.redirect_uri:
            response: Response = server.handle_error_response(oreq, error)
            return response
        return _error_page(request, identity, error, lang)
    client = grant.request.client
    scopes = permitted_scopes((grant.request.scope or "").split(), subject.standing)
    consents = ConsentRepository(conn)
    if decision is None and not client.first_party:
        asked = "consent" in str(oreq.payload.data.get("prompt") or "").split()
        allowed = await consents.allowed(subject.user.id, client.client_id)
        if asked or allowed is None or not set(scopes) <= allowed:
            return _consent_page(request, identity, oreq, grant, subject, scopes, lang)
    if decision == "approve" and not client.first_party:
        await consents.grant(subject.user.id, client.client_id, scopes)
    grant_user = subject if decision in (None, "approve") else None
    result: Response = await server.run(
        server.create_authorization_response, oreq, grant_user, grant
    )
    return result


def _consent_page(
    request: Request,
    identity: Identity,
    oreq: StarletteOAuth2Request,
    grant: Any,
    subject: Subject,
    scopes: list[str],
    lang: str,
) -> Response:
    return page(
        request,
        identity,
        "consent.html",
        lang=lang,
        client_name=grant.request.client.name,
        user_name=subject.user.display_name,
        scopes=scopes,
        params=list(oreq.payload.datalist.items()),
        form_targets=[_origin(grant.redirect_uri or "")],
    )


@router.get(
    "/oauth2/authorize",
    summary="Authorization endpoint (code flow with PKCE; shows the consent page)",
    response_class=Response,
    responses={302: {"description": "Back to the client"}, 303: {"description": "To login"}},
)
async def authorize(request: Request, conn: DbTransaction, identity: IdentityDep) -> Response:
    oreq = await oauth2_request(request, identity.settings.issuer)
    return await _authorize(request, conn, identity, oreq, None)


@router.post(
    "/oauth2/authorize",
    summary="The consent form's answer",
    response_class=Response,
    openapi_extra=_FORM_ONLY,
)
async def authorize_decision(
    request: Request, conn: DbTransaction, identity: IdentityDep
) -> Response:
    form = await request.form()
    if not csrf_valid(request, identity.settings, str(form.get(CSRF_FIELD) or "")):
        return page(
            request, identity, "message.html", status_code=400, title_key="csrf_error", message=""
        )
    decision = "approve" if form.get("decision") == "approve" else "deny"
    params = [
        (k, v)
        for k, v in form.multi_items()
        if isinstance(v, str) and k not in (CSRF_FIELD, "decision")
    ]
    uri = identity.settings.issuer.rstrip("/") + "/oauth2/authorize?" + urlencode(params)
    oreq = StarletteOAuth2Request("GET", uri, request.headers, params, [])
    return await _authorize(request, conn, identity, oreq, decision)


@router.post(
    "/oauth2/token",
    summary="Token endpoint: authorization_code, refresh_token, client_credentials",
    response_class=JSONResponse,
    openapi_extra=_FORM_ONLY,
)
async def token(request: Request, conn: DbTransaction, identity: IdentityDep) -> Response:
    oreq = await oauth2_request(request, identity.settings.issuer)
    server = await build_server(conn, identity)
    response: Response = await server.run(server.create_token_response, oreq)
    return response


@router.post(
    "/oauth2/revoke",
    summary="Token revocation (RFC 7009)",
    response_class=JSONResponse,
    openapi_extra=_FORM_ONLY,
)
async def revoke(request: Request, conn: DbTransaction, identity: IdentityDep) -> Response:
    oreq = await oauth2_request(request, identity.settings.issuer)
    server = await build_server(conn, identity)
    response: Response = await server.run(server.create_endpoint_response, "revocation", oreq)
    return response


@router.post(
    "/oauth2/introspect",
    summary="Token introspection for confidential clients (RFC 7662)",
    response_class=JSONResponse,
    openapi_extra=_FORM_ONLY,
)
async def introspect(request: Request, conn: DbTransaction, identity: IdentityDep) -> Response:
    oreq = await oauth2_request(request, identity.settings.issuer)
    server = await build_server(conn, identity)
    response: Response = await server.run(server.create_endpoint_response, "introspection", oreq)
    return response


async def _userinfo(token: Any, conn: Connection) -> dict[str, Any]:
    if "openid" not in token.scopes:
        raise Forbidden("The access token lacks the scope openid.", type_slug="insufficient-scope")
    issued = await OAuthRepository(conn).by_jti(token.token_id)
    if issued is None or issued.revoked_at or issued.access_revoked_at:
        raise Unauthorized("The access token was revoked.", type_slug="token-revoked")
    try:
        user_id = uuid.UUID(token.subject)
    except ValueError:
        raise Forbidden(
            "userinfo is about a user; this token is a client's.", type_slug="user-token-required"
        ) from None
    user = await AccountRepository(conn).get(user_id)
    if user is None or not user.active:
        raise Unauthorized("The account no longer exists.", type_slug="account-gone")
    return user_claims(Subject(user), " ".join(token.scopes))


@router.get(
    "/oauth2/userinfo", summary="OpenID Connect userinfo", responses=auth_problem_responses()
)
async def userinfo(token: Token, conn: DbConnection) -> dict[str, Any]:
    return await _userinfo(token, conn)


@router.post(
    "/oauth2/userinfo", summary="OpenID Connect userinfo (POST)", responses=auth_problem_responses()
)
async def userinfo_post(token: Token, conn: DbConnection) -> dict[str, Any]:
    return await _userinfo(token, conn)


@router.get("/.well-known/openid-configuration", summary="OpenID Provider metadata")
async def discovery(identity: IdentityDep) -> JSONResponse:
    base = identity.settings.issuer.rstrip("/")
    metadata = {
        "issuer": identity.settings.issuer,
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "userinfo_endpoint": f"{base}/oauth2/userinfo",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "introspection_endpoint": f"{base}/oauth2/introspect",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "amr",
            "name",
            "locale",
            "email",
            "email_verified",
            "updated_at",
            "sawt_region",
            "sawt_assurance",
        ],
        "ui_locales_supported": ["ar", "fr", "en"],
    }
    return JSONResponse(metadata, headers={"Cache-Control": "public, max-age=300"})


@router.get("/.well-known/jwks.json", summary="Public signing keys (every key of a valid token)")
async def jwks(conn: DbTransaction, identity: IdentityDep) -> JSONResponse:
    keys = SigningKeys(conn, identity.settings)
    await keys.ensure_active()
    return JSONResponse(await keys.jwks(), headers={"Cache-Control": "public, max-age=60"})
