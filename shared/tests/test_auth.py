"""Access-token verification against a JWKS served over real HTTP.

The identity service is played by a small Starlette app run by uvicorn on
127.0.0.1; the protected API is a FastAPI app called through ``ASGITransport``.
The key cache runs on a manual clock, so refresh limits are tested without sleeping.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI
from joserfc import jws
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sawt_shared.auth import (
    AccessToken,
    JWKSCache,
    OptionalToken,
    Token,
    TokenVerifier,
    auth_problem_responses,
    require_scopes,
)
from sawt_shared.errors import (
    PROBLEM_BASE,
    PROBLEM_MEDIA_TYPE,
    Unauthorized,
    install_problem_handlers,
)
from sawt_shared.testing import serve_asgi
from sawt_shared.testing.tokens import (
    TEST_AUDIENCE,
    TEST_CLIENT_ID,
    TEST_ISSUER,
    TokenFactory,
    encode_hs256,
    encode_unsecured,
    signing_key,
)

# --------------------------------------------------------------------------- #
# The identity service's JWKS endpoint, over real HTTP
# --------------------------------------------------------------------------- #


class IdentityStub:
    """Publishes a key set at ``/.well-known/jwks.json`` and counts the fetches."""

    def __init__(self) -> None:
        self.keys: list[RSAKey] = [signing_key()]
        self.status = 200
        self.fetches = 0
        self.url = ""
        self.app = Starlette(routes=[Route("/.well-known/jwks.json", self._jwks)])

    def publish(self, *keys: RSAKey) -> None:
        self.keys = list(keys)

    def reset(self) -> None:
        self.publish(signing_key())
        self.status = 200
        self.fetches = 0

    async def _jwks(self, request: Request) -> Response:
        self.fetches += 1
        if self.status != 200:
            return Response("identity is down", status_code=self.status)
        return JSONResponse(TokenFactory().jwks(*self.keys))


@pytest_asyncio.fixture(scope="module")
async def identity_server() -> AsyncIterator[IdentityStub]:
    stub = IdentityStub()
    async with serve_asgi(stub.app) as base_url:
        stub.url = f"{base_url}/.well-known/jwks.json"
        yield stub


@pytest.fixture
def identity(identity_server: IdentityStub) -> IdentityStub:
    identity_server.reset()
    return identity_server


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
def jwks(identity: IdentityStub, http: httpx.AsyncClient, clock: ManualClock) -> JWKSCache:
    return JWKSCache(identity.url, http, ttl=300, min_refresh_interval=10, clock=clock)


@pytest.fixture
def verifier(jwks: JWKSCache) -> TokenVerifier:
    return TokenVerifier(jwks, TEST_ISSUER, TEST_AUDIENCE, ["RS256"])


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory()


# --------------------------------------------------------------------------- #
# A protected API
# --------------------------------------------------------------------------- #


def build_api(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.token_verifier = verifier
    WritePetitions = Annotated[
        AccessToken, Depends(require_scopes("petitions:write", "petitions:read"))
    ]

    @app.get("/me", responses=auth_problem_responses())
    async def me(token: Token) -> dict[str, Any]:
        return {"subject": token.subject, "scopes": sorted(token.scopes)}

    @app.post("/petitions", responses=auth_problem_responses())
    async def create_petition(token: WritePetitions) -> dict[str, Any]:
        return {"author": token.subject}

    @app.get("/petitions")
    async def list_petitions(token: OptionalToken) -> dict[str, Any]:
        return {"viewer": token.subject if token else None}

    return app


@pytest_asyncio.fixture
async def api(verifier: TokenVerifier) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_api(verifier))
    async with httpx.AsyncClient(transport=transport, base_url="http://sawt.test") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    assert body["detail"]
    assert "Traceback" not in response.text
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    return body


async def rejected(verifier: TokenVerifier, token: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as caught:
        await verifier.verify(token)
    return caught.value


# --------------------------------------------------------------------------- #
# Accepted tokens
# --------------------------------------------------------------------------- #


@pytest.mark.asyncio
async def test_a_good_token_is_accepted_and_its_claims_parsed(
    verifier: TokenVerifier, tokens: TokenFactory, identity: IdentityStub
) -> None:
    jti = uuid.uuid4().hex
    token = tokens.mint(subject="user-42", scopes=["petitions:write", "profile"], jti=jti)

    access = await verifier.verify(token)

    assert access.subject == "user-42"
    assert access.client_id == TEST_CLIENT_ID
    assert access.scopes == frozenset({"petitions:write", "profile"})
    assert access.issuer == TEST_ISSUER
    assert access.audience == (TEST_AUDIENCE,)
    assert access.token_id == jti
    assert access.expires_at > access.issued_at
    assert access.expires_at.tzinfo is not None
    assert access.claims["sub"] == "user-42"
    assert access.has_scopes("profile")
    assert identity.fetches == 1


@pytest.mark.asyncio
async def test_the_key_set_is_cached(
    verifier: TokenVerifier, tokens: TokenFactory, identity: IdentityStub, clock: ManualClock
) -> None:
    for _ in range(3):
        await verifier.verify(tokens.mint())
    assert identity.fetches == 1

    clock.advance(301)  # past the TTL
    await verifier.verify(tokens.mint())
    assert identity.fetches == 2


@pytest.mark.asyncio
async def test_a_good_token_passes_through_the_api(
    api: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    token = tokens.mint(subject="user-7", scopes=["petitions:read", "petitions:write"])

    me = await api.get("/me", headers=bearer(token))
    created = await api.post("/petitions", headers=bearer(token))

    assert me.status_code == 200
    assert me.json() == {"subject": "user-7", "scopes": ["petitions:read", "petitions:write"]}
    assert created.status_code == 200
    assert created.json() == {"author": "user-7"}


@pytest.mark.asyncio
@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt"])
async def test_access_token_types_are_accepted(
    verifier: TokenVerifier, tokens: TokenFactory, typ: str
) -> None:
    access = await verifier.verify(tokens.mint(header={"typ": typ}))
    assert access.subject == "user-1"


@pytest.mark.asyncio
async def test_an_audience_list_naming_us_is_accepted(
    verifier: TokenVerifier, tokens: TokenFactory
) -> None:
    access = await verifier.verify(tokens.mint(aud=["petitions-admin", TEST_AUDIENCE]))
    assert access.audience == ("petitions-admin", TEST_AUDIENCE)


@pytest.mark.asyncio
async def test_an_absent_scope_means_no_scopes(
    verifier: TokenVerifier, tokens: TokenFactory
) -> None:
    access = await verifier.verify(tokens.mint(scope=None))
    assert access.scopes == frozenset()


@pytest.mark.asyncio
async def test_expiry_allows_a_little_clock_skew(
    verifier: TokenVerifier, tokens: TokenFactory
) -> None:
    now = int(time.time())
    access = await verifier.verify(tokens.mint(iat=now - 300, exp=now - 10))
    assert access.subject == "user-1"


@pytest.mark.asyncio
async def test_a_token_without_kid_is_accepted_when_one_key_is_published(
    verifier: TokenVerifier, tokens: TokenFactory
) -> None:
    access = await verifier.verify(tokens.mint(header={"kid": None}))
    assert access.subject == "user-1"


# --------------------------------------------------------------------------- #
# Rejected tokens, through the API: problem documents
# --------------------------------------------------------------------------- #


@pytest.mark.asyncio
async def test_a_wrong_signature_is_rejected(api: httpx.AsyncClient, tokens: TokenFactory) -> None:
    forged = tokens.mint(key=signing_key("impostor"))  # same kid, another key

    response = await api.get("/me", headers=bearer(forged))

    assert_problem(response, 401, "invalid-signature")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.asyncio
async def test_a_wrong_audience_is_rejected(api: httpx.AsyncClient, tokens: TokenFactory) -> None:
    response = await api.get("/me", headers=bearer(tokens.mint(aud="another-service")))
    assert_problem(response, 401, "invalid-audience")

    response = await api.get("/me", headers=bearer(tokens.mint(aud=["a", "b"])))
    assert_problem(response, 401, "invalid-audience")


@pytest.mark.asyncio
async def test_a_wrong_issuer_is_rejected(api: httpx.AsyncClient, tokens: TokenFactory) -> None:
    token = tokens.mint(iss=TEST_ISSUER + "/")  # compared exactly
    assert_problem(await api.get("/me", headers=bearer(token)), 401, "invalid-issuer")


@pytest.mark.asyncio
async def test_an_expired_token_is_rejected(api: httpx.AsyncClient, tokens: TokenFactory) -> None:
    now = int(time.time())
    token = tokens.mint(iat=now - 600, exp=now - 120)

    response = await api.get("/me", headers=bearer(token))

    assert_problem(response, 401, "token-expired")


@pytest.mark.asyncio
async def test_an_alg_none_token_is_rejected_before_any_key_lookup(
    api: httpx.AsyncClient, tokens: TokenFactory, identity: IdentityStub
) -> None:
    for alg in ("none", "None", "NONE"):
        token = encode_unsecured(tokens.claims(), header={"alg": alg, "kid": tokens.kid})
        response = await api.get("/me", headers=bearer(token))
        assert_problem(response, 401, "unsupported-algorithm")
    assert identity.fetches == 0


@pytest.mark.asyncio
async def test_hs256_signed_with_the_public_key_is_rejected(
    api: httpx.AsyncClient, tokens: TokenFactory, identity: IdentityStub
) -> None:
    public_pem = tokens.key.as_pem(private=False)
    token = encode_hs256(tokens.claims(), public_pem, header={"kid": tokens.kid})

    response = await api.get("/me", headers=bearer(token))

    assert_problem(response, 401, "unsupported-algorithm")
    assert identity.fetches == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("typ", ["JWT", "jwt", "id_token+jwt", "at+jwe", None])
async def test_a_wrong_typ_is_rejected(
    api: httpx.AsyncClient, tokens: TokenFactory, typ: str | None
) -> None:
    response = await api.get("/me", headers=bearer(tokens.mint(header={"typ": typ})))
    assert_problem(response, 401, "invalid-token-type")


@pytest.mark.asyncio
async def test_missing_scopes_are_forbidden_and_listed(
    api: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    token = tokens.mint(scopes=["petitions:read", "profile"])

    response = await api.post("/petitions", headers=bearer(token))

    body = assert_problem(response, 403, "insufficient-scope")
    assert body["missing_scopes"] == ["petitions:write"]
    assert body["required_scopes"] == ["petitions:write", "petitions:read"]
    assert "petitions:write" in body["detail"]
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


@pytest.mark.asyncio
async def test_no_authorization_header_is_unauthorized(api: httpx.AsyncClient) -> None:
    response = await api.get("/me")

    assert_problem(response, 401, "missing-token")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.asyncio
@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "token"])
async def test_an_authorization_header_that_is_not_bearer_is_unauthorized(
    api: httpx.AsyncClient, value: str
) -> None:
    response = await api.get("/me", headers={"Authorization": value})
    assert_problem(response, 401, "missing-token")


@pytest.mark.asyncio
async def test_optional_token_lets_anonymous_callers_in_but_rejects_bad_tokens(
    api: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    anonymous = await api.get("/petitions")
    signed_in = await api.get("/petitions", headers=bearer(tokens.mint(subject="user-3")))
    forged = await api.get("/petitions", headers=bearer(tokens.mint(key=signing_key("impostor"))))

    assert anonymous.json() == {"viewer": None}
    assert signed_in.json() == {"viewer": "user-3"}
    assert_problem(forged, 401, "invalid-signature")


def test_the_openapi_document_declares_the_bearer_scheme_and_problems(
    verifier: TokenVerifier,
) -> None:
    spec = build_api(verifier).openapi()

    assert spec["components"]["securitySchemes"]["AccessToken"]["scheme"] == "bearer"
    responses = spec["paths"]["/petitions"]["post"]["responses"]
    assert PROBLEM_MEDIA_TYPE in responses["401"]["content"]
    assert PROBLEM_MEDIA_TYPE in responses["403"]["content"]


# --------------------------------------------------------------------------- #
# Key rotation and refresh limits
# --------------------------------------------------------------------------- #


@pytest.mark.asyncio
async def test_an_unknown_kid_is_rejected_after_exactly_one_refresh(
    api: httpx.AsyncClient, tokens: TokenFactory, identity: IdentityStub, clock: ManualClock
) -> None:
    assert (await api.get("/me", headers=bearer(tokens.mint()))).status_code == 200
    assert identity.fetches == 1
    clock.advance(11)

    stranger = TokenFactory(key=signing_key("not-published"))
    response = await api.get("/me", headers=bearer(stranger.mint()))

    assert_problem(response, 401, "unknown-signing-key")
    assert identity.fetches == 2


@pytest.mark.asyncio
async def test_random_kids_do_not_hammer_the_identity_service(
    api: httpx.AsyncClient, tokens: TokenFactory, identity: IdentityStub, clock: ManualClock
) -> None:
    await api.get("/me", headers=bearer(tokens.mint()))
    clock.advance(11)

    for _ in range(20):
        token = tokens.mint(header={"kid": uuid.uuid4().hex}, key=signing_key("not-published"))
        assert_problem(await api.get("/me", headers=bearer(token)), 401, "unknown-signing-key")

    assert identity.fetches == 2  # the first fetch, then one refresh in the interval


@pytest.mark.asyncio
async def test_a_rotated_key_is_accepted_after_one_refresh(
    api: httpx.AsyncClient, tokens: TokenFactory, identity: IdentityStub, clock: ManualClock
) -> None:
    assert (await api.get("/me", headers=bearer(tokens.mint()))).status_code == 200
    assert identity.fetches == 1

    rotated = TokenFactory(key=signing_key("test-key-2"))
    identity.publish(rotated.key, tokens.key)
    clock.advance(11)

    first = await api.get("/me", headers=bearer(rotated.mint(subject="after-rotation")))
    again = await api.get("/me", headers=bearer(rotated.mint()))
    old = await api.get("/me", headers=bearer(tokens.mint()))

    assert first.status_code == 200
    assert first.json()["subject"] == "after-rotation"
    assert again.status_code == 200
    assert old.status_code == 200
    assert identity.fetches == 2


@pytest.mark.asyncio
async def test_concurrent_refreshes_share_one_fetch(
    verifier: TokenVerifier, tokens: TokenFactory, identity: IdentityStub, clock: ManualClock
) -> None:
    await verifier.verify(tokens.mint())
    rotated = TokenFactory(key=signing_key("test-key-2"))
    identity.publish(tokens.key, rotated.key)
    clock.advance(11)

    results = await asyncio.gather(*(verifier.verify(rotated.mint()) for _ in range(25)))

    assert {r.subject for r in results} == {"user-1"}
    assert identity.fetches == 2


@pytest.mark.asyncio
async def test_a_token_without_kid_is_rejected_when_several_keys_are_published(
    api: httpx.AsyncClient, tokens: TokenFactory, identity: IdentityStub
) -> None:
    identity.publish(tokens.key, signing_key("test-key-2"))

    response = await api.get("/me", headers=bearer(tokens.mint(header={"kid": None})))

    assert_problem(response, 401, "missing-key-id")


# --------------------------------------------------------------------------- #
# The identity service is down
# --------------------------------------------------------------------------- #


@pytest.mark.asyncio
async def test_without_any_key_set_tokens_are_rejected_and_the_error_logged(
    api: httpx.AsyncClient,
    tokens: TokenFactory,
    identity: IdentityStub,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    identity.status = 503
    with caplog.at_level(logging.WARNING, logger="sawt.auth"):
        response = await api.get("/me", headers=bearer(tokens.mint()))
        again = await api.get("/me", headers=bearer(tokens.mint()))

    assert_problem(response, 401, "signing-keys-unavailable")
    assert_problem(again, 401, "signing-keys-unavailable")
    assert identity.fetches == 1  # failures are retried at most once per interval
    assert any("could not fetch the signing keys" in r.getMessage() for r in caplog.records)

    identity.status = 200
    clock.advance(11)
    assert (await api.get("/me", headers=bearer(tokens.mint()))).status_code == 200


@pytest.mark.asyncio
async def test_the_last_good_key_set_outlives_an_outage(
    verifier: TokenVerifier,
    tokens: TokenFactory,
    identity: IdentityStub,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await verifier.verify(tokens.mint())
    identity.status = 500
    clock.advance(301)

    with caplog.at_level(logging.WARNING, logger="sawt.auth"):
        access = await verifier.verify(tokens.mint())

    assert access.subject == "user-1"
    assert identity.fetches == 2
    assert any("could not fetch the signing keys" in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_a_key_set_that_is_not_jwks_counts_as_unavailable(
    tokens: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"keys": "no"}))
    async with httpx.AsyncClient(transport=transport) as client:
        verifier = TokenVerifier(
            JWKSCache("http://identity.test/jwks", client), TEST_ISSUER, TEST_AUDIENCE
        )
        with caplog.at_level(logging.WARNING, logger="sawt.auth"):
            problem = await rejected(verifier, tokens.mint())
    assert problem.type_slug == "signing-keys-unavailable"


# --------------------------------------------------------------------------- #
# Claims and malformed tokens
# --------------------------------------------------------------------------- #


@pytest.mark.asyncio
@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"])
async def test_each_required_claim_is_required(
    verifier: TokenVerifier, tokens: TokenFactory, claim: str
) -> None:
    without: dict[str, Any] = {claim: None}
    problem = await rejected(verifier, tokens.mint(**without))
    assert problem.type_slug == "missing-claim"
    assert claim in str(problem.detail)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": 42},
        {"client_id": ["a"]},
        {"aud": 7},
        {"aud": []},
        {"exp": "tomorrow"},
        {"exp": True},
        {"exp": 10**20},
        {"iat": 1.5e300},
        {"nbf": "now"},
        {"scope": ["petitions:write"]},
    ],
)
async def test_claims_of_the_wrong_type_are_rejected(
    verifier: TokenVerifier, tokens: TokenFactory, overrides: dict[str, Any]
) -> None:
    problem = await rejected(verifier, tokens.mint(**overrides))
    assert problem.type_slug == "invalid-claim"


@pytest.mark.asyncio
async def test_tokens_from_the_future_are_rejected(
    verifier: TokenVerifier, tokens: TokenFactory
) -> None:
    now = int(time.time())
    not_yet = await rejected(verifier, tokens.mint(nbf=now + 120))
    issued_later = await rejected(verifier, tokens.mint(iat=now + 120, exp=now + 600))

    assert not_yet.type_slug == "token-not-yet-valid"
    assert issued_later.type_slug == "token-not-yet-valid"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        "a.b",
        "a.b.c",
        "a.b.c.d.e",
        "é.é.é",
        "x" * 10_000,
        "eyJhbGciOiJSUzI1NiJ9.e30",
    ],
)
async def test_malformed_tokens_are_rejected(verifier: TokenVerifier, token: str) -> None:
    problem = await rejected(verifier, token)
    assert problem.type_slug == "invalid-token"
    assert problem.status == 401


@pytest.mark.asyncio
async def test_a_payload_that_is_not_an_object_is_rejected(
    verifier: TokenVerifier, tokens: TokenFactory
) -> None:
    token = jws.serialize_compact(tokens.header(), b"[1,2,3]", tokens.key, algorithms=["RS256"])

    problem = await rejected(verifier, token)

    assert problem.type_slug == "invalid-token"


@pytest.mark.asyncio
async def test_critical_header_extensions_are_rejected(
    verifier: TokenVerifier, tokens: TokenFactory
) -> None:
    problem = await rejected(verifier, tokens.mint(header={"b64": False, "crit": ["b64"]}))
    assert problem.type_slug == "invalid-token"


@pytest.mark.asyncio
async def test_an_algorithm_outside_the_pinned_list_is_rejected(
    jwks: JWKSCache, tokens: TokenFactory, identity: IdentityStub
) -> None:
    verifier = TokenVerifier(jwks, TEST_ISSUER, TEST_AUDIENCE, ["ES256"])

    problem = await rejected(verifier, tokens.mint())

    assert problem.type_slug == "unsupported-algorithm"
    assert identity.fetches == 0


def test_unsafe_configurations_are_refused(jwks: JWKSCache) -> None:
    for algorithms in (["none"], ["HS256"], ["RS256", "HS512"], [], ["RS257"]):
        with pytest.raises(ValueError, match=r"algorithm|accepted|asymmetric"):
            TokenVerifier(jwks, TEST_ISSUER, TEST_AUDIENCE, algorithms)
    with pytest.raises(ValueError, match="leeway"):
        TokenVerifier(jwks, TEST_ISSUER, TEST_AUDIENCE, leeway=300)
    with pytest.raises(ValueError, match="scope"):
        require_scopes("petitions:write petitions:read")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("header", "slug"),
    [
        ({"alg": "€\r\nX-Injected: 1" + "a" * 300}, "unsupported-algorithm"),
        ({"typ": 'at+jwt"\r\n€'}, "invalid-token-type"),
        ({"kid": '€"\r\n' + "k" * 300}, "unknown-signing-key"),
    ],
)
async def test_hostile_header_values_are_not_echoed_raw(
    api: httpx.AsyncClient, tokens: TokenFactory, header: dict[str, str], slug: str
) -> None:
    token = encode_unsecured(tokens.claims(), header={**tokens.header(), **header})
    if slug == "unknown-signing-key":
        token = tokens.mint(header=header)

    response = await api.get("/me", headers=bearer(token))

    body = assert_problem(response, 401, slug)
    assert len(body["detail"]) < 200
    challenge = response.headers["www-authenticate"]
    assert challenge.isascii()
    assert "\r" not in challenge
    assert "\n" not in challenge
    assert "X-Injected" not in response.headers
