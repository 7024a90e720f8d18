"""API schemas of accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from identity.accounts.repository import User

__all__ = [
    "Accepted",
    "AccountCreate",
    "AccountDelete",
    "EmailChange",
    "EmailConfirmation",
    "LoginRequest",
    "PasswordChange",
    "PasswordResetConfirm",
    "PasswordResetRequest",
    "ProfileUpdate",
    "RolesUpdate",
    "SessionRead",
    "UserRead",
]

LanguageCode = Literal["ar", "fr", "en", "zgh"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCreate(_In):
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)
    display_name: str = Field(max_length=100)
    language: LanguageCode = "ar"
    region: str = Field(max_length=100)


class Accepted(BaseModel):
    status: str
    detail: str


class EmailConfirmation(_In):
    """Either the token of the link, or the address and the short code."""

    token: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    code: str | None = Field(None, max_length=12)


class LoginRequest(_In):
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)


class SessionRead(BaseModel):
    user_id: uuid.UUID
    session_id: uuid.UUID


class PasswordResetRequest(_In):
    email: str = Field(max_length=320)


class PasswordResetConfirm(_In):
    token: str = Field(max_length=200)
    new_password: str = Field(max_length=256)


class PasswordChange(_In):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class ProfileUpdate(_In):
    display_name: str | None = Field(None, max_length=100)
    language: LanguageCode | None = None
    region: str | None = Field(None, max_length=100)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude_none=True)


class EmailChange(_In):
    new_email: str = Field(max_length=320)
    password: str = Field(max_length=256)


class AccountDelete(_In):
    password: str = Field(max_length=256)


class RolesUpdate(_In):
    roles: list[Literal["moderator", "admin"]]


class UserRead(BaseModel):
    id: uuid.UUID
    email: str | None
    email_verified: bool
    display_name: str
    language: str
    region: str
    assurance: str
    roles: list[str]
    eid_linked: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserRead:
        return cls(
            id=user.id,
            email=user.email,
            email_verified=user.email_verified_at is not None,
            display_name=user.display_name,
            language=user.language,
            region=user.region,
            assurance=user.assurance,
            roles=list(user.roles),
            eid_linked=user.has_eid,
            created_at=user.created_at,
        )
