"""API schemas of public reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sawt_shared.i18n import Language, LocalizedText

__all__ = [
    "HourlyPoint",
    "HourlySeries",
    "PetitionDetail",
    "PetitionList",
    "PetitionSummary",
    "RegionCount",
    "Rejection",
    "ResponseRead",
    "SignatureCounts",
    "Sort",
    "TargetAuthority",
    "ThresholdStatus",
]

Sort = Literal["newest", "signatures", "trending"]


class PetitionSummary(BaseModel):
    id: uuid.UUID
    channel: str
    state: str
    language: Language
    title: LocalizedText
    subject: str
    region: str | None
    opened_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    signatures: int = Field(description="Folded count, as of `as_of`.")
    last_hour: float = Field(
        description="Signatures in the last hour (estimated from hourly counts)."
    )


class PetitionList(BaseModel):
    items: list[PetitionSummary]
    next_cursor: str | None
    as_of: datetime = Field(description="Every count in this list includes signatures up to here.")


class RegionCount(BaseModel):
    region: str | None = Field(description="`null` for signers whose region is not on record.")
    count: int


class SignatureCounts(BaseModel):
    total: int
    by_region: list[RegionCount]
    as_of: datetime = Field(
        description="Counts include every signature acknowledged before this time "
        "(give or take a batch committing at that very moment)."
    )


class ThresholdStatus(BaseModel):
    name: str
    label: LocalizedText
    signatures: int
    triggers: str
    reached_at: datetime | None
    response_due_at: datetime | None
    satisfied_at: datetime | None
    days_overdue: int | None


class ResponseRead(BaseModel):
    id: uuid.UUID
    kind: Literal["response", "admissibility", "debate"]
    decision: Literal["admissible", "inadmissible"] | None
    organization_id: uuid.UUID
    language: Language
    summary: LocalizedText
    body: LocalizedText
    responded_at: datetime


class TargetAuthority(BaseModel):
    organization_id: uuid.UUID
    name: str | None


class Rejection(BaseModel):
    reason: str
    label: LocalizedText
    explanation: str | None


class PetitionDetail(BaseModel):
    id: uuid.UUID
    channel: str
    channel_name: LocalizedText
    state: str
    language: Language
    title: LocalizedText
    body: LocalizedText
    subject: str
    region: str | None
    target: TargetAuthority | None
    sponsors: int
    created_at: datetime
    opened_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    responded_at: datetime | None
    rejection: Rejection | None
    signatures: SignatureCounts
    thresholds: list[ThresholdStatus]
    responses: list[ResponseRead]


class HourlyPoint(BaseModel):
    hour: datetime
    count: int


class HourlySeries(BaseModel):
    petition_id: uuid.UUID
    as_of: datetime
    points: list[HourlyPoint] = Field(description="One point per hour, zeros included.")
