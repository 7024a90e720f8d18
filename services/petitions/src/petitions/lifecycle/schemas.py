"""API schemas of the petition lifecycle."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from petitions.lifecycle.rules import Petition
from petitions.schemas import LongText, Region, ShortText, Slug
from sawt_shared.events.petitions import RejectionReason
from sawt_shared.i18n import Language, LocalizedText

__all__ = [
    "AuditEntryRead",
    "HideRequest",
    "ModerationQueue",
    "PetitionCreate",
    "PetitionCreatedRead",
    "PetitionRead",
    "PetitionUpdate",
    "RejectRequest",
    "SimilarPetition",
    "SponsorInvitation",
    "SponsorRead",
]


class PetitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Slug
    language: Language = Field(description="The language the petition is written in.")
    title: ShortText = Field(description="The title, in its language and any translations.")
    body: LongText = Field(description="What is asked and why, in its language and translations.")
    subject: Slug = Field(description="A subject code (some are not receivable on a channel).")
    region: Region | None = Field(None, description="Required on region-restricted channels.")
    target_organization_id: uuid.UUID | None = Field(
        None, description="The public body addressed, when the channel does not fix one."
    )


class PetitionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: ShortText | None = None
    body: LongText | None = None
    subject: Slug | None = None


class PetitionRead(BaseModel):
    """A petition as its creator and moderators see it."""

    id: uuid.UUID
    channel: str
    state: str
    language: Language
    title: LocalizedText
    body: LocalizedText
    subject: str
    region: str | None
    creator_id: uuid.UUID
    target_organization_id: uuid.UUID | None
    sponsors: int
    min_sponsors: int
    max_sponsors: int
    created_at: datetime
    submitted_at: datetime | None
    moderation_requested_at: datetime | None
    opened_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    responded_at: datetime | None
    rejection_reason: str | None
    rejection_explanation: str | None
    hidden_at: datetime | None

    @classmethod
    def of(cls, p: Petition) -> PetitionRead:
        return cls(
            id=p.id,
            channel=p.channel,
            state=p.state.value,
            language=p.language,
            title=p.title,
            body=p.body,
            subject=p.subject,
            region=p.region,
            creator_id=p.creator_id,
            target_organization_id=p.target_organization_id,
            sponsors=p.sponsors,
            min_sponsors=p.rules.min_sponsors,
            max_sponsors=p.rules.max_sponsors,
            created_at=p.created_at,
            submitted_at=p.submitted_at,
            moderation_requested_at=p.moderation_requested_at,
            opened_at=p.opened_at,
            closes_at=p.closes_at,
            closed_at=p.closed_at,
            responded_at=p.responded_at,
            rejection_reason=p.rejection_reason,
            rejection_explanation=p.rejection_explanation,
            hidden_at=p.hidden_at,
        )


class SimilarPetition(BaseModel):
    id: uuid.UUID
    channel: str
    state: str
    title: LocalizedText
    score: float = Field(description="Trigram similarity of the titles, 0 to 1.")


class PetitionCreatedRead(PetitionRead):
    similar: list[SimilarPetition] = Field(
        default_factory=list,
        description="Petitions that look like this one: perhaps sign one of them instead.",
    )


class SponsorInvitation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emails: list[EmailStr] = Field(min_length=1, max_length=20)


class SponsorRead(BaseModel):
    petition_id: uuid.UUID
    sponsors: int
    state: str


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: RejectionReason
    explanation: str | None = Field(None, max_length=2000)


class HideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    explanation: str | None = Field(None, max_length=2000)


class ModerationQueue(BaseModel):
    items: list[PetitionRead]
    next_cursor: str | None


class AuditEntryRead(BaseModel):
    id: int
    action: str
    actor_id: str | None
    actor_role: Literal["creator", "sponsor", "moderator", "authority", "system", "admin"] | str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]
    at: datetime
