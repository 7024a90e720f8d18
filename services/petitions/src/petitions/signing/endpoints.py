"""``/api/v1/petitions/{id}/signatures``: sign, withdraw, see one's signature, public signers."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from petitions.auth import SignerToken, user_id
from petitions.bootstrap import Petitions, PetitionsDep
from petitions.idempotency import repository as idempotency_store
from petitions.idempotency import service as idempotency
from petitions.lifecycle.rules import RuleViolation
from petitions.problems import already_signed, coded, problem_for
from petitions.public.caching import cached_response
from petitions.public.cursors import decode_cursor, encode_cursor
from petitions.public.service import readable_petition
from petitions.signing import repository, service
from petitions.signing.auth import sign_token
from petitions.signing.request import SIGN_OPENAPI, read_sign_body
from petitions.signing.schemas import PublicSigner, PublicSigners, SignatureRead
from petitions.signing.service import (
    SIGN_OPERATION,
    SIGN_SECONDS,
    Duplicate,
    Refused,
    SignCommand,
    Signed,
    signature_location,
)
from sawt_shared.auth import OptionalToken, auth_problem_responses
from sawt_shared.clientip import client_ip
from sawt_shared.db import DbConnection, DbTransaction
from sawt_shared.errors import (
    BadRequest,
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    problem_responses,
)
from sawt_shared.logging import current_request_id

__all__ = ["SIGN_ROUTE", "router"]

router = APIRouter(tags=["signing"])

SIGN_ROUTE = "/api/v1/petitions/{petition_id:uuid}/signatures"


async def _limit_account(petitions: Petitions, signer: uuid.UUID) -> None:
    await petitions.runtime.limiter.hit(
        petitions.settings.sign_limit_per_account, "sign", str(signer), what="signatures"
    )


@router.post(
    SIGN_ROUTE,
    status_code=201,
    response_model=SignatureRead,
    openapi_extra=SIGN_OPENAPI,
    summary="Sign a petition",
    description="One signature per citizen and petition: a second try answers 409. "
    "Honours `Idempotency-Key` (a retry answers what the first request did). "
    "Answered once the signature is durable; the public count follows within about a "
    "second (see `as_of`).",
    responses={
        **auth_problem_responses(),
        **problem_responses(NotFound, Conflict, InvalidInput, TooManyRequests, ServiceUnavailable),
    },
)
async def sign_petition(request: Request) -> Response:
    # The route that takes a viral petition's traffic. It reads its path, headers
    # and body itself (documented by SIGN_OPENAPI) and answers a ready Response:
    # FastAPI's parameter solving and response validation cost about as much CPU
    # as the signature's own work (docs/petitions.md, "Where the time goes").
    started = time.perf_counter()
    petitions: Petitions = request.app.state.petitions
    settings = petitions.settings
    petition_id: uuid.UUID = request.path_params["petition_id"]
    token = await sign_token(request)
    signer = user_id(token)
    # bad input is refused before it counts against the rate limits
    data = read_sign_body(await request.body())
    key = idempotency.check_header(request.headers.get(idempotency.HEADER))
    await petitions.runtime.limiter.hit(
        settings.sign_limit_per_ip,
        "sign-ip",
        client_ip(request, settings.trusted_proxies),
        what="signatures",
    )
    await _limit_account(petitions, signer)
    claim: tuple[str, str] | None = None
    if key is not None:
        digest = idempotency.request_hash(SIGN_OPERATION, str(petition_id), data.model_dump())
        claim = (key, digest)
        async with petitions.runtime.pool.acquire() as conn:
            stored = await idempotency_store.find(conn, signer, key)
        if stored is not None:
            return idempotency.replay(stored, SIGN_OPERATION, digest)
    outcome = await petitions.batcher.sign(
        SignCommand(
            petition_id=petition_id,
            signer_id=signer,
            public=data.public,
            wants_updates=data.wants_updates,
            request_id=current_request_id(),
            idempotency=claim,
        )
    )
    SIGN_SECONDS.observe(time.perf_counter() - started)
    if isinstance(outcome, Signed) and outcome.key_stored:
        return _created(outcome.signature)
    if isinstance(outcome, Refused):
        raise problem_for(outcome.violation)
    if claim is not None:
        # Another request with this key won the race: answer what it answered.
        async with petitions.runtime.pool.acquire() as conn:
            stored = await idempotency_store.find(conn, signer, claim[0])
        if stored is not None:
            return idempotency.replay(stored, SIGN_OPERATION, claim[1])
    if isinstance(outcome, Signed):
        return _created(outcome.signature)
    assert isinstance(outcome, Duplicate)
    raise already_signed()


def _created(signature: SignatureRead) -> Response:
    return Response(
        signature.model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={"Location": signature_location(signature.petition_id)},
    )


@router.delete(
    "/api/v1/petitions/{petition_id:uuid}/signatures/mine",
    status_code=204,
    summary="Withdraw my signature (while the petition is open)",
    responses={
        **auth_problem_responses(),
        **problem_responses(NotFound, Conflict, InvalidInput, TooManyRequests),
    },
)
async def withdraw_signature(
    petition_id: uuid.UUID, token: SignerToken, conn: DbTransaction, petitions: PetitionsDep
) -> Response:
    signer = user_id(token)
    await _limit_account(petitions, signer)
    try:
        await service.withdraw_signature(conn, petitions.outbox, petition_id, signer)
    except RuleViolation as v:
        raise problem_for(v) from None
    return Response(status_code=204)


@router.get(
    "/api/v1/petitions/{petition_id:uuid}/signatures/mine",
    summary="My signature of this petition, if I signed it",
    responses={**auth_problem_responses(), **problem_responses(NotFound, InvalidInput)},
)
async def my_signature(
    petition_id: uuid.UUID, token: SignerToken, conn: DbConnection
) -> SignatureRead:
    found = await repository.find_signature(conn, petition_id, user_id(token))
    if found is None:
        raise coded(NotFound, "not-signed", "You have not signed this petition.")
    return SignatureRead(
        signature_id=found.id,
        petition_id=found.petition_id,
        signed_at=found.signed_at,
        region=found.region,
        public=found.public,
    )


@router.get(
    "/api/v1/petitions/{petition_id:uuid}/signers",
    summary="Signers who chose to show their name, newest first",
    description="Nobody else's name is ever shown.",
    tags=["public"],
    response_model=PublicSigners,
    responses=problem_responses(BadRequest, Unauthorized, NotFound, Gone, InvalidInput),
)
async def public_signers(
    request: Request,
    petition_id: uuid.UUID,
    conn: DbConnection,
    petitions: PetitionsDep,
    token: OptionalToken,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    await readable_petition(conn, petition_id, token)
    after = decode_cursor(cursor, 2)
    key = (datetime.fromisoformat(after[0]), uuid.UUID(after[1])) if after else None
    rows = await repository.public_signers(conn, petition_id, after=key, limit=limit)
    next_cursor = (
        encode_cursor(rows[-1]["signed_at"].isoformat(), rows[-1]["id"])
        if len(rows) == limit
        else None
    )
    page = PublicSigners(
        items=[
            PublicSigner(name=r["public_name"], region=r["region"], signed_at=r["signed_at"])
            for r in rows
        ],
        next_cursor=next_cursor,
    )
    return cached_response(request, page, max_age=petitions.settings.public_max_age)
