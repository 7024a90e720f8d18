"""Keeping the read models current from identity and petitions events."""

from __future__ import annotations

from notifications.recipients import repository
from sawt_shared.db import Connection
from sawt_shared.events import Event
from sawt_shared.events.identity import (
    UserAssuranceRaised,
    UserDeleted,
    UserEmailVerified,
    UserProfileUpdated,
    UserRegistered,
)
from sawt_shared.events.petitions import (
    PetitionClosed,
    PetitionCreated,
    PetitionPublished,
    PetitionRejected,
    PetitionResponded,
    PetitionSignatureWithdrawn,
    PetitionSigned,
    PetitionThresholdReached,
)

__all__ = ["apply_to_read_model"]


async def apply_to_read_model(conn: Connection, event: Event) -> None:
    """Fold ``event`` into the recipients, petitions and followers tables (idempotent)."""
    match event:
        case UserRegistered():
            await repository.upsert_registered(
                conn,
                event.user_id,
                email=event.email,
                display_name=event.display_name,
                language=event.language,
                verified=event.assurance != "none",
            )
        case UserEmailVerified():
            await repository.mark_email_verified(conn, event.user_id, event.email)
        case UserAssuranceRaised() if event.assurance != "none":
            await repository.mark_email_verified(conn, event.user_id, None)
        case UserProfileUpdated():
            await repository.update_profile(
                conn,
                event.user_id,
                email=event.email,
                display_name=event.display_name,
                language=event.language,
            )
        case UserDeleted():
            await repository.anonymise_recipient(conn, event.user_id)
        case PetitionCreated():
            await repository.save_petition(
                conn,
                event.petition_id,
                creator_id=event.creator_id,
                title=event.title,
                language=event.language,
            )
        case (
            PetitionPublished()
            | PetitionRejected()
            | PetitionThresholdReached()
            | PetitionClosed()
            | PetitionResponded()
        ):
            await repository.save_petition(
                conn,
                event.petition_id,
                creator_id=event.creator_id,
                title=event.title,
                language=None,
            )
        case PetitionSigned():
            await repository.follow_petition(
                conn, event.petition_id, event.signer_id, wants_updates=event.wants_updates
            )
        case PetitionSignatureWithdrawn():
            await repository.unfollow_petition(conn, event.petition_id, event.signer_id)
