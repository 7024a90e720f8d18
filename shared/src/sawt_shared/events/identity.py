"""Events the identity service publishes on ``identity.events``.

User events are keyed by ``user_id``, organisation events by ``organization_id``,
so each aggregate's events stay in order. Events that ask the notifications
service to send a message carry what the message needs (address, language, the
link or code) and nothing more: never a password, never a stored token hash.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from sawt_shared.events._base import Event
from sawt_shared.i18n import Language

__all__ = [
    "AssuranceLevel",
    "EmailChangeRequested",
    "EmailVerificationRequested",
    "IdentityEvent",
    "OrganizationCreated",
    "OrganizationInvitationSent",
    "OrganizationMemberAdded",
    "OrganizationMemberRemoved",
    "OrganizationVerified",
    "PasswordResetRequested",
    "UserAssuranceRaised",
    "UserDeleted",
    "UserEmailVerified",
    "UserProfileUpdated",
    "UserRegistered",
]

AssuranceLevel = Literal["none", "email", "eid"]
OrganizationKind = Literal["association", "public_body"]
MemberRole = Literal["owner", "editor", "viewer"]


class IdentityEvent(Event):
    """Base of every event the identity service publishes."""

    domain: ClassVar[str] = "identity"


class _UserEvent(IdentityEvent):
    key_field: ClassVar[str] = "user_id"
    user_id: uuid.UUID


class _OrganizationEvent(IdentityEvent):
    key_field: ClassVar[str] = "organization_id"
    organization_id: uuid.UUID


class UserRegistered(_UserEvent):
    """A person registered an account (not yet verified)."""

    event_type: ClassVar[str] = "ma.sawt.user.registered.v1"
    email: str
    display_name: str
    language: Language
    region: str
    assurance: AssuranceLevel = "none"


class UserEmailVerified(_UserEvent):
    """A user proved they own their email address."""

    event_type: ClassVar[str] = "ma.sawt.user.email_verified.v1"
    email: str


class UserAssuranceRaised(_UserEvent):
    """A user's assurance level rose (``email`` once verified, ``eid`` after a national eID login)."""

    event_type: ClassVar[str] = "ma.sawt.user.assurance_raised.v1"
    assurance: AssuranceLevel


class UserProfileUpdated(_UserEvent):
    """A user changed their language, region, display name or (verified) email."""

    event_type: ClassVar[str] = "ma.sawt.user.profile_updated.v1"
    display_name: str
    language: Language
    region: str
    email: str


class UserDeleted(_UserEvent):
    """A user deleted their account: other services anonymise what they hold, keeping counts."""

    event_type: ClassVar[str] = "ma.sawt.user.deleted.v1"


class EmailVerificationRequested(_UserEvent):
    """Send the email-verification message (a link to a confirm page and a short code)."""

    event_type: ClassVar[str] = "ma.sawt.user.email_verification_requested.v1"
    email: str
    display_name: str
    language: Language
    link: str
    code: str
    expires_at: datetime


class EmailChangeRequested(_UserEvent):
    """Send the message that confirms a new email address."""

    event_type: ClassVar[str] = "ma.sawt.user.email_change_requested.v1"
    new_email: str
    display_name: str
    language: Language
    link: str
    code: str
    expires_at: datetime


class PasswordResetRequested(_UserEvent):
    """Send the password-reset message."""

    event_type: ClassVar[str] = "ma.sawt.user.password_reset_requested.v1"
    email: str
    display_name: str
    language: Language
    link: str
    expires_at: datetime


class OrganizationCreated(_OrganizationEvent):
    """An organisation was created; its creator is its first owner."""

    event_type: ClassVar[str] = "ma.sawt.organization.created.v1"
    name: str
    kind: OrganizationKind
    created_by: uuid.UUID


class OrganizationVerified(_OrganizationEvent):
    """A platform admin verified an organisation."""

    event_type: ClassVar[str] = "ma.sawt.organization.verified.v1"
    name: str
    kind: OrganizationKind
    verified_by: uuid.UUID


class OrganizationMemberAdded(_OrganizationEvent):
    """Someone became a member of an organisation (or changed role)."""

    event_type: ClassVar[str] = "ma.sawt.organization.member_added.v1"
    user_id: uuid.UUID
    role: MemberRole


class OrganizationMemberRemoved(_OrganizationEvent):
    """Someone left or was removed from an organisation."""

    event_type: ClassVar[str] = "ma.sawt.organization.member_removed.v1"
    user_id: uuid.UUID


class OrganizationInvitationSent(_OrganizationEvent):
    """Send an invitation to join an organisation to an email address."""

    event_type: ClassVar[str] = "ma.sawt.organization.invitation_sent.v1"
    organization_name: str
    email: str
    role: MemberRole
    invited_by: uuid.UUID
    language: Language
    link: str
    expires_at: datetime
