"""A small but real OpenID provider playing the national eID in tests.

It speaks OpenID Connect over HTTP (discovery, authorization with PKCE, token, JWKS)
and signs id_tokens with joserfc; who "logs in" at the provider is chosen by the test
(``provider.next_subject``). Run it with :func:`serve_provider` on a free port.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from sawt_shared.testing import serve_asgi

__all__ = ["EidProvider", "serve_provider"]


@dataclass
class EidProvider:
    client_id: str = "sawt"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    issuer: str = ""
    next_subject: str = "MA-0000001"
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(
            2048, {"kid": "eid-1", "use": "sig", "alg": "RS256"}, private=True
        )
    )
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    app: FastAPI = field(init=False)

    def __post_init__(self) -> None:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }

        @app.get("/authorize")
        async def authorize(request: Request) -> RedirectResponse:
            q = request.query_params
            assert q["client_id"] == self.client_id
            assert q["response_type"] == "code"
            assert q["code_challenge_method"] == "S256"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": q["nonce"],
                "challenge": q["code_challenge"],
                "redirect_uri": q["redirect_uri"],
                "subject": self.next_subject,
            }
            target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
            return RedirectResponse(target, status_code=302)

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            grant = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                grant is None
                or form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret
                or challenge != grant["challenge"]
                or form.get("redirect_uri") != grant["redirect_uri"]
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "sub": grant["subject"],
                "aud": self.client_id,
                "iat": now,
                "exp": now + 300,
                "nonce": grant["nonce"],
            }
            id_token = jwt.encode({"alg": "RS256", "kid": "eid-1"}, claims, KeySet([self.key]))
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": id_token,
                }
            )

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        self.app = app


@asynccontextmanager
async def serve_provider(provider: EidProvider) -> AsyncIterator[EidProvider]:
    """Serve ``provider`` with uvicorn on 127.0.0.1 and a free port."""
    async with serve_asgi(provider.app) as base_url:
        provider.issuer = base_url
        yield provider
