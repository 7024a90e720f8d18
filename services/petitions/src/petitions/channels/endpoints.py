"""``/api/v1/channels``: anyone reads the rules; an admin writes them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from petitions.auth import AdminToken
from petitions.bootstrap import PetitionsDep
from petitions.channels import repository, service
from petitions.channels.schemas import ChannelCreate, ChannelRead, ChannelWrite
from petitions.public.caching import cached_response
from sawt_shared.auth import auth_problem_responses
from sawt_shared.db import DbConnection, DbTransaction
from sawt_shared.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    problem_responses,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


@router.get(
    "",
    summary="Every channel and its rules",
    response_model=list[ChannelRead],
    responses=problem_responses(InvalidInput),
)
async def list_channels(
    request: Request,
    conn: DbConnection,
    petitions: PetitionsDep,
    include_inactive: bool = False,
) -> Response:
    channels = await repository.list_channels(conn, include_inactive=include_inactive)
    return cached_response(
        request,
        [c.model_dump(mode="json") for c in channels],
        max_age=petitions.settings.export_max_age,
    )


@router.get(
    "/{slug}",
    summary="One channel's rules",
    response_model=ChannelRead,
    responses=problem_responses(NotFound, InvalidInput),
)
async def get_channel(
    request: Request, slug: str, conn: DbConnection, petitions: PetitionsDep
) -> Response:
    channel = await service.get_channel(conn, slug)
    return cached_response(request, channel, max_age=petitions.settings.export_max_age)


@router.post(
    "",
    status_code=201,
    summary="Create a channel (admin)",
    responses={**auth_problem_responses(), **problem_responses(Conflict, InvalidInput)},
)
async def create_channel(
    data: ChannelCreate, token: AdminToken, conn: DbTransaction, response: Response
) -> ChannelRead:
    channel = await service.create_channel(conn, token.subject, data)
    response.headers["Location"] = f"/api/v1/channels/{channel.slug}"
    return channel


@router.put(
    "/{slug}",
    summary="Replace a channel's rules (admin)",
    description="Petitions already created keep the rules they were created under. "
    "Send `If-Match: <version>` to refuse to overwrite a change made since you read it.",
    responses={
        **auth_problem_responses(),
        **problem_responses(NotFound, InvalidInput, PreconditionFailed),
    },
)
async def replace_channel(
    slug: str,
    data: ChannelWrite,
    token: AdminToken,
    conn: DbTransaction,
    if_match: Annotated[str | None, Header()] = None,
) -> ChannelRead:
    version: int | None = None
    if if_match is not None:
        try:
            version = int(if_match.strip().strip('"'))
        except ValueError:
            raise InvalidInput(
                "If-Match carries the channel's version number.", type_slug="invalid-if-match"
            ) from None
    return await service.replace_channel(conn, token.subject, slug, data, if_match=version)
