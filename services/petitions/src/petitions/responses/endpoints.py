"""Official responses, and the public list of petitions awaiting one past their deadline."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from petitions.auth import ResponderToken, user_id
from petitions.bootstrap import PetitionsDep
from petitions.lifecycle.schemas import PetitionRead
from petitions.public.caching import cached_response
from petitions.responses import service
from petitions.responses.schemas import AwaitingResponseList, ResponseCreate
from sawt_shared.auth import auth_problem_responses
from sawt_shared.db import DbConnection, DbTransaction
from sawt_shared.errors import Conflict, InvalidInput, NotFound, problem_responses

__all__ = ["router"]

router = APIRouter(tags=["responses"])


@router.post(
    "/api/v1/petitions/{petition_id:uuid}/responses",
    status_code=201,
    summary="Publish the official response (a member of the public body addressed)",
    description="Also a legislative motion's admissibility decision, or the record of a "
    "debate. Meets the deadlines the petition's thresholds started.",
    responses={**auth_problem_responses(), **problem_responses(NotFound, Conflict, InvalidInput)},
)
async def publish_response(
    petition_id: uuid.UUID,
    data: ResponseCreate,
    token: ResponderToken,
    conn: DbTransaction,
    petitions: PetitionsDep,
    response: Response,
) -> PetitionRead:
    petition, response_id = await service.publish_response(
        conn, petitions.outbox, user_id(token), petition_id, data
    )
    response.headers["Location"] = f"/api/v1/petitions/{petition_id}#response-{response_id}"
    return PetitionRead.of(petition)


@router.get(
    "/api/v1/petitions/awaiting-response",
    summary="Petitions past a response deadline with no response, most overdue first",
    tags=["public"],
    response_model=AwaitingResponseList,
)
async def awaiting_response(
    request: Request, conn: DbConnection, petitions: PetitionsDep
) -> Response:
    body = await service.awaiting_response(conn)
    basis = body.model_dump_json(exclude={"generated_at"}).encode()
    return cached_response(
        request, body, max_age=petitions.settings.export_max_age, etag_basis=basis
    )
