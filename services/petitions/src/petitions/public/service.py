"""Public reads assembled: a petition's detail with its counts, its series, exports."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from petitions.counting.rules import UNKNOWN_REGION, hour_bucket
from petitions.lifecycle import repository as lifecycle
from petitions.lifecycle.rules import PUBLIC_STATES, REJECTION_REASONS, Petition, State
from petitions.problems import coded, petition_not_found
from petitions.public import repository
from petitions.public.schemas import (
    HourlyPoint,
    HourlySeries,
    PetitionDetail,
    PetitionSummary,
    RegionCount,
    Rejection,
    ResponseRead,
    SignatureCounts,
    TargetAuthority,
    ThresholdStatus,
)
from petitions.responses.rules import ReachedThreshold, overdue
from sawt_shared.auth import AccessToken
from sawt_shared.db import Connection
from sawt_shared.errors import Gone

__all__ = [
    "MAX_POINTS",
    "detail",
    "hourly_series",
    "readable_petition",
    "rows_csv",
    "summaries_csv",
]

#: Most points a time series returns (a bit over a year of hours).
MAX_POINTS = 24 * 400


def _may_read(petition: Petition, token: AccessToken | None) -> bool:
    if petition.state in PUBLIC_STATES:
        return True
    if token is None:
        return False
    if token.has_scopes("petitions:moderate"):
        return True
    if token.subject == str(petition.creator_id):
        return True
    # Sponsors are invited with a link: any signed-in citizen may read a petition
    # that collects sponsors or awaits moderation (it is listed nowhere).
    return petition.state in (State.COLLECTING_SPONSORS, State.AWAITING_MODERATION)


async def readable_petition(
    conn: Connection, petition_id: uuid.UUID, token: AccessToken | None
) -> Petition:
    """The petition if the caller may read it; 404 if not, 410 if moderators hid it."""
    petition = await lifecycle.get_petition(conn, petition_id)
    if petition is None:
        raise petition_not_found()
    if petition.state is State.HIDDEN and not (
        token is not None and token.has_scopes("petitions:moderate")
    ):
        raise coded(Gone, "petition-hidden", "This petition was hidden by the moderators.")
    if not _may_read(petition, token):
        raise petition_not_found()
    return petition


def _region(key: str) -> str | None:
    return None if key == UNKNOWN_REGION else key


async def detail(conn: Connection, petition: Petition) -> PetitionDetail:
    at = await repository.as_of(conn)
    now = datetime.now(UTC)
    reached = {r["threshold"]: r for r in await repository.reached_thresholds(conn, petition.id)}
    thresholds = []
    for t in petition.rules.thresholds:
        r = reached.get(t.name)
        late = (
            overdue(
                ReachedThreshold(
                    petition.id,
                    t.name,
                    t.triggers,
                    r["reached_at"],
                    r["response_due_at"],
                    r["satisfied_at"],
                ),
                now,
            )
            if r is not None
            else None
        )
        thresholds.append(
            ThresholdStatus(
                name=t.name,
                label=dict(t.label),
                signatures=t.signatures,
                triggers=t.triggers,
                reached_at=r["reached_at"] if r else None,
                response_due_at=r["response_due_at"] if r else None,
                satisfied_at=r["satisfied_at"] if r else None,
                days_overdue=late,
            )
        )
    target = None
    if petition.target_organization_id is not None:
        target = TargetAuthority(
            organization_id=petition.target_organization_id,
            name=await repository.organization_name(conn, petition.target_organization_id),
        )
    rejection = None
    if petition.rejection_reason is not None:
        rejection = Rejection(
            reason=petition.rejection_reason,
            label=dict(REJECTION_REASONS.get(petition.rejection_reason, {})),
            explanation=petition.rejection_explanation,
        )
    return PetitionDetail(
        id=petition.id,
        channel=petition.channel,
        channel_name=await repository.channel_name(conn, petition.channel),
        state=petition.state.value,
        language=petition.language,
        title=petition.title,
        body=petition.body,
        subject=petition.subject,
        region=petition.region,
        target=target,
        sponsors=petition.sponsors,
        created_at=petition.created_at,
        opened_at=petition.opened_at,
        closes_at=petition.closes_at,
        closed_at=petition.closed_at,
        responded_at=petition.responded_at,
        rejection=rejection,
        signatures=SignatureCounts(
            total=await repository.total_of(conn, petition.id),
            by_region=[
                RegionCount(region=_region(r["region"]), count=r["count"])
                for r in await repository.region_counts(conn, petition.id)
            ],
            as_of=at,
        ),
        thresholds=thresholds,
        responses=[
            ResponseRead.model_validate(dict(r))
            for r in await repository.responses_of(conn, petition.id)
        ],
    )


async def hourly_series(
    conn: Connection,
    petition: Petition,
    start: datetime | None,
    end: datetime | None,
) -> HourlySeries:
    """Signatures per hour between ``start`` and ``end`` (within the petition's open time)."""
    at = await repository.as_of(conn)
    first = petition.opened_at or petition.created_at
    last = min(x for x in (petition.closes_at, petition.closed_at, at) if x is not None)
    lo = hour_bucket(max(first, start) if start else first)
    hi = hour_bucket(min(last, end) if end else last)
    if hi - lo > timedelta(hours=MAX_POINTS - 1):
        lo = hi - timedelta(hours=MAX_POINTS - 1)
    counts = {
        r["hour"]: r["count"] for r in await repository.hourly_counts(conn, petition.id, lo, hi)
    }
    points = []
    hour = lo
    while hour <= hi:
        points.append(HourlyPoint(hour=hour, count=counts.get(hour, 0)))
        hour += timedelta(hours=1)
    return HourlySeries(petition_id=petition.id, as_of=at, points=points)


_CSV_COLUMNS = [
    "id",
    "channel",
    "state",
    "language",
    "title",
    "subject",
    "region",
    "opened_at",
    "closes_at",
    "closed_at",
    "signatures",
]


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rows_csv(header: list[str], rows: Iterable[Iterable[object]]) -> bytes:
    """CSV (UTF-8 with BOM so spreadsheets read Arabic right), formulas defused."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()


def summaries_csv(items: Iterable[PetitionSummary]) -> bytes:
    """Petitions as CSV."""
    return rows_csv(
        _CSV_COLUMNS,
        (
            [
                p.id,
                p.channel,
                p.state,
                p.language,
                p.title.get(p.language) or next(iter(p.title.values()), ""),
                p.subject,
                p.region or "",
                p.opened_at.isoformat() if p.opened_at else "",
                p.closes_at.isoformat() if p.closes_at else "",
                p.closed_at.isoformat() if p.closed_at else "",
                p.signatures,
            ]
            for p in items
        ),
    )
