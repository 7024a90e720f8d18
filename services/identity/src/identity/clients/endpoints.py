"""Admin API: register, list, read and revoke OAuth clients."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from identity.accounts.auth import Actor, require_user
from identity.clients.schemas import ClientCreate, ClientCreated, ClientRead
from identity.clients.service import ClientService
from sawt_shared.auth import auth_problem_responses
from sawt_shared.db import DbTransaction
from sawt_shared.errors import Forbidden, InvalidInput, NotFound, problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/admin/clients", tags=["admin"])
_AUTH = auth_problem_responses()


async def _admin(actor: Annotated[Actor, Depends(require_user("admin", write=True))]) -> Actor:
    if not actor.has_role("admin"):
        raise Forbidden("Only platform admins manage clients.", type_slug="admin-only")
    return actor


AdminActor = Annotated[Actor, Depends(_admin)]


def _read(row: Any) -> dict[str, Any]:
    return {
        "client_id": row["client_id"],
        "name": row["name"],
        "kind": row["kind"],
        "redirect_uris": list(row["redirect_uris"]),
        "allowed_scopes": list(row["allowed_scopes"]),
        "grant_types": list(row["grant_types"]),
        "first_party": row["first_party"],
        "created_at": row["created_at"],
        "revoked_at": row["revoked_at"],
    }


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientCreated,
    responses={**_AUTH, **problem_responses(InvalidInput)},
    summary="Register a client (the secret is shown once)",
)
async def register_client(
    body: ClientCreate, actor: AdminActor, conn: DbTransaction
) -> ClientCreated:
    row, secret = await ClientService(conn).register(body, actor.id)
    return ClientCreated(**_read(row), client_secret=secret)


@router.get("", response_model=list[ClientRead], responses=_AUTH, summary="Every client")
async def list_clients(actor: AdminActor, conn: DbTransaction) -> list[ClientRead]:
    return [ClientRead(**_read(r)) for r in await ClientService(conn).list_clients()]


@router.get(
    "/{client_id}",
    response_model=ClientRead,
    responses={**_AUTH, **problem_responses(NotFound)},
    summary="One client",
)
async def read_client(client_id: str, actor: AdminActor, conn: DbTransaction) -> ClientRead:
    return ClientRead(**_read(await ClientService(conn).get(client_id)))


@router.delete(
    "/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_AUTH, **problem_responses(NotFound)},
    summary="Revoke a client and every token issued to it",
)
async def revoke_client(client_id: str, actor: AdminActor, conn: DbTransaction) -> None:
    await ClientService(conn).revoke(client_id, actor.id)
