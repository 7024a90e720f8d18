"""``/api/v1/me/consents``: the third-party apps I allowed, and taking that back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from identity.accounts.auth import Actor, require_user
from identity.consents.repository import ConsentRepository
from identity.consents.schemas import ConsentRead
from sawt_shared.auth import auth_problem_responses
from sawt_shared.db import DbConnection, DbTransaction
from sawt_shared.errors import NotFound, problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["accounts"])

AccountReader = Annotated[Actor, Depends(require_user("account"))]
AccountWriter = Annotated[Actor, Depends(require_user("account", write=True))]


@router.get(
    "/me/consents",
    response_model=list[ConsentRead],
    responses=auth_problem_responses(),
    summary="The third-party apps I allowed, with what they may do",
)
async def my_consents(actor: AccountReader, conn: DbConnection) -> list[ConsentRead]:
    return [ConsentRead.of(c) for c in await ConsentRepository(conn).of_user(actor.id)]


@router.delete(
    "/me/consents/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**auth_problem_responses(), **problem_responses(NotFound)},
    summary="Withdraw my consent to an app: it is asked again, and its tokens end now",
)
async def withdraw_consent(client_id: str, actor: AccountWriter, conn: DbTransaction) -> None:
    if not await ConsentRepository(conn).withdraw(actor.id, client_id):
        raise NotFound("You have not allowed this app.", type_slug="consent-not-found")
