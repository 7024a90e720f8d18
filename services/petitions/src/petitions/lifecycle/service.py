"""Lifecycle commands: each loads the petition, lets the rules act, and writes the
petition, its audit entries and its events in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from petitions.channels import repository as channels
from petitions.lifecycle import repository
from petitions.lifecycle.rules import AuditEntry, Petition, RuleViolation
from petitions.lifecycle.schemas import PetitionCreate, PetitionUpdate, SimilarPetition
from petitions.people import repository as people
from petitions.problems import petition_not_found, problem_for
from sawt_shared.db import Connection
from sawt_shared.events.petitions import PetitionSponsorsInvited, RejectionReason
from sawt_shared.outbox import Outbox

__all__ = [
    "close_due_petitions",
    "create_petition",
    "edit_petition",
    "hide_petition",
    "invite_sponsors",
    "load_for_update",
    "publish_petition",
    "reject_petition",
    "similar_to",
    "sponsor_petition",
    "submit_petition",
]


def _now() -> datetime:
    return datetime.now(UTC)


async def _commit(
    conn: Connection, outbox: Outbox, petition: Petition, *, new: bool = False
) -> None:
    if new:
        await repository.insert_petition(conn, petition)
    else:
        await repository.save_petition(conn, petition)
    await repository.record_audit(conn, petition.id, petition.audit)
    if petition.events:
        await outbox.add(conn, *petition.events)
    petition.audit.clear()
    petition.events.clear()


async def load_for_update(conn: Connection, petition_id: uuid.UUID) -> Petition:
    petition = await repository.get_petition(conn, petition_id, for_update=True)
    if petition is None:
        raise petition_not_found()
    return petition


async def similar_to(
    conn: Connection,
    title: Mapping[Any, str],
    *,
    min_score: float,
    exclude: uuid.UUID | None = None,
) -> list[SimilarPetition]:
    seen: dict[uuid.UUID, SimilarPetition] = {}
    for text in title.values():
        for row in await repository.similar_petitions(
            conn, text, min_score=min_score, exclude=exclude
        ):
            found = SimilarPetition.model_validate(row)
            if found.id not in seen or seen[found.id].score < found.score:
                seen[found.id] = found
    return sorted(seen.values(), key=lambda s: -s.score)[:5]


async def create_petition(
    conn: Connection, outbox: Outbox, creator_id: uuid.UUID, data: PetitionCreate
) -> Petition:
    channel = await channels.get_channel(conn, data.channel)
    if channel is None:
        raise problem_for(
            RuleViolation("channel-not-found", f"No channel {data.channel!r}.", "invalid")
        )
    rules = channel.to_rules()
    target_id = rules.target_organization_id or data.target_organization_id
    target = await people.get_organization(conn, target_id) if target_id else None
    creator = await people.get_citizen(conn, creator_id)
    try:
        petition = Petition.create(
            id=uuid.uuid4(),
            channel=channel.slug,
            channel_active=channel.active,
            rules=rules,
            creator=creator,
            target_id=target_id,
            target=target,
            language=data.language,
            title=dict(data.title),
            body=dict(data.body),
            subject=data.subject,
            region=data.region,
            now=_now(),
        )
    except RuleViolation as v:
        raise problem_for(v) from None
    await _commit(conn, outbox, petition, new=True)
    return petition


async def edit_petition(
    conn: Connection,
    outbox: Outbox,
    actor_id: uuid.UUID,
    petition_id: uuid.UUID,
    data: PetitionUpdate,
) -> Petition:
    petition = await load_for_update(conn, petition_id)
    try:
        petition.edit(
            actor_id,
            title=dict(data.title) if data.title is not None else None,
            body=dict(data.body) if data.body is not None else None,
            subject=data.subject,
        )
    except RuleViolation as v:
        raise problem_for(v) from None
    await _commit(conn, outbox, petition)
    return petition


async def submit_petition(
    conn: Connection, outbox: Outbox, actor_id: uuid.UUID, petition_id: uuid.UUID
) -> Petition:
    petition = await load_for_update(conn, petition_id)
    try:
        petition.submit(actor_id, _now())
    except RuleViolation as v:
        raise problem_for(v) from None
    await _commit(conn, outbox, petition)
    return petition


async def invite_sponsors(
    conn: Connection,
    outbox: Outbox,
    actor_id: uuid.UUID,
    petition_id: uuid.UUID,
    emails: list[str],
    link: str,
) -> Petition:
    petition = await load_for_update(conn, petition_id)
    if actor_id != petition.creator_id:
        raise problem_for(
            RuleViolation(
                "not-creator", "Only the petition's creator invites sponsors.", "forbidden"
            )
        )
    if petition.state.value not in ("draft", "collecting_sponsors"):
        raise problem_for(
            RuleViolation("not-collecting-sponsors", "This petition does not collect sponsors now.")
        )
    await outbox.add(
        conn,
        PetitionSponsorsInvited(
            petition_id=petition.id,
            creator_id=petition.creator_id,
            title=petition.title,
            emails=list(emails),
            language=petition.language,
            link=link,
        ),
    )
    await repository.record_audit(
        conn,
        petition.id,
        [
            AuditEntry(
                action="sponsors_invited",
                actor_id=actor_id,
                actor_role="creator",
                from_state=petition.state.value,
                to_state=petition.state.value,
                detail={"invitations": len(emails)},
            )
        ],
    )
    return petition


async def sponsor_petition(
    conn: Connection, outbox: Outbox, sponsor_id: uuid.UUID, petition_id: uuid.UUID
) -> Petition:
    petition = await load_for_update(conn, petition_id)
    sponsor = await people.get_citizen(conn, sponsor_id)
    already = await repository.is_sponsor(conn, petition_id, sponsor_id)
    try:
        petition.add_sponsor(sponsor, already=already, now=_now())
    except RuleViolation as v:
        raise problem_for(v) from None
    assert sponsor is not None
    await repository.add_sponsor(conn, petition_id, sponsor_id, sponsor.region)
    await _commit(conn, outbox, petition)
    return petition


async def publish_petition(
    conn: Connection, outbox: Outbox, moderator_id: uuid.UUID, petition_id: uuid.UUID
) -> Petition:
    petition = await load_for_update(conn, petition_id)
    try:
        petition.publish(moderator_id, _now())
    except RuleViolation as v:
        raise problem_for(v) from None
    await _commit(conn, outbox, petition)
    return petition


async def reject_petition(
    conn: Connection,
    outbox: Outbox,
    moderator_id: uuid.UUID,
    petition_id: uuid.UUID,
    reason: RejectionReason,
    explanation: str | None,
) -> Petition:
    petition = await load_for_update(conn, petition_id)
    try:
        petition.reject(moderator_id, reason, explanation, _now())
    except RuleViolation as v:
        raise problem_for(v) from None
    await _commit(conn, outbox, petition)
    return petition


async def hide_petition(
    conn: Connection,
    outbox: Outbox,
    moderator_id: uuid.UUID,
    petition_id: uuid.UUID,
    explanation: str | None,
) -> Petition:
    petition = await load_for_update(conn, petition_id)
    try:
        petition.hide(moderator_id, explanation, _now())
    except RuleViolation as v:
        raise problem_for(v) from None
    await _commit(conn, outbox, petition)
    return petition


async def close_due_petitions(
    conn: Connection, outbox: Outbox, *, now: datetime | None = None, limit: int = 100
) -> list[Petition]:
    """Close the open petitions whose time is up (rows locked; other processes skip them)."""
    at = now or _now()
    closed = []
    for petition in await repository.due_to_close(conn, at, limit):
        signatures = await repository.count_signatures(conn, petition.id)
        kinds = await repository.response_kinds(conn, petition.id)
        petition.close(at, signatures=signatures, response_kinds=kinds)
        await _commit(conn, outbox, petition)
        closed.append(petition)
    return closed
