"""Exports: their state per destination, and the retry action."""

from typing import Annotated

from fastapi import APIRouter, Query

from db import exports
from db.models import ExportState
from plugin.web import actions
from plugin.web.deps import CurrentUser, PathologistUser, SessionDep
from plugin.web.params import Offset, RowId
from plugin.web.schemas import ExportPublic

router = APIRouter(tags=["exports"])


@router.get("/exports")
def read_exports(
    session: SessionDep,
    user: CurrentUser,
    state: ExportState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[ExportPublic]:
    """Exports, newest first, optionally only those in one state."""
    found = exports.list_exports(session, state=state, limit=limit, offset=offset)
    return [ExportPublic.model_validate(export) for export in found]


@router.post("/exports/{export_id}/retry")
def retry_export(export_id: RowId, session: SessionDep, user: PathologistUser) -> ExportPublic:
    """Send a failed (or waiting) export again now, with a fresh budget of attempts."""
    export = actions.retry_export(session, user.name, export_id)
    return ExportPublic.model_validate(export)
