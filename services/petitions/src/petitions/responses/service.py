"""Publishing an official response; listing what is overdue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from petitions.channels.rules import ChannelRules
from petitions.lifecycle import repository as lifecycle
from petitions.lifecycle.rules import Petition, RuleViolation
from petitions.lifecycle.service import load_for_update
from petitions.people import repository as people
from petitions.problems import problem_for
from petitions.responses import repository
from petitions.responses.rules import overdue, satisfied_by
from petitions.responses.schemas import AwaitingResponse, AwaitingResponseList, ResponseCreate
from sawt_shared.db import Connection
from sawt_shared.outbox import Outbox

__all__ = ["awaiting_response", "publish_response"]


async def publish_response(
    conn: Connection,
    outbox: Outbox,
    author_id: uuid.UUID,
    petition_id: uuid.UUID,
    data: ResponseCreate,
) -> tuple[Petition, uuid.UUID]:
    petition = await load_for_update(conn, petition_id)
    responder = await people.get_responder(conn, author_id)
    kinds = await lifecycle.response_kinds(conn, petition_id)
    response_id = uuid.uuid4()
    now = datetime.now(UTC)
    try:
        if data.language not in data.summary or data.language not in data.body:
            raise RuleViolation(
                "language-missing",
                f"The summary and text must be given in the response's language ({data.language}).",
                "invalid",
            )
        petition.respond(
            responder,
            response_id=response_id,
            kind=data.kind,
            decision=data.decision,
            summary=dict(data.summary),
            response_kinds=kinds,
            now=now,
        )
    except RuleViolation as v:
        raise problem_for(v) from None
    assert petition.target_organization_id is not None
    await repository.insert_response(
        conn,
        response_id=response_id,
        petition_id=petition_id,
        kind=data.kind,
        decision=data.decision,
        organization_id=petition.target_organization_id,
        author_id=author_id,
        language=data.language,
        summary=dict(data.summary),
        body=dict(data.body),
        at=now,
    )
    reached = await repository.reached_of(conn, petition_id)
    await repository.satisfy(conn, petition_id, satisfied_by(data.kind, reached), response_id, now)
    await lifecycle.save_petition(conn, petition)
    await lifecycle.record_audit(conn, petition.id, petition.audit)
    await outbox.add(conn, *petition.events)
    return petition, response_id


async def awaiting_response(conn: Connection, *, limit: int = 500) -> AwaitingResponseList:
    now = datetime.now(UTC)
    items = []
    for r in await repository.overdue_thresholds(conn, now, limit):
        late = overdue(repository.reached_threshold(r), now)
        if late is None:
            continue
        threshold = ChannelRules.from_json(r["rules"]).threshold(r["threshold"])
        items.append(
            AwaitingResponse(
                petition_id=r["petition_id"],
                channel=r["channel"],
                title=r["title"],
                target_organization_id=r["target_organization_id"],
                target_name=r["target_name"],
                threshold=r["threshold"],
                threshold_label=dict(threshold.label) if threshold else {},
                triggers=r["triggers"],
                signatures_at_threshold=r["signatures"],
                reached_at=r["reached_at"],
                response_due_at=r["response_due_at"],
                days_overdue=late,
            )
        )
    items.sort(key=lambda i: (-i.days_overdue, str(i.petition_id)))
    return AwaitingResponseList(items=items, generated_at=now)
