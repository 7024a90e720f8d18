"""Organisations: creation, members and invitations, verification by an admin."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg

from identity.accounts.repository import AccountRepository, User, normalize_email
from identity.accounts.service import check_email
from identity.organizations import auth
from identity.organizations.repository import OrganizationRepository
from identity.settings import IdentitySettings
from identity.tokens import hash_secret, new_secret
from sawt_shared.db import Connection
from sawt_shared.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from sawt_shared.events.identity import (
    OrganizationCreated,
    OrganizationInvitationSent,
    OrganizationMemberAdded,
    OrganizationMemberRemoved,
    OrganizationVerified,
)
from sawt_shared.outbox import Outbox

__all__ = ["OrganizationService"]


def _not_found() -> NotFound:
    return NotFound("No such organisation.", type_slug="organization-not-found")


class OrganizationService:
    def __init__(self, conn: Connection, settings: IdentitySettings, outbox: Outbox) -> None:
        self.conn = conn
        self.repo = OrganizationRepository(conn)
        self.settings = settings
        self.outbox = outbox

    async def _visible(self, actor: User, org_id: uuid.UUID) -> tuple[asyncpg.Record, str | None]:
        org = await self.repo.get(org_id)
        if org is None:
            raise _not_found()
        role = await self.repo.role_of(org_id, actor.id)
        if not auth.can_read_organization(actor, role):
            # Not a member: the organisation is not shown, and not confirmed to exist.
            raise _not_found()
        return org, role

    async def create(self, actor: User, name: str, kind: str) -> uuid.UUID:
        name = name.strip()
        if not 2 <= len(name) <= 200:
            raise InvalidInput("A name has 2 to 200 characters.", type_slug="invalid-name")
        org_id = uuid.uuid4()
        await self.repo.insert(org_id, name, kind, actor.id)
        await self.repo.upsert_member(org_id, actor.id, "owner")
        await self.repo.audit(actor.id, "organization.created", "organization", str(org_id))
        await self.outbox.add(
            self.conn,
            OrganizationCreated(
                organization_id=org_id,
                name=name,
                kind=kind,
                created_by=actor.id,
            ),
            OrganizationMemberAdded(organization_id=org_id, user_id=actor.id, role="owner"),
        )
        return org_id

    async def read(self, actor: User, org_id: uuid.UUID) -> tuple[asyncpg.Record, str | None]:
        return await self._visible(actor, org_id)

    async def list_organizations(
        self, actor: User, *, all_: bool, limit: int, after: uuid.UUID | None
    ) -> list[asyncpg.Record]:
        if all_ and not {"admin", "moderator"} & set(actor.roles):
            raise Forbidden(
                "Only moderators and admins list every organisation.", type_slug="staff-only"
            )
        return await self.repo.list_for(None if all_ else actor.id, limit, after)

    async def members(self, actor: User, org_id: uuid.UUID) -> list[asyncpg.Record]:
        await self._visible(actor, org_id)
        return await self.repo.members(org_id)

    async def invite(self, actor: User, org_id: uuid.UUID, email: str, role: str) -> uuid.UUID:
        org, my_role = await self._visible(actor, org_id)
        if not auth.can_invite(actor, my_role):
            raise Forbidden("Only owners invite members.", type_slug="owner-only")
        email = check_email(email)
        now = datetime.now(UTC)
        token = new_secret()
        invitation_id = uuid.uuid4()
        expires = now + timedelta(seconds=self.settings.invitation_ttl)
        await self.repo.add_invitation(
            invitation_id=invitation_id,
            org_id=org_id,
            email_normalized=normalize_email(email),
            role=role,
            token_hash=hash_secret(token),
            invited_by=actor.id,
            expires_at=expires,
        )
        invitee = await AccountRepository(self.conn).by_email(email)
        language = invitee.language if invitee else actor.language
        query = urlencode({"token": token, "lang": language})
        link = f"{self.settings.issuer.rstrip('/')}/invitations?{query}"
        await self.outbox.add(
            self.conn,
            OrganizationInvitationSent(
                organization_id=org_id,
                organization_name=org["name"],
                email=email,
                role=role,
                invited_by=actor.id,
                language=language,
                link=link,
                expires_at=expires,
            ),
        )
        await self.repo.audit(
            actor.id, "organization.invited", "organization", str(org_id), {"role": role}
        )
        return invitation_id

    async def accept(self, actor: User, token: str) -> uuid.UUID:
        row = await self.repo.invitation_by_hash(hash_secret(token))
        now = datetime.now(UTC)
        if row is None or row["accepted_at"] is not None or row["expires_at"] <= now:
            raise Gone(
                "This invitation is not valid: it is wrong, used or expired.",
                type_slug="invitation-invalid",
            )
        if actor.email is None or normalize_email(actor.email) != row["email_normalized"]:
            raise Forbidden(
                "This invitation was sent to another address.", type_slug="invitation-not-yours"
            )
        if actor.email_verified_at is None:
            raise Forbidden(
                "Verify your email address before joining an organisation.",
                type_slug="email-not-verified",
            )
        org_id: uuid.UUID = row["organization_id"]
        await self.repo.accept_invitation(row["id"], actor.id, now)
        current = await self.repo.role_of(org_id, actor.id)
        role = row["role"]
        if current == "owner" and role != "owner":
            role = "owner"  # an invitation never demotes
        if await self.repo.upsert_member(org_id, actor.id, role):
            await self.outbox.add(
                self.conn,
                OrganizationMemberAdded(organization_id=org_id, user_id=actor.id, role=role),
            )
        await self.repo.audit(actor.id, "organization.joined", "organization", str(org_id))
        return org_id

    async def change_role(
        self, actor: User, org_id: uuid.UUID, member_id: uuid.UUID, role: str
    ) -> None:
        _, my_role = await self._visible(actor, org_id)
        member_role = await self.repo.role_of(org_id, member_id)
        if member_role is None:
            raise NotFound("No such member.", type_slug="member-not-found")
        if not (my_role == "owner" or "admin" in actor.roles):
            raise Forbidden("Only owners change roles.", type_slug="owner-only")
        if member_role == "owner" and role != "owner" and await self.repo.owner_count(org_id) <= 1:
            raise Conflict("An organisation keeps at least one owner.", type_slug="last-owner")
        if await self.repo.upsert_member(org_id, member_id, role):
            await self.outbox.add(
                self.conn,
                OrganizationMemberAdded(organization_id=org_id, user_id=member_id, role=role),
            )
            await self.repo.audit(
                actor.id,
                "organization.role_changed",
                "organization",
                str(org_id),
                {"user_id": str(member_id), "role": role},
            )

    async def remove(self, actor: User, org_id: uuid.UUID, member_id: uuid.UUID) -> None:
        _, my_role = await self._visible(actor, org_id)
        member_role = await self.repo.role_of(org_id, member_id)
        if not auth.can_change_member(actor, my_role, member_id, member_role):
            if member_role is None:
                raise NotFound("No such member.", type_slug="member-not-found")
            raise Forbidden("Only owners remove other members.", type_slug="owner-only")
        if member_role == "owner" and await self.repo.owner_count(org_id) <= 1:
            raise Conflict(
                "The last owner cannot leave: make another member owner first.",
                type_slug="last-owner",
            )
        await self.repo.remove_member(org_id, member_id)
        await self.outbox.add(
            self.conn, OrganizationMemberRemoved(organization_id=org_id, user_id=member_id)
        )
        await self.repo.audit(
            actor.id,
            "organization.member_removed",
            "organization",
            str(org_id),
            {"user_id": str(member_id)},
        )

    async def verify(self, actor: User, org_id: uuid.UUID, note: str | None) -> asyncpg.Record:
        if not auth.can_verify_organization(actor):
            raise Forbidden("Only platform admins verify organisations.", type_slug="admin-only")
        org = await self.repo.get(org_id, for_update=True)
        if org is None:
            raise _not_found()
        if org["verified_at"] is not None:
            return org
        await self.repo.verify(org_id, actor.id, datetime.now(UTC))
        details: dict[str, Any] = {"note": note} if note else {}
        await self.repo.audit(
            actor.id, "organization.verified", "organization", str(org_id), details
        )
        await self.outbox.add(
            self.conn,
            OrganizationVerified(
                organization_id=org_id, name=org["name"], kind=org["kind"], verified_by=actor.id
            ),
        )
        updated = await self.repo.get(org_id)
        assert updated is not None
        return updated

    async def audit_trail(self, actor: User, org_id: uuid.UUID) -> list[asyncpg.Record]:
        if not {"admin", "moderator"} & set(actor.roles):
            raise Forbidden(
                "Only moderators and admins read the audit trail.", type_slug="staff-only"
            )
        if await self.repo.get(org_id) is None:
            raise _not_found()
        return await self.repo.audit_of("organization", str(org_id))
