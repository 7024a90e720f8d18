"""Access-token verification: RFC 9068 JWTs checked against the identity service's JWKS.

Services never call the identity service to check a token. They verify it locally:

* :class:`JWKSCache` fetches the identity service's key set, keeps it for a while
  and fetches it again, at most once per ``min_refresh_interval``, when a token
  names a key it does not know (key rotation).
* :class:`TokenVerifier` checks one token: pinned algorithm, ``typ`` of
  ``at+jwt``, signature, ``iss``, ``aud``, ``exp``, ``nbf``, ``iat`` and the other
  claims RFC 9068 requires, and returns an :class:`AccessToken`.
* FastAPI dependencies read the ``Authorization: Bearer`` header and verify it with
  the verifier kept on ``app.state.token_verifier``::

      @router.post("/petitions", responses=auth_problem_responses())
      async def create_petition(
          token: Annotated[AccessToken, Depends(require_scopes("petitions:write"))],
      ) -> PetitionRead: ...

Every rejected token is an :class:`~sawt_shared.errors.Unauthorized` (401) whose
problem ``type`` ends with one of these stable slugs, so clients may branch on it:

    missing-token             no ``Authorization: Bearer`` credentials were sent
    invalid-token             not a well-formed signed JWT
    invalid-token-type        header ``typ`` is not ``at+jwt``
    unsupported-algorithm     ``alg`` is ``none`` or not one this service accepts
    missing-key-id            no ``kid`` while the identity service publishes several keys
    unknown-signing-key       no published key matches the token's ``kid`` and ``alg``
    signing-keys-unavailable  the identity service's key set could not be fetched
    invalid-signature         the signature does not match the key
    missing-claim             a claim RFC 9068 requires is absent
    invalid-claim             a claim has the wrong type
    invalid-issuer            ``iss`` is not the identity service
    invalid-audience          ``aud`` does not name this service
    token-expired             ``exp`` has passed
    token-not-yet-valid       ``nbf`` or ``iat`` lies in the future

A token that is valid but lacks a scope is a :class:`~sawt_shared.errors.Forbidden`
(403) of type ``insufficient-scope`` that lists the missing scopes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Final

import httpx
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from joserfc import jws
from joserfc.errors import (
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import Key, KeySet
from joserfc.jwt import JWTClaimsRegistry
from starlette.requests import HTTPConnection

from sawt_shared.errors import Forbidden, Unauthorized, problem_responses

if TYPE_CHECKING:
    from sawt_shared.settings import ServiceSettings

__all__ = [
    "ACCESS_TOKEN_TYPES",
    "MAX_LEEWAY",
    "AccessToken",
    "BearerToken",
    "JWKSCache",
    "OptionalToken",
    "Token",
    "TokenVerifier",
    "auth_problem_responses",
    "bearer_token",
    "current_token",
    "optional_bearer_token",
    "optional_token",
    "require_scopes",
]

_log = logging.getLogger("sawt.auth")

#: ``typ`` header values of an RFC 9068 access token (compared case-insensitively).
ACCESS_TOKEN_TYPES: Final = frozenset({"at+jwt", "application/at+jwt"})
#: Most clock skew, in seconds, tolerated on ``exp``, ``nbf`` and ``iat``.
MAX_LEEWAY: Final = 30
#: Longest token we try to parse; real access tokens are well under 2 KiB.
_MAX_TOKEN_LENGTH: Final = 8192
#: Claims RFC 9068 section 2.2 requires, besides the optional ``scope``.
_REQUIRED_CLAIMS: Final = ("iss", "sub", "aud", "exp", "iat", "jti", "client_id")
#: 10000-01-01T00:00:00Z: later NumericDates do not fit in a datetime.
_LATEST_DATE: Final = 253_402_300_800


# --------------------------------------------------------------------------- #
# The verified token
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A verified access token: who (``subject``) acting through which client, with what scopes.

    ``audience`` holds every audience the token names (one of them is ours);
    ``claims`` is the whole verified payload, read-only, for claims this class
    does not lift (``acr``, ``auth_time``, …).
    """

    subject: str
    client_id: str
    scopes: frozenset[str]
    issuer: str
    audience: tuple[str, ...]
    expires_at: datetime
    issued_at: datetime
    token_id: str
    not_before: datetime | None = None
    claims: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )

    def has_scopes(self, *scopes: str) -> bool:
        """Whether the token grants every one of ``scopes``."""
        return self.scopes.issuperset(scopes)

    def missing_scopes(self, scopes: Iterable[str]) -> frozenset[str]:
        """The scopes among ``scopes`` that the token does not grant."""
        return frozenset(scopes) - self.scopes


# --------------------------------------------------------------------------- #
# Problems
# --------------------------------------------------------------------------- #


def _header_safe(text: str) -> str:
    """``text`` with only the characters RFC 6750 allows in ``error_description``."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)


def _shown(value: object, limit: int = 40) -> str:
    """A value taken from the token, quoted and cut short for a problem detail."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _rejected(type_slug: str, detail: str) -> Unauthorized:
    """A 401 for a presented but unusable token (RFC 6750 ``invalid_token``)."""
    header = f'Bearer error="invalid_token", error_description="{_header_safe(detail)}"'
    return Unauthorized(
        detail,
        type_slug=type_slug,
        title="The access token was rejected",
        headers={"WWW-Authenticate": header},
    )


def _missing(detail: str) -> Unauthorized:
    """A 401 for a request without credentials: no error code, per RFC 6750 section 3.1."""
    return Unauthorized(detail, type_slug="missing-token", headers={"WWW-Authenticate": "Bearer"})


# --------------------------------------------------------------------------- #
# The key set
# --------------------------------------------------------------------------- #


class JWKSCache:
    """The identity service's JSON Web Key Set, fetched with ``client`` and cached.

    * The set is fetched on first use and again once it is ``ttl`` seconds old.
    * A token naming an unknown ``kid`` (the identity service rotated its key)
      makes the cache fetch again, unless a fetch was tried less than
      ``min_refresh_interval`` seconds ago: a client sending random ``kid``\\ s
      cannot make us hammer the identity service.
    * Callers that need a refresh at the same time share one fetch.
    * When a fetch fails the error is logged and the last good set is kept; with
      no set at all, tokens are rejected as ``signing-keys-unavailable``.

    The ``client`` belongs to the caller (made in the app's lifespan), as do its
    timeouts. ``clock`` is a monotonic clock in seconds; tests may pass their own.
    """

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        ttl: float = 300.0,
        min_refresh_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        if min_refresh_interval < 0:
            raise ValueError("min_refresh_interval must not be negative")
        self.url = url
        self._client = client
        self._ttl = ttl
        self._min_refresh_interval = min_refresh_interval
        self._clock = clock
        self._lock = asyncio.Lock()
        self._keys: KeySet | None = None
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._attempts = 0

    @property
    def key_set(self) -> KeySet | None:
        """The cached set as it is now, without fetching; ``None`` before the first success."""
        return self._keys

    async def get_key_set(self) -> KeySet | None:
        """The cached set, fetched first when there is none yet or it is older than ``ttl``."""
        if self._keys is None or self._is_stale():
            await self.refresh()
        return self._keys

    async def refresh(self) -> None:
        """Fetch the set again, unless a fetch was tried within ``min_refresh_interval``.

        Callers arriving while a fetch is under way wait for it and do not fetch again.
        """
        attempts_seen = self._attempts
        async with self._lock:
            if self._attempts != attempts_seen:
                return  # someone fetched while we waited for the lock
            now = self._clock()
            if (
                self._attempted_at is not None
                and now - self._attempted_at < self._min_refresh_interval
            ):
                return
            self._attempted_at = now
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, JoseError, ValueError, TypeError, KeyError) as exc:
                _log.warning(
                    "could not fetch the signing keys from %s: %s: %s",
                    self.url,
                    type(exc).__name__,
                    exc,
                )
            else:
                self._keys = keys
                self._fetched_at = self._clock()
            finally:
                self._attempts += 1

    async def signing_key(self, kid: str | None, alg: str) -> Key:
        """The published key that verifies a token with header ``kid`` and ``alg``.

        Fetches the set again (within the limits above) when ``kid`` is unknown.

        :raises Unauthorized: ``signing-keys-unavailable``, ``missing-key-id`` or
            ``unknown-signing-key``.
        """
        keys = await self.get_key_set()
        key = _select_key(keys, kid, alg) if keys is not None else None
        if key is None and kid is not None:
            await self.refresh()
            keys = self._keys
            key = _select_key(keys, kid, alg) if keys is not None else None
        if keys is None:
            raise _rejected(
                "signing-keys-unavailable",
                "The identity service's signing keys could not be fetched, so the access "
                "token cannot be verified. Try again shortly.",
            )
        if key is None:
            raise _rejected(
                "unknown-signing-key",
                f"No signing key published by the identity service matches kid "
                f"{_shown(kid)} and alg {alg!r}."
                if kid is not None
                else f"No signing key published by the identity service matches alg {alg!r}.",
            )
        return key

    def _is_stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._ttl

    async def _fetch(self) -> KeySet:
        response = await self._client.get(self.url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("the response is not a JSON Web Key Set")
        keys = [k for k in document["keys"] if isinstance(k, dict)]
        key_set = KeySet.import_key_set({"keys": keys})
        _log.info("fetched %d signing keys from %s", len(key_set.keys), self.url)
        return key_set


def _key_type_for(alg: str) -> str | None:
    model = jws.JWSRegistry.algorithms.get(alg)
    return model.key_type if model is not None else None


def _select_key(keys: KeySet, kid: str | None, alg: str) -> Key | None:
    """The key of ``keys`` for ``kid`` that can verify ``alg``, or ``None``."""
    if kid is None:
        if len(keys.keys) > 1:
            raise _rejected(
                "missing-key-id",
                "The access token has no 'kid' header, and the identity service publishes "
                "several keys.",
            )
        candidates = list(keys.keys)
    else:
        candidates = [k for k in keys.keys if k.kid == kid]
    key_type = _key_type_for(alg)
    for key in candidates:
        if key.key_type != key_type:
            continue
        if key.get("use") not in (None, "sig"):
            continue
        if key.get("alg") not in (None, alg):
            continue
        return key
    return None


# --------------------------------------------------------------------------- #
# The verifier
# --------------------------------------------------------------------------- #


class TokenVerifier:
    """Verifies RFC 9068 access tokens issued by ``issuer`` for ``audience``.

    ``algorithms`` pins the signature algorithms accepted; ``none`` and symmetric
    (``HS*``) algorithms are refused here, since the keys come from a public key
    set. ``leeway`` (at most :data:`MAX_LEEWAY` seconds) absorbs clock skew;
    ``clock`` returns the current Unix time and exists for tests.
    """

    def __init__(
        self,
        jwks: JWKSCache,
        issuer: str,
        audience: str,
        algorithms: Sequence[str] = ("RS256",),
        *,
        leeway: int = MAX_LEEWAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(algorithms, str):
            raise TypeError("algorithms must be a sequence of names, not one string")
        if not algorithms:
            raise ValueError("at least one signature algorithm must be accepted")
        for alg in algorithms:
            key_type = _key_type_for(alg)
            if key_type is None:
                raise ValueError(f"unknown signature algorithm {alg!r}")
            if key_type == "oct":
                raise ValueError(
                    f"{alg!r} cannot verify tokens against a public key set; use an "
                    "asymmetric algorithm such as RS256"
                )
        if not 0 <= leeway <= MAX_LEEWAY:
            raise ValueError(f"leeway must be between 0 and {MAX_LEEWAY} seconds")
        if not issuer or not audience:
            raise ValueError("issuer and audience must not be empty")
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.algorithms: tuple[str, ...] = tuple(algorithms)
        self.leeway = leeway
        self._clock = clock
        # Made once: building them per token cost a measurable share of a request.
        self._jws_registries = {alg: jws.JWSRegistry(algorithms=[alg]) for alg in algorithms}
        self._claims_registry = JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=leeway,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
        )

    @classmethod
    def from_settings(cls, settings: ServiceSettings, client: httpx.AsyncClient) -> TokenVerifier:
        """A verifier configured by a service's settings, fetching keys with ``client``."""
        return cls(
            JWKSCache(settings.jwks_url, client),
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            algorithms=settings.token_algorithms,
        )

    async def verify(self, token: str) -> AccessToken:
        """Check ``token`` and return what it grants.

        The token is parsed once: its header is checked before any key is looked up,
        then its signature (joserfc), then its claims.

        :raises Unauthorized: when the token is not acceptable, with one of the
            problem types listed in this module's docstring.
        """
        compact, header = self._read(token)
        alg: str = header["alg"]
        kid: str | None = header.get("kid")
        key = await self.jwks.signing_key(kid, alg)
        try:
            valid = jws.validate_compact(compact, key, registry=self._jws_registries[alg])
        except (JoseError, ValueError, TypeError) as exc:
            raise _rejected(
                "invalid-token", f"The access token could not be decoded ({_describe(exc)})."
            ) from None
        if not valid:
            raise _rejected(
                "invalid-signature", "The access token's signature does not match its key."
            )
        try:
            claims = json.loads(compact.payload or b"")
        except ValueError:
            claims = None
        if not isinstance(claims, dict):
            raise _rejected(
                "invalid-token",
                "The access token could not be decoded (its payload is not a JSON object).",
            )
        self._check_claims(claims)
        return _to_access_token(claims)

    def _read(self, token: str) -> tuple[jws.CompactSignature, dict[str, Any]]:
        """The parsed token and its protected header, checked before any key is looked up."""
        if not isinstance(token, str) or not token:
            raise _rejected("invalid-token", "The access token is empty.")
        if len(token) > _MAX_TOKEN_LENGTH:
            raise _rejected("invalid-token", "The access token is too long.")
        try:
            raw = token.encode("ascii")
        except UnicodeEncodeError:
            raise _rejected(
                "invalid-token", "The access token contains characters a JWT never has."
            ) from None
        if raw.count(b".") != 2:
            raise _rejected(
                "invalid-token",
                "The access token is not a signed JWT (three dot-separated parts).",
            )
        try:
            compact = jws.extract_compact(raw)
            header = dict(compact.headers())
        except (JoseError, ValueError, TypeError) as exc:
            raise _rejected(
                "invalid-token", f"The access token could not be parsed ({_describe(exc)})."
            ) from None

        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            accepted = ", ".join(self.algorithms)
            raise _rejected(
                "unsupported-algorithm",
                f"The access token is signed with alg {_shown(alg)}; this service accepts only "
                f"{accepted}.",
            )
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
            raise _rejected(
                "invalid-token-type",
                f"The token's typ header is {_shown(typ)}; an access token has 'at+jwt'.",
            )
        if "crit" in header or "b64" in header:
            raise _rejected(
                "invalid-token",
                "The access token uses JWS extensions this service does not support.",
            )
        kid = header.get("kid")
        if kid is not None and (not isinstance(kid, str) or not kid):
            raise _rejected("invalid-token", "The access token's kid header is not a string.")
        return compact, header

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        missing = [name for name in _REQUIRED_CLAIMS if claims.get(name) is None]
        if missing:
            raise _rejected(
                "missing-claim",
                f"The access token lacks the claim(s) {', '.join(missing)}.",
            )
        for name in ("iss", "sub", "jti", "client_id"):
            if not isinstance(claims[name], str) or not claims[name]:
                raise _rejected("invalid-claim", f"The access token's {name!r} is not a string.")
        aud = claims["aud"]
        if not (
            isinstance(aud, str)
            or (isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud))
        ):
            raise _rejected(
                "invalid-claim", "The access token's 'aud' is not a string or list of strings."
            )
        for name in ("exp", "iat", "nbf"):
            if name in claims and not _is_numeric_date(claims[name]):
                raise _rejected("invalid-claim", f"The access token's {name!r} is not a date.")
        if "scope" in claims and not isinstance(claims["scope"], str):
            raise _rejected(
                "invalid-claim", "The access token's 'scope' is not a space-separated string."
            )

        try:
            self._claims_registry.validate(dict(claims))
        except ExpiredTokenError:
            raise _rejected("token-expired", "The access token has expired.") from None
        except MissingClaimError as exc:
            raise _rejected(
                "missing-claim", f"The access token lacks the claim {exc.claim!r}."
            ) from None
        except ClaimError as exc:
            raise self._claim_problem(exc.claim) from None

    def _claim_problem(self, claim: str) -> Unauthorized:
        if claim == "iss":
            return _rejected("invalid-issuer", f"The access token was not issued by {self.issuer}.")
        if claim == "aud":
            return _rejected(
                "invalid-audience", f"The access token is not meant for {self.audience!r}."
            )
        if claim == "nbf":
            return _rejected("token-not-yet-valid", "The access token is not valid yet.")
        if claim == "iat":
            return _rejected("token-not-yet-valid", "The access token was issued in the future.")
        return _rejected("invalid-claim", f"The access token's {claim!r} is not valid.")


def _describe(exc: Exception) -> str:
    if isinstance(exc, JoseError):
        return exc.description or exc.error
    return "malformed"


def _is_numeric_date(value: object) -> bool:
    """A JSON number of seconds between 1970 and the year 10000 (so a datetime can hold it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and 0 <= value < _LATEST_DATE


def _to_datetime(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def _to_access_token(claims: Mapping[str, Any]) -> AccessToken:
    aud = claims["aud"]
    nbf = claims.get("nbf")
    return AccessToken(
        subject=claims["sub"],
        client_id=claims["client_id"],
        scopes=frozenset(str(claims.get("scope") or "").split()),
        issuer=claims["iss"],
        audience=(aud,) if isinstance(aud, str) else tuple(aud),
        expires_at=_to_datetime(claims["exp"]),
        issued_at=_to_datetime(claims["iat"]),
        token_id=claims["jti"],
        not_before=_to_datetime(nbf) if nbf is not None else None,
        claims=MappingProxyType(dict(claims)),
    )


# --------------------------------------------------------------------------- #
# FastAPI dependencies
# --------------------------------------------------------------------------- #

_bearer_scheme = HTTPBearer(
    scheme_name="AccessToken",
    bearerFormat="JWT",
    description="An access token issued by the Sawt identity service.",
    auto_error=False,
)


def _verifier(connection: HTTPConnection) -> TokenVerifier:
    verifier = getattr(connection.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError(
            "app.state.token_verifier is not set: make a TokenVerifier in the app's lifespan"
        )
    return verifier


async def optional_bearer_token(
    connection: HTTPConnection,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> str | None:
    """The bearer token of the request, or ``None`` when it sends no ``Authorization``.

    :raises Unauthorized: ``missing-token`` when ``Authorization`` is sent but is
        not ``Bearer <token>``: credentials a client sends are never ignored.
    """
    if credentials is not None and credentials.credentials.strip():
        return credentials.credentials.strip()
    if connection.headers.get("Authorization") is None:
        return None
    raise _missing("The Authorization header must read 'Bearer <access token>'.")


async def bearer_token(
    token: Annotated[str | None, Depends(optional_bearer_token)],
) -> str:
    """The bearer token of the request.

    :raises Unauthorized: ``missing-token`` when there is none.
    """
    if token is None:
        raise _missing(
            "This endpoint needs an access token: send 'Authorization: Bearer <access token>'."
        )
    return token


async def current_token(
    connection: HTTPConnection,
    token: Annotated[str, Depends(bearer_token)],
) -> AccessToken:
    """The verified access token of the request (``app.state.token_verifier`` checks it)."""
    return await _verifier(connection).verify(token)


async def optional_token(
    connection: HTTPConnection,
    token: Annotated[str | None, Depends(optional_bearer_token)],
) -> AccessToken | None:
    """The verified access token, or ``None`` for an anonymous request.

    For public endpoints that show more to a signed-in caller. A token that is
    sent but not valid is still rejected with 401.
    """
    if token is None:
        return None
    return await _verifier(connection).verify(token)


#: The raw bearer token of the request (401 when absent).
BearerToken = Annotated[str, Depends(bearer_token)]
#: The verified access token of the request (401 when absent or not valid).
Token = Annotated[AccessToken, Depends(current_token)]
#: The verified access token, or ``None`` for an anonymous request.
OptionalToken = Annotated[AccessToken | None, Depends(optional_token)]


def require_scopes(*scopes: str) -> Callable[[AccessToken], Awaitable[AccessToken]]:
    """A dependency giving the verified token, provided it grants every one of ``scopes``.

    ::

        @router.post("/petitions", dependencies=[Depends(require_scopes("petitions:write"))])

    :raises Forbidden: ``insufficient-scope``, listing the missing scopes (403).
    """
    for scope in scopes:
        if not scope or any(c.isspace() for c in scope):
            raise ValueError(f"not a scope: {scope!r}")
    required = tuple(dict.fromkeys(scopes))

    async def scoped_token(token: Token) -> AccessToken:
        missing = sorted(token.missing_scopes(required))
        if missing:
            listed = " ".join(missing)
            raise Forbidden(
                f"The access token lacks the scope(s): {listed}.",
                type_slug="insufficient-scope",
                title="The access token does not grant this",
                headers={
                    "WWW-Authenticate": (
                        f'Bearer error="insufficient_scope", scope="{" ".join(required)}"'
                    )
                },
                missing_scopes=missing,
                required_scopes=list(required),
            )
        return token

    scoped_token.__qualname__ = f"require_scopes({', '.join(map(repr, required))})"
    return scoped_token


def auth_problem_responses() -> dict[int | str, Any]:
    """``responses=`` for a route that needs an access token: 401 and 403 problems."""
    return problem_responses(Unauthorized, Forbidden)
