"""``/api/v1/petitions`` lifecycle: create, edit, submit, sponsor; moderation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from petitions.auth import ModeratorToken, SignerToken, WriterToken, user_id
from petitions.bootstrap import PetitionsDep
from petitions.idempotency import service as idempotency
from petitions.idempotency.service import IdempotencyKey
from petitions.lifecycle import repository, service
from petitions.lifecycle.schemas import (
    AuditEntryRead,
    HideRequest,
    ModerationQueue,
    PetitionCreate,
    PetitionCreatedRead,
    PetitionRead,
    PetitionUpdate,
    RejectRequest,
    SimilarPetition,
    SponsorInvitation,
    SponsorRead,
)
from petitions.problems import petition_not_found
from petitions.public.cursors import decode_cursor, encode_cursor
from sawt_shared.auth import auth_problem_responses
from sawt_shared.clientip import client_ip
from sawt_shared.db import DbConnection, DbTransaction
from sawt_shared.errors import (
    BadRequest,
    Conflict,
    InvalidInput,
    NotFound,
    TooManyRequests,
    problem_responses,
)

__all__ = ["router"]

router = APIRouter(tags=["lifecycle"])

_CREATE = "create-petition"
_STATE_ERRORS = problem_responses(NotFound, Conflict, InvalidInput)


@router.post(
    "/api/v1/petitions",
    status_code=201,
    summary="Create a petition (a draft)",
    description="Answers with the draft and the petitions that look like it, so a duplicate "
    "is caught before it exists. Honours `Idempotency-Key`.",
    responses={**auth_problem_responses(), **problem_responses(InvalidInput, TooManyRequests)},
)
async def create_petition(
    request: Request,
    data: PetitionCreate,
    token: WriterToken,
    conn: DbTransaction,
    petitions: PetitionsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PetitionCreatedRead:
    creator = user_id(token)
    settings = petitions.settings
    limiter = petitions.runtime.limiter
    key = idempotency.check_header(idempotency_key)
    digest = idempotency.request_hash(_CREATE, "", data.model_dump(mode="json"))
    if key is not None:
        replayed = await idempotency.begin(conn, creator, key, _CREATE, digest)
        if replayed is not None:
            return replayed  # type: ignore[return-value]
    await limiter.hit(settings.create_limit_per_account, "create", str(creator), what="petitions")
    ip = client_ip(request, settings.trusted_proxies)
    await limiter.hit(settings.create_limit_per_ip, "create-ip", ip, what="petitions")
    petition = await service.create_petition(conn, petitions.outbox, creator, data)
    similar = await service.similar_to(
        conn, petition.title, min_score=settings.similar_min_score, exclude=petition.id
    )
    body = PetitionCreatedRead(**PetitionRead.of(petition).model_dump(), similar=similar)
    location = f"/api/v1/petitions/{petition.id}"
    if key is not None:
        await idempotency.store(
            conn,
            creator,
            key,
            operation=_CREATE,
            digest=digest,
            status=201,
            body=body.model_dump(mode="json"),
            location=location,
        )
    response.headers["Location"] = location
    return body


@router.get(
    "/api/v1/petitions/similar",
    summary="Petitions whose title looks like a text (to catch duplicates while writing)",
    response_model=list[SimilarPetition],
    responses=problem_responses(InvalidInput),
)
async def similar_petitions(
    conn: DbConnection,
    petitions: PetitionsDep,
    title: Annotated[str, Query(min_length=3, max_length=200)],
) -> list[SimilarPetition]:
    return await service.similar_to(
        conn, {"any": title}, min_score=petitions.settings.similar_min_score
    )


@router.get(
    "/api/v1/petitions/mine",
    summary="The petitions I created, in every state",
    responses=auth_problem_responses(),
)
async def my_petitions(token: WriterToken, conn: DbConnection) -> list[PetitionRead]:
    return [PetitionRead.of(p) for p in await repository.petitions_of(conn, user_id(token))]


@router.patch(
    "/api/v1/petitions/{petition_id:uuid}",
    summary="Edit a draft (its creator)",
    responses={**auth_problem_responses(), **_STATE_ERRORS},
)
async def edit_petition(
    petition_id: uuid.UUID,
    data: PetitionUpdate,
    token: WriterToken,
    conn: DbTransaction,
    petitions: PetitionsDep,
) -> PetitionRead:
    p = await service.edit_petition(conn, petitions.outbox, user_id(token), petition_id, data)
    return PetitionRead.of(p)


@router.post(
    "/api/v1/petitions/{petition_id:uuid}/submit",
    summary="Submit a draft: it collects sponsors, or goes to moderation",
    responses={**auth_problem_responses(), **_STATE_ERRORS},
)
async def submit_petition(
    petition_id: uuid.UUID, token: WriterToken, conn: DbTransaction, petitions: PetitionsDep
) -> PetitionRead:
    p = await service.submit_petition(conn, petitions.outbox, user_id(token), petition_id)
    return PetitionRead.of(p)


@router.post(
    "/api/v1/petitions/{petition_id:uuid}/sponsors/invitations",
    status_code=202,
    summary="Ask people to sponsor the petition (the notifications service writes to them)",
    responses={**auth_problem_responses(), **_STATE_ERRORS},
)
async def invite_sponsors(
    petition_id: uuid.UUID,
    data: SponsorInvitation,
    token: WriterToken,
    conn: DbTransaction,
    petitions: PetitionsDep,
) -> PetitionRead:
    link = f"{petitions.settings.web_base_url}/petitions/{petition_id}/sponsor"
    p = await service.invite_sponsors(
        conn, petitions.outbox, user_id(token), petition_id, [str(e) for e in data.emails], link
    )
    return PetitionRead.of(p)


@router.post(
    "/api/v1/petitions/{petition_id:uuid}/sponsors",
    status_code=201,
    summary="Sponsor a petition before moderation",
    responses={**auth_problem_responses(), **_STATE_ERRORS, **problem_responses(TooManyRequests)},
)
async def sponsor_petition(
    request: Request,
    petition_id: uuid.UUID,
    token: SignerToken,
    conn: DbTransaction,
    petitions: PetitionsDep,
) -> SponsorRead:
    sponsor = user_id(token)
    settings = petitions.settings
    await petitions.runtime.limiter.hit(
        settings.create_limit_per_account, "sponsor", str(sponsor), what="sponsorships"
    )
    p = await service.sponsor_petition(conn, petitions.outbox, sponsor, petition_id)
    return SponsorRead(petition_id=p.id, sponsors=p.sponsors, state=p.state.value)


# ----------------------------------------------------------------------- moderation


@router.get(
    "/api/v1/moderation/queue",
    summary="Petitions awaiting moderation, oldest first",
    tags=["moderation"],
    responses={**auth_problem_responses(), **problem_responses(BadRequest, InvalidInput)},
)
async def moderation_queue(
    _: ModeratorToken,
    conn: DbConnection,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ModerationQueue:
    after = decode_cursor(cursor, 2)
    key = (datetime.fromisoformat(after[0]), uuid.UUID(after[1])) if after else None
    items = await repository.moderation_queue(conn, after=key, limit=limit)
    next_cursor = None
    if len(items) == limit:
        last = items[-1]
        assert last.moderation_requested_at is not None
        next_cursor = encode_cursor(last.moderation_requested_at.isoformat(), last.id)
    return ModerationQueue(items=[PetitionRead.of(p) for p in items], next_cursor=next_cursor)


@router.post(
    "/api/v1/petitions/{petition_id:uuid}/publish",
    summary="Open a petition for signatures (moderator)",
    tags=["moderation"],
    responses={**auth_problem_responses(), **_STATE_ERRORS},
)
async def publish_petition(
    petition_id: uuid.UUID, token: ModeratorToken, conn: DbTransaction, petitions: PetitionsDep
) -> PetitionRead:
    p = await service.publish_petition(conn, petitions.outbox, user_id(token), petition_id)
    return PetitionRead.of(p)


@router.post(
    "/api/v1/petitions/{petition_id:uuid}/reject",
    summary="Reject a petition with a reason code (moderator)",
    tags=["moderation"],
    responses={**auth_problem_responses(), **_STATE_ERRORS},
)
async def reject_petition(
    petition_id: uuid.UUID,
    data: RejectRequest,
    token: ModeratorToken,
    conn: DbTransaction,
    petitions: PetitionsDep,
) -> PetitionRead:
    p = await service.reject_petition(
        conn, petitions.outbox, user_id(token), petition_id, data.reason, data.explanation
    )
    return PetitionRead.of(p)


@router.post(
    "/api/v1/petitions/{petition_id:uuid}/hide",
    summary="Hide an abusive petition (moderator)",
    tags=["moderation"],
    responses={**auth_problem_responses(), **_STATE_ERRORS},
)
async def hide_petition(
    petition_id: uuid.UUID,
    data: HideRequest,
    token: ModeratorToken,
    conn: DbTransaction,
    petitions: PetitionsDep,
) -> PetitionRead:
    p = await service.hide_petition(
        conn, petitions.outbox, user_id(token), petition_id, data.explanation
    )
    return PetitionRead.of(p)


@router.get(
    "/api/v1/petitions/{petition_id:uuid}/audit",
    summary="Every transition of a petition, who made it and when (moderator)",
    tags=["moderation"],
    responses={**auth_problem_responses(), **problem_responses(NotFound, InvalidInput)},
)
async def audit_log(
    petition_id: uuid.UUID, _: ModeratorToken, conn: DbConnection
) -> list[AuditEntryRead]:
    if await repository.get_petition(conn, petition_id) is None:
        raise petition_not_found()
    return [
        AuditEntryRead.model_validate(dict(r))
        for r in await repository.audit_log(conn, petition_id)
    ]
