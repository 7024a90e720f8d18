"""API schemas of organisations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AuditEntry",
    "InvitationAccept",
    "InvitationCreate",
    "InvitationRead",
    "MemberRead",
    "MemberUpdate",
    "OrganizationCreate",
    "OrganizationList",
    "OrganizationRead",
    "VerificationCreate",
]

Kind = Literal["association", "public_body"]
Role = Literal["owner", "editor", "viewer"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganizationCreate(_In):
    name: str = Field(max_length=200)
    kind: Kind


class OrganizationRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: Kind
    verified: bool
    verified_at: datetime | None
    created_at: datetime
    my_role: Role | None = None


class OrganizationList(BaseModel):
    items: list[OrganizationRead]
    next_cursor: str | None


class MemberRead(BaseModel):
    user_id: uuid.UUID
    display_name: str
    role: Role
    since: datetime


class MemberUpdate(_In):
    role: Role


class InvitationCreate(_In):
    email: str = Field(max_length=320)
    role: Role = "viewer"


class InvitationRead(BaseModel):
    id: uuid.UUID


class InvitationAccept(_In):
    token: str = Field(max_length=200)


class VerificationCreate(_In):
    note: str | None = Field(None, max_length=1000)


class AuditEntry(BaseModel):
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    details: dict[str, Any]
