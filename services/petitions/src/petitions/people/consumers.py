"""Builds the read model from ``identity.*`` events, one transaction per event (inbox)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from petitions.people import repository
from sawt_shared.app import Runtime
from sawt_shared.db import Connection
from sawt_shared.events import Event
from sawt_shared.events.identity import (
    OrganizationCreated,
    OrganizationMemberAdded,
    OrganizationMemberRemoved,
    OrganizationVerified,
    UserAssuranceRaised,
    UserDeleted,
    UserProfileUpdated,
    UserRegistered,
)
from sawt_shared.inbox import EventConsumer, Handler, ReceivedEvent

__all__ = ["HANDLERS", "identity_consumer"]

_log = logging.getLogger("petitions.people")


async def on_user_registered(conn: Connection, event: ReceivedEvent[UserRegistered]) -> None:
    e = event.data
    await repository.upsert_citizen(
        conn,
        user_id=e.user_id,
        region=e.region,
        display_name=e.display_name,
        assurance=e.assurance,
        at=event.envelope.time,
    )


async def on_profile_updated(conn: Connection, event: ReceivedEvent[UserProfileUpdated]) -> None:
    e = event.data
    await repository.upsert_citizen(
        conn,
        user_id=e.user_id,
        region=e.region,
        display_name=e.display_name,
        assurance=None,
        at=event.envelope.time,
    )


async def on_assurance_raised(conn: Connection, event: ReceivedEvent[UserAssuranceRaised]) -> None:
    e = event.data
    await repository.raise_assurance(
        conn, user_id=e.user_id, assurance=e.assurance, at=event.envelope.time
    )


async def on_user_deleted(conn: Connection, event: ReceivedEvent[UserDeleted]) -> None:
    changed = await repository.anonymise_citizen(conn, event.data.user_id, event.envelope.time)
    _log.info("anonymised a deleted account", extra={"rows": changed})


async def on_organization_created(
    conn: Connection, event: ReceivedEvent[OrganizationCreated]
) -> None:
    e = event.data
    await repository.upsert_organization(
        conn,
        organization_id=e.organization_id,
        name=e.name,
        kind=e.kind,
        verified=False,
        at=event.envelope.time,
    )
    await repository.upsert_member(
        conn, organization_id=e.organization_id, user_id=e.created_by, role="owner"
    )


async def on_organization_verified(
    conn: Connection, event: ReceivedEvent[OrganizationVerified]
) -> None:
    e = event.data
    await repository.upsert_organization(
        conn,
        organization_id=e.organization_id,
        name=e.name,
        kind=e.kind,
        verified=True,
        at=event.envelope.time,
    )


async def on_member_added(conn: Connection, event: ReceivedEvent[OrganizationMemberAdded]) -> None:
    e = event.data
    await repository.upsert_member(
        conn, organization_id=e.organization_id, user_id=e.user_id, role=e.role
    )


async def on_member_removed(
    conn: Connection, event: ReceivedEvent[OrganizationMemberRemoved]
) -> None:
    e = event.data
    await repository.remove_member(conn, organization_id=e.organization_id, user_id=e.user_id)


HANDLERS: Mapping[type[Event], Handler] = {
    UserRegistered: on_user_registered,
    UserProfileUpdated: on_profile_updated,
    UserAssuranceRaised: on_assurance_raised,
    UserDeleted: on_user_deleted,
    OrganizationCreated: on_organization_created,
    OrganizationVerified: on_organization_verified,
    OrganizationMemberAdded: on_member_added,
    OrganizationMemberRemoved: on_member_removed,
}


def identity_consumer(runtime: Runtime, **overrides: Any) -> EventConsumer:
    """The consumer of ``identity.events`` that keeps the read model."""
    settings = runtime.settings
    return EventConsumer(
        name="petitions-identity",
        pool=runtime.pool,
        bootstrap=settings.kafka_bootstrap_servers,
        topics=[UserRegistered.topic(settings.topic_prefix)],
        handlers=HANDLERS,
        dlq_producer=runtime.producer,
        group_id=runtime.group_id("petitions-identity"),
        max_attempts=settings.consumer_max_attempts,
        backoff=settings.consumer_retry_backoff,
        **overrides,
    )
