"""GET /api/worklist: cases in priority order."""

from typing import Annotated

from fastapi import APIRouter, Query

from db import audit
from db.models import utcnow
from db.worklist import worklist
from plugin.web.deps import CurrentUser, SessionDep, SettingsDep
from plugin.web.presenters import worklist_public
from plugin.web.schemas import WorklistPublic, WorklistQuery

router = APIRouter(tags=["worklist"])


@router.get("/worklist")
def read_worklist(
    query: Annotated[WorklistQuery, Query()],
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> WorklistPublic:
    """Cases in priority order: suspicious first (highest first), flagged, in analysis, the rest."""
    page = worklist(
        session,
        settings.triage.threshold,
        query.to_filter(),
        limit=query.limit,
        offset=query.offset,
    )
    audit.record(session, user.name, audit.Action.WORKLIST_VIEW, detail="api")
    session.commit()
    return worklist_public(page, utcnow())
