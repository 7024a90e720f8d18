"""API schemas of official responses and the awaiting-response list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from petitions.schemas import LongText
from sawt_shared.i18n import Language, LocalizedText

__all__ = ["AwaitingResponse", "AwaitingResponseList", "ResponseCreate"]


class ResponseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["response", "admissibility", "debate"] = Field(
        description="`response`: the official answer; `admissibility`: a motion's decision; "
        "`debate`: the debate was held (or scheduled) and its record."
    )
    decision: Literal["admissible", "inadmissible"] | None = Field(
        None, description="Only for `admissibility`."
    )
    language: Language
    summary: LongText
    body: LongText


class AwaitingResponse(BaseModel):
    petition_id: uuid.UUID
    channel: str
    title: LocalizedText
    target_organization_id: uuid.UUID | None
    target_name: str | None
    threshold: str
    threshold_label: LocalizedText
    triggers: str
    signatures_at_threshold: int
    reached_at: datetime
    response_due_at: datetime
    days_overdue: int


class AwaitingResponseList(BaseModel):
    items: list[AwaitingResponse]
    generated_at: datetime
