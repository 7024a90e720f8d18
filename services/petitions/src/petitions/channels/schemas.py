"""API schemas of channels."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from petitions.channels.rules import ChannelRules, Threshold, Trigger
from petitions.schemas import Slug, UiText

__all__ = ["ChannelCreate", "ChannelRead", "ChannelWrite", "ThresholdSpec"]


class ThresholdSpec(BaseModel):
    """A signature count that triggers something of the target authority."""

    model_config = ConfigDict(extra="forbid")

    name: Slug
    signatures: int = Field(ge=1, le=100_000_000)
    triggers: Trigger = Field(
        description="What the authority owes once reached: a `response`, an `admissibility` "
        "decision, a `debate`, or `none`."
    )
    response_days: int | None = Field(None, ge=1, le=3650)
    label: UiText

    def to_rule(self) -> Threshold:
        return Threshold(
            name=self.name,
            signatures=self.signatures,
            triggers=self.triggers,
            response_days=self.response_days,
            label=dict(self.label),
        )


class ChannelWrite(BaseModel):
    """A channel's rules, as an admin sets them."""

    model_config = ConfigDict(extra="forbid")

    name: UiText
    description: UiText
    authority: UiText = Field(description="Who petitions of this channel are addressed to.")
    target_organization_id: uuid.UUID | None = Field(
        None,
        description="The verified public body addressed; when empty, each petition names its own.",
    )
    min_sponsors: int = Field(ge=0, le=1000)
    max_sponsors: int = Field(ge=0, le=1000)
    duration_days: int = Field(ge=1, le=3650)
    thresholds: list[ThresholdSpec] = Field(max_length=20)
    signer_assurance: Literal["email", "eid"]
    region_restricted: bool = False
    excluded_subjects: list[Slug] = Field(default_factory=list, max_length=100)
    active: bool = True

    def to_rules(self) -> ChannelRules:
        return ChannelRules(
            min_sponsors=self.min_sponsors,
            max_sponsors=self.max_sponsors,
            duration_days=self.duration_days,
            thresholds=tuple(t.to_rule() for t in self.thresholds),
            signer_assurance=self.signer_assurance,
            region_restricted=self.region_restricted,
            excluded_subjects=frozenset(self.excluded_subjects),
            target_organization_id=self.target_organization_id,
        )


class ChannelCreate(ChannelWrite):
    slug: Slug


class ChannelRead(ChannelCreate):
    version: int = Field(description="Bumped by every change; send it back in If-Match.")
    updated_at: datetime
