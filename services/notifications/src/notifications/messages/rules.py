"""What each event says, and to whom: plain functions of values, no I/O.

:func:`plan_messages` turns one event into the messages it causes. A message has
a ``kind`` (which template), a category (which preference governs it), the
parameters its template needs, and its audience: some direct recipients (a user,
or an address the event names) and possibly everyone following a petition, which
the fan-out expands in the database.

The order of messages matters: when one event reaches the same person twice (a
creator who also follows their own petition), the first message wins, because
deliveries are unique per (event, recipient). So the creator's message comes first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notifications.messages.categories import Category
from sawt_shared.events import Event
from sawt_shared.events.identity import (
    EmailChangeRequested,
    EmailVerificationRequested,
    OrganizationInvitationSent,
    PasswordResetRequested,
)
from sawt_shared.events.petitions import (
    PetitionClosed,
    PetitionPublished,
    PetitionRejected,
    PetitionResponded,
    PetitionSigned,
    PetitionSponsorsInvited,
    PetitionThresholdReached,
)

__all__ = [
    "MESSAGE_TEMPLATES",
    "PetitionInfo",
    "PlannedMessage",
    "Recipient",
    "plan_messages",
]


@dataclass(frozen=True)
class Recipient:
    """One direct recipient: a user (address and language from the read model, unless
    the event names them), or an address that may belong to no user."""

    user_id: uuid.UUID | None = None
    address: str | None = None
    language: str | None = None

    @property
    def key(self) -> str:
        """Who this is, for the delivery's uniqueness: the user id, else the address."""
        if self.user_id is not None:
            return str(self.user_id)
        assert self.address is not None
        return "mailto:" + self.address.strip().lower()


@dataclass(frozen=True)
class PetitionInfo:
    """What the read model knows of a petition (for events that do not carry its title)."""

    petition_id: uuid.UUID
    creator_id: uuid.UUID
    title: Mapping[str, str]
    language: str


@dataclass(frozen=True)
class PlannedMessage:
    kind: str
    category: Category
    params: dict[str, Any]
    recipients: tuple[Recipient, ...] = ()
    followers_of: uuid.UUID | None = None
    """When set, every signer of this petition who asked for updates receives it too."""


#: The template each message kind is written with (a role parameter tells creator from follower).
MESSAGE_TEMPLATES: dict[str, str] = {
    "email_verification": "email_verification",
    "email_change": "email_change",
    "password_reset": "password_reset",
    "organization_invitation": "organization_invitation",
    "signature_receipt": "signature_receipt",
    "sponsor_request": "sponsor_request",
    "petition_published": "petition_published",
    "petition_rejected": "petition_rejected",
    "threshold_reached_creator": "threshold_reached",
    "threshold_reached_follower": "threshold_reached",
    "petition_responded_creator": "petition_responded",
    "petition_responded_follower": "petition_responded",
    "petition_closed_creator": "petition_closed",
    "petition_closed_follower": "petition_closed",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _petition(petition_id: uuid.UUID, title: Mapping[Any, str], **more: Any) -> dict[str, Any]:
    return {"petition_id": str(petition_id), "title": dict(title), **more}


def plan_messages(event: Event, petition: PetitionInfo | None = None) -> list[PlannedMessage]:
    """The messages ``event`` causes; ``petition`` is the read model's record of its petition."""
    match event:
        case EmailVerificationRequested():
            return [
                PlannedMessage(
                    "email_verification",
                    Category.ACCOUNT,
                    {
                        "display_name": event.display_name,
                        "link": event.link,
                        "code": event.code,
                        "expires_at": _iso(event.expires_at),
                    },
                    (Recipient(event.user_id, event.email, event.language),),
                )
            ]
        case EmailChangeRequested():
            return [
                PlannedMessage(
                    "email_change",
                    Category.ACCOUNT,
                    {
                        "display_name": event.display_name,
                        "link": event.link,
                        "code": event.code,
                        "expires_at": _iso(event.expires_at),
                    },
                    # keyed by address: the new address is not the user's address yet
                    (Recipient(None, event.new_email, event.language),),
                )
            ]
        case PasswordResetRequested():
            return [
                PlannedMessage(
                    "password_reset",
                    Category.ACCOUNT,
                    {
                        "display_name": event.display_name,
                        "link": event.link,
                        "expires_at": _iso(event.expires_at),
                    },
                    (Recipient(event.user_id, event.email, event.language),),
                )
            ]
        case OrganizationInvitationSent():
            return [
                PlannedMessage(
                    "organization_invitation",
                    Category.INVITATIONS,
                    {
                        "organization_name": event.organization_name,
                        "role": event.role,
                        "link": event.link,
                        "expires_at": _iso(event.expires_at),
                    },
                    (Recipient(None, event.email, event.language),),
                )
            ]
        case PetitionSigned():
            title = petition.title if petition is not None else {}
            return [
                PlannedMessage(
                    "signature_receipt",
                    Category.SIGNATURE_RECEIPTS,
                    _petition(
                        event.petition_id,
                        title,
                        signature_id=str(event.signature_id),
                        signed_at=_iso(event.signed_at),
                        wants_updates=event.wants_updates,
                    ),
                    (Recipient(event.signer_id),),
                )
            ]
        case PetitionSponsorsInvited():
            unique = list(dict.fromkeys(e.strip() for e in event.emails if e.strip()))
            return [
                PlannedMessage(
                    "sponsor_request",
                    Category.SPONSOR_REQUESTS,
                    _petition(event.petition_id, event.title, link=event.link),
                    tuple(Recipient(None, email, event.language) for email in unique),
                )
            ]
        case PetitionPublished():
            return [
                PlannedMessage(
                    "petition_published",
                    Category.MY_PETITIONS,
                    _petition(event.petition_id, event.title, closes_at=_iso(event.closes_at)),
                    (Recipient(event.creator_id),),
                )
            ]
        case PetitionRejected():
            return [
                PlannedMessage(
                    "petition_rejected",
                    Category.MY_PETITIONS,
                    _petition(
                        event.petition_id,
                        event.title,
                        reason=event.reason,
                        explanation=event.explanation,
                    ),
                    (Recipient(event.creator_id),),
                )
            ]
        case PetitionThresholdReached():
            params = _petition(
                event.petition_id,
                event.title,
                threshold=event.threshold,
                signatures=event.signatures,
                required=event.required,
                triggers=event.triggers,
                response_due_at=_iso(event.response_due_at),
            )
            return _creator_and_followers(
                "threshold_reached", event.petition_id, event.creator_id, params
            )
        case PetitionResponded():
            params = _petition(
                event.petition_id,
                event.title,
                response_kind=event.kind,
                summary=dict(event.summary),
                responded_at=_iso(event.responded_at),
            )
            return _creator_and_followers(
                "petition_responded", event.petition_id, event.creator_id, params
            )
        case PetitionClosed():
            params = _petition(event.petition_id, event.title, signatures=event.signatures)
            return _creator_and_followers(
                "petition_closed", event.petition_id, event.creator_id, params
            )
    return []


def _creator_and_followers(
    kind: str, petition_id: uuid.UUID, creator_id: uuid.UUID, params: dict[str, Any]
) -> list[PlannedMessage]:
    return [
        PlannedMessage(
            f"{kind}_creator",
            Category.MY_PETITIONS,
            {**params, "role": "creator"},
            (Recipient(creator_id),),
        ),
        PlannedMessage(
            f"{kind}_follower",
            Category.PETITION_UPDATES,
            {**params, "role": "follower"},
            followers_of=petition_id,
        ),
    ]
