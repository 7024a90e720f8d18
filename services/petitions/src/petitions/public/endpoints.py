"""Public reads: lists and search, a petition's detail and counts, series, exports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Query, Request, Response

from petitions.bootstrap import PetitionsDep
from petitions.lifecycle.rules import LISTED_STATES, PUBLIC_STATES, State
from petitions.problems import coded
from petitions.public import repository, service
from petitions.public.caching import cached_response
from petitions.public.cursors import decode_cursor, encode_cursor
from petitions.public.repository import ListQuery
from petitions.public.schemas import (
    HourlySeries,
    PetitionDetail,
    PetitionList,
    PetitionSummary,
    Sort,
)
from petitions.textsearch import search_words
from sawt_shared.auth import OptionalToken
from sawt_shared.db import DbConnection
from sawt_shared.errors import (
    BadRequest,
    Gone,
    InvalidInput,
    NotFound,
    Unauthorized,
    problem_responses,
)

__all__ = ["router"]

router = APIRouter(tags=["public"])

PublicState = Literal["open", "closed", "responded", "debated", "rejected"]
_EXPORT_LIMIT = 100_000


def _summary(row: asyncpg.Record) -> PetitionSummary:
    return PetitionSummary.model_validate(dict(row))


def _cursor_key(sort: str, value: Any) -> Any:
    try:
        if sort == "newest":
            return datetime.fromisoformat(str(value))
        if sort == "signatures":
            return int(value)
        return float(value)
    except (TypeError, ValueError):
        raise coded(
            BadRequest, "invalid-cursor", "This cursor was not made by this list."
        ) from None


@router.get(
    "/api/v1/petitions",
    summary="List and search petitions",
    description="Filters: `state` (repeatable; default: open, closed, responded, debated), "
    "`channel`, `region`, `q` (full-text and similarity search, Arabic and French folded "
    "alike). Sorts: `newest`, `signatures` (most signed), `trending` (most signatures in "
    "the last hour). Cursor pagination: pass `next_cursor` back as `cursor`.",
    response_model=PetitionList,
    responses=problem_responses(BadRequest, InvalidInput),
)
async def list_petitions(
    request: Request,
    conn: DbConnection,
    petitions: PetitionsDep,
    state: Annotated[list[PublicState] | None, Query()] = None,
    channel: str | None = None,
    region: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Sort = "newest",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    after = None
    raw = decode_cursor(cursor, 3)
    if raw is not None:
        if raw[0] != sort:
            raise coded(BadRequest, "invalid-cursor", "This cursor belongs to another sort order.")
        try:
            after = (_cursor_key(sort, raw[1]), uuid.UUID(str(raw[2])))
        except ValueError:
            raise coded(BadRequest, "invalid-cursor", "This cursor is damaged.") from None
    rows = await repository.list_petitions(
        conn,
        ListQuery(
            states=sorted([str(s) for s in state] if state else [s.value for s in LISTED_STATES]),
            channel=channel,
            region=region,
            words=search_words(q) if q else (),
            sort=sort,
            after=after,
            limit=limit,
        ),
    )
    items = [_summary(r) for r in rows]
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        key = last["sort_key"]
        next_cursor = encode_cursor(
            sort, key.isoformat() if isinstance(key, datetime) else key, last["id"]
        )
    page = PetitionList(items=items, next_cursor=next_cursor, as_of=await repository.as_of(conn))
    basis = page.model_dump_json(exclude={"as_of"}).encode()
    return cached_response(
        request, page, max_age=petitions.settings.public_max_age, etag_basis=basis
    )


@router.get(
    "/api/v1/exports/petitions.json",
    summary="Every public petition with its count, as JSON (open data)",
    response_model=PetitionList,
)
async def export_json(request: Request, conn: DbConnection, petitions: PetitionsDep) -> Response:
    rows = await repository.list_petitions(
        conn,
        ListQuery(states=sorted(s.value for s in PUBLIC_STATES), limit=_EXPORT_LIMIT),
    )
    page = PetitionList(
        items=[_summary(r) for r in rows], next_cursor=None, as_of=await repository.as_of(conn)
    )
    return cached_response(request, page, max_age=petitions.settings.export_max_age)


@router.get(
    "/api/v1/exports/petitions.csv",
    summary="Every public petition with its count, as CSV (open data)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_csv(request: Request, conn: DbConnection, petitions: PetitionsDep) -> Response:
    rows = await repository.list_petitions(
        conn,
        ListQuery(states=sorted(s.value for s in PUBLIC_STATES), limit=_EXPORT_LIMIT),
    )
    return cached_response(
        request,
        service.summaries_csv(_summary(r) for r in rows),
        max_age=petitions.settings.export_max_age,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="petitions.csv"'},
    )


@router.get(
    "/api/v1/petitions/{petition_id:uuid}",
    summary="A petition, its counts by region (with `as_of`), thresholds and responses",
    description="Anyone reads a published petition. Its creator and moderators also read "
    "it before; a signed-in citizen reads one that collects sponsors.",
    response_model=PetitionDetail,
    responses=problem_responses(Unauthorized, NotFound, Gone, InvalidInput),
)
async def petition_detail(
    request: Request,
    petition_id: uuid.UUID,
    conn: DbConnection,
    petitions: PetitionsDep,
    token: OptionalToken,
) -> Response:
    petition = await service.readable_petition(conn, petition_id, token)
    body = await service.detail(conn, petition)
    basis = body.model_dump_json(exclude={"signatures": {"as_of"}}).encode()
    return cached_response(
        request, body, max_age=petitions.settings.public_max_age, etag_basis=basis
    )


@router.get(
    "/api/v1/petitions/{petition_id:uuid}/signatures/hourly",
    summary="Signatures per hour (a time series, zeros included)",
    response_model=HourlySeries,
    responses=problem_responses(Unauthorized, NotFound, Gone, InvalidInput),
)
async def hourly(
    request: Request,
    petition_id: uuid.UUID,
    conn: DbConnection,
    petitions: PetitionsDep,
    token: OptionalToken,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> Response:
    petition = await service.readable_petition(conn, petition_id, token)
    series = await service.hourly_series(conn, petition, start, end)
    basis = series.model_dump_json(exclude={"as_of"}).encode()
    return cached_response(
        request, series, max_age=petitions.settings.public_max_age, etag_basis=basis
    )


@router.get(
    "/api/v1/petitions/{petition_id:uuid}/export.csv",
    summary="A petition's counts as CSV: per hour, or per region",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}},
        **problem_responses(Unauthorized, NotFound, Gone, InvalidInput),
    },
)
async def petition_csv(
    request: Request,
    petition_id: uuid.UUID,
    conn: DbConnection,
    petitions: PetitionsDep,
    token: OptionalToken,
    table: Literal["hours", "regions"] = "hours",
) -> Response:
    petition = await service.readable_petition(conn, petition_id, token)
    if petition.state not in PUBLIC_STATES or petition.state is State.HIDDEN:
        raise coded(NotFound, "not-public", "Only a published petition is exported.")
    if table == "hours":
        series = await service.hourly_series(conn, petition, None, None)
        payload = service.rows_csv(
            ["hour", "signatures"], ([p.hour.isoformat(), p.count] for p in series.points)
        )
    else:
        rows = await repository.region_counts(conn, petition.id)
        payload = service.rows_csv(
            ["region", "signatures"], ([r["region"] or "unknown", r["count"]] for r in rows)
        )
    return cached_response(
        request,
        payload,
        max_age=petitions.settings.public_max_age,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="petition-{petition.id}-{table}.csv"'
        },
    )
