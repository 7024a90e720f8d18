"""Events the petitions service publishes on ``petitions.events``, keyed by ``petition_id``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from sawt_shared.events._base import Event
from sawt_shared.i18n import Language, LocalizedText

__all__ = [
    "PetitionClosed",
    "PetitionCreated",
    "PetitionEvent",
    "PetitionHidden",
    "PetitionPublished",
    "PetitionRejected",
    "PetitionResponded",
    "PetitionSignatureWithdrawn",
    "PetitionSigned",
    "PetitionSponsored",
    "PetitionSponsorsInvited",
    "PetitionSubmitted",
    "PetitionThresholdReached",
]

RejectionReason = Literal[
    "duplicate", "offensive", "out_of_scope", "not_receivable", "unclear", "other"
]


class PetitionEvent(Event):
    """Base of every event the petitions service publishes."""

    domain: ClassVar[str] = "petitions"
    key_field: ClassVar[str] = "petition_id"
    petition_id: uuid.UUID


class PetitionCreated(PetitionEvent):
    """A citizen created a petition (a draft, collecting sponsors where the channel asks)."""

    event_type: ClassVar[str] = "ma.sawt.petition.created.v1"
    channel: str
    creator_id: uuid.UUID
    title: LocalizedText
    language: Language
    region: str | None = None


class PetitionSubmitted(PetitionEvent):
    """The creator submitted a draft: it now collects sponsors, or awaits moderation."""

    event_type: ClassVar[str] = "ma.sawt.petition.submitted.v1"
    creator_id: uuid.UUID
    title: LocalizedText
    state: Literal["collecting_sponsors", "awaiting_moderation"]
    submitted_at: datetime


class PetitionSponsorsInvited(PetitionEvent):
    """The creator named people to sponsor the petition; each gets a request."""

    event_type: ClassVar[str] = "ma.sawt.petition.sponsors_invited.v1"
    creator_id: uuid.UUID
    title: LocalizedText
    emails: list[str]
    language: Language
    link: str


class PetitionSponsored(PetitionEvent):
    """A supporter sponsored a petition before moderation."""

    event_type: ClassVar[str] = "ma.sawt.petition.sponsored.v1"
    sponsor_id: uuid.UUID
    sponsors: int
    #: True when this sponsor brought the petition to the channel's minimum: it now
    #: awaits moderation.
    awaiting_moderation: bool = False


class PetitionPublished(PetitionEvent):
    """A moderator opened the petition for signatures."""

    event_type: ClassVar[str] = "ma.sawt.petition.published.v1"
    channel: str
    creator_id: uuid.UUID
    title: LocalizedText
    opened_at: datetime
    closes_at: datetime


class PetitionRejected(PetitionEvent):
    """A moderator rejected the petition, with a reason code."""

    event_type: ClassVar[str] = "ma.sawt.petition.rejected.v1"
    creator_id: uuid.UUID
    title: LocalizedText
    reason: RejectionReason
    explanation: str | None = None


class PetitionHidden(PetitionEvent):
    """A moderator hid the petition (abusive content): it no longer shows nor collects."""

    event_type: ClassVar[str] = "ma.sawt.petition.hidden.v1"
    creator_id: uuid.UUID
    title: LocalizedText
    hidden_at: datetime
    explanation: str | None = None


class PetitionSigned(PetitionEvent):
    """A citizen signed. ``wants_updates``: the signer asked to hear of the response."""

    event_type: ClassVar[str] = "ma.sawt.petition.signed.v1"
    signature_id: uuid.UUID
    signer_id: uuid.UUID
    region: str | None
    signed_at: datetime
    wants_updates: bool = False


class PetitionSignatureWithdrawn(PetitionEvent):
    """A signer withdrew their signature while the petition was open."""

    event_type: ClassVar[str] = "ma.sawt.petition.signature_withdrawn.v1"
    signature_id: uuid.UUID
    signer_id: uuid.UUID
    region: str | None
    withdrawn_at: datetime


class PetitionThresholdReached(PetitionEvent):
    """A threshold of the channel was crossed; fired exactly once per threshold."""

    event_type: ClassVar[str] = "ma.sawt.petition.threshold_reached.v1"
    threshold: str
    signatures: int
    required: int
    triggers: str
    reached_at: datetime
    response_due_at: datetime | None = None
    creator_id: uuid.UUID
    title: LocalizedText


class PetitionClosed(PetitionEvent):
    """The petition stopped collecting signatures (its time was up, or it was withdrawn)."""

    event_type: ClassVar[str] = "ma.sawt.petition.closed.v1"
    closed_at: datetime
    signatures: int
    creator_id: uuid.UUID
    title: LocalizedText


class PetitionResponded(PetitionEvent):
    """The target public body published its official response (or admissibility decision)."""

    event_type: ClassVar[str] = "ma.sawt.petition.responded.v1"
    kind: Literal["response", "admissibility", "debate"]
    organization_id: uuid.UUID
    summary: LocalizedText
    responded_at: datetime
    creator_id: uuid.UUID
    title: LocalizedText
    response_id: uuid.UUID | None = None
    #: For ``kind == "admissibility"``: the decision on the motion.
    decision: Literal["admissible", "inadmissible"] | None = None
