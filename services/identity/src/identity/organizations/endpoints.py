"""Organisations API: create, read, list, members, invitations, verification."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from identity.accounts.auth import Actor, require_user
from identity.bootstrap import IdentityDep
from identity.organizations.schemas import (
    AuditEntry,
    InvitationAccept,
    InvitationCreate,
    InvitationRead,
    MemberRead,
    MemberUpdate,
    OrganizationCreate,
    OrganizationList,
    OrganizationRead,
    VerificationCreate,
)
from identity.organizations.service import OrganizationService
from sawt_shared.app import RuntimeDep
from sawt_shared.auth import auth_problem_responses
from sawt_shared.db import DbTransaction
from sawt_shared.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound, problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["organizations"])

Member = Annotated[Actor, Depends(require_user("organizations", write=True))]
Admin = Annotated[Actor, Depends(require_user("admin", write=True))]
_AUTH = auth_problem_responses()


def _service(
    conn: DbTransaction, identity: IdentityDep, runtime: RuntimeDep
) -> OrganizationService:
    """The service, on the request's transaction."""
    return OrganizationService(conn, identity.settings, runtime.outbox)


Organizations = Annotated[OrganizationService, Depends(_service)]


def _read(org: Any, my_role: str | None = None) -> OrganizationRead:
    return OrganizationRead(
        id=org["id"],
        name=org["name"],
        kind=org["kind"],
        verified=org["verified_at"] is not None,
        verified_at=org["verified_at"],
        created_at=org["created_at"],
        my_role=my_role,
    )


@router.post(
    "/organizations",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganizationRead,
    responses={**_AUTH, **problem_responses(InvalidInput)},
    summary="Create an organisation (its creator becomes owner)",
)
async def create_organization(
    body: OrganizationCreate,
    actor: Member,
    service: Organizations,
) -> OrganizationRead:
    org_id = await service.create(actor.user, body.name, body.kind)
    org, role = await service.read(actor.user, org_id)
    return _read(org, role)


@router.get(
    "/organizations",
    response_model=OrganizationList,
    responses=_AUTH,
    summary="My organisations (every organisation with all=true, for staff)",
)
async def list_organizations(
    actor: Member,
    service: Organizations,
    all: Annotated[bool, Query(description="Every organisation (moderators, admins).")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        uuid.UUID | None, Query(description="next_cursor of the previous page")
    ] = None,
) -> OrganizationList:
    rows = await service.list_organizations(actor.user, all_=all, limit=limit + 1, after=cursor)
    items = [_read(r, r["my_role"]) for r in rows[:limit]]
    return OrganizationList(
        items=items, next_cursor=str(items[-1].id) if len(rows) > limit else None
    )


@router.get(
    "/organizations/{org_id}",
    response_model=OrganizationRead,
    responses={**_AUTH, **problem_responses(NotFound)},
    summary="An organisation (members, moderators, admins)",
)
async def read_organization(
    org_id: uuid.UUID,
    actor: Member,
    service: Organizations,
) -> OrganizationRead:
    org, role = await service.read(actor.user, org_id)
    return _read(org, role)


@router.get(
    "/organizations/{org_id}/members",
    response_model=list[MemberRead],
    responses={**_AUTH, **problem_responses(NotFound)},
    summary="Members of an organisation",
)
async def list_members(
    org_id: uuid.UUID,
    actor: Member,
    service: Organizations,
) -> list[MemberRead]:
    rows = await service.members(actor.user, org_id)
    return [
        MemberRead(
            user_id=r["user_id"],
            display_name=r["display_name"],
            role=r["role"],
            since=r["created_at"],
        )
        for r in rows
    ]


@router.post(
    "/organizations/{org_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationRead,
    responses={**_AUTH, **problem_responses(NotFound, InvalidInput)},
    summary="Invite someone by email (owners)",
)
async def invite(
    org_id: uuid.UUID,
    body: InvitationCreate,
    actor: Member,
    conn: DbTransaction,
    identity: IdentityDep,
    runtime: RuntimeDep,
) -> InvitationRead:
    await runtime.limiter.hit("50/hour", "invite", str(actor.id), what="invitations")
    invitation_id = await _service(conn, identity, runtime).invite(
        actor.user, org_id, body.email, body.role
    )
    return InvitationRead(id=invitation_id)


@router.post(
    "/invitations/accept",
    response_model=OrganizationRead,
    responses={**_AUTH, **problem_responses(Gone)},
    summary="Accept an invitation sent to my (verified) address",
)
async def accept_invitation(
    body: InvitationAccept,
    actor: Member,
    service: Organizations,
) -> OrganizationRead:
    org_id = await service.accept(actor.user, body.token)
    org, role = await service.read(actor.user, org_id)
    return _read(org, role)


@router.patch(
    "/organizations/{org_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_AUTH, **problem_responses(NotFound, Conflict)},
    summary="Change a member's role (owners)",
)
async def change_member(
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberUpdate,
    actor: Member,
    service: Organizations,
) -> None:
    await service.change_role(actor.user, org_id, user_id, body.role)


@router.delete(
    "/organizations/{org_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_AUTH, **problem_responses(NotFound, Conflict)},
    summary="Remove a member (owners), or leave (oneself)",
)
async def remove_member(
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    actor: Member,
    service: Organizations,
) -> None:
    await service.remove(actor.user, org_id, user_id)


@router.post(
    "/organizations/{org_id}/verification",
    response_model=OrganizationRead,
    responses={**_AUTH, **problem_responses(NotFound, Forbidden)},
    summary="Verify an organisation (platform admins; audited)",
)
async def verify_organization(
    org_id: uuid.UUID,
    body: VerificationCreate,
    actor: Admin,
    service: Organizations,
) -> OrganizationRead:
    org = await service.verify(actor.user, org_id, body.note)
    return _read(org)


@router.get(
    "/organizations/{org_id}/audit",
    response_model=list[AuditEntry],
    responses={**_AUTH, **problem_responses(NotFound)},
    summary="The audit trail of an organisation (moderators, admins)",
)
async def organization_audit(
    org_id: uuid.UUID,
    actor: Member,
    service: Organizations,
) -> list[AuditEntry]:
    rows = await service.audit_trail(actor.user, org_id)
    return [
        AuditEntry(at=r["at"], actor_id=r["actor_id"], action=r["action"], details=r["details"])
        for r in rows
    ]
