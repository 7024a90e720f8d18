"""API schemas of webhook endpoints, deliveries and attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "WebhookAttemptRead",
    "WebhookDeliveryPage",
    "WebhookDeliveryRead",
    "WebhookEndpointCreate",
    "WebhookEndpointCreated",
    "WebhookEndpointPage",
    "WebhookEndpointRead",
    "WebhookEndpointUpdate",
    "WebhookEventType",
    "WebhookSecretRead",
]

WebhookEventType = Literal[
    "petition.closed", "petition.published", "petition.responded", "petition.threshold_reached"
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookEndpointCreate(_Input):
    url: str = Field(
        min_length=8, max_length=2000, description="Where deliveries are POSTed (https)."
    )
    event_types: list[WebhookEventType] = Field(
        min_length=1, max_length=20, description="The event types this endpoint receives."
    )
    description: str = Field("", max_length=500)


class WebhookEndpointUpdate(_Input):
    url: str | None = Field(None, min_length=8, max_length=2000)
    event_types: list[WebhookEventType] | None = Field(None, min_length=1, max_length=20)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = Field(
        None, description="`true` enables a disabled endpoint again (and forgets its failures)."
    )


class WebhookEndpointRead(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(None, description="`gone` (answered 410) or `failing`.")
    disabled_at: datetime | None = None
    failing_since: datetime | None = Field(
        None, description="Start of the current run of failed tries, if any."
    )
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(description="The `whsec_` signing secret; shown on creation only.")


class WebhookEndpointPage(BaseModel):
    items: list[WebhookEndpointRead]
    next_cursor: str | None = None


class WebhookSecretRead(BaseModel):
    secret: str = Field(description="The new `whsec_` secret; deliveries are signed with it now.")
    previous_secrets_expire_at: datetime = Field(
        description="Until then deliveries carry the old secret's signature too."
    )


class WebhookDeliveryRead(BaseModel):
    id: int
    event_id: uuid.UUID
    event_type: str
    status: Literal["pending", "sending", "succeeded", "failed", "cancelled"]
    attempts: int
    last_status: int | None = None
    last_error: str | None = None
    created_at: datetime
    finished_at: datetime | None = None
    next_attempt_at: datetime | None = None


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryRead]
    next_cursor: str | None = None


class WebhookAttemptRead(BaseModel):
    id: int
    attempted_at: datetime
    status_code: int | None = None
    error: str | None = None
    duration_ms: int
