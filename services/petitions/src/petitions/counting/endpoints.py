"""Admin endpoints of the counts: the folder's state, and a recount on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from petitions.auth import AdminToken
from petitions.bootstrap import PetitionsDep
from petitions.counting import repository
from sawt_shared.auth import auth_problem_responses
from sawt_shared.db import DbConnection

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/admin/counts", tags=["admin"])


class FoldStatus(BaseModel):
    queued: int
    folded_at: datetime
    signatures_folded: int
    last_recount_at: datetime | None


class RecountRead(BaseModel):
    recount_id: int | None
    repairs: list[dict[str, Any]]
    thresholds_fired: list[str]


@router.get("", summary="The folder's progress", responses=auth_problem_responses())
async def fold_status(_: AdminToken, conn: DbConnection) -> FoldStatus:
    state = await repository.fold_state(conn)
    return FoldStatus(
        queued=await repository.queued_rows(conn),
        folded_at=state.folded_at,
        signatures_folded=state.signatures_folded,
        last_recount_at=state.last_recount_at,
    )


@router.post(
    "/recount",
    summary="Recount every petition from its signatures and repair what drifted",
    responses=auth_problem_responses(),
)
async def recount(_: AdminToken, petitions: PetitionsDep) -> RecountRead:
    report = await petitions.folder.recount(wait=True)
    return RecountRead(
        recount_id=report.recount_id,
        repairs=report.repairs,
        thresholds_fired=[f"{t.petition_id}:{t.threshold}" for t in report.thresholds],
    )
