"""Who am I, and the audit trail (admins)."""

from typing import Annotated

from fastapi import APIRouter, Query

from db import audit
from plugin.web.deps import AdminUser, CurrentUser, SessionDep
from plugin.web.params import Offset, OptionalRowId
from plugin.web.schemas import AuditEventPublic, WhoAmI

router = APIRouter(tags=["access"])


@router.get("/me")
def read_me(user: CurrentUser) -> WhoAmI:
    """The caller's token name and role."""
    return WhoAmI(name=user.name, role=user.role)


@router.get("/audit")
def read_audit(
    session: SessionDep,
    user: AdminUser,
    case_id: OptionalRowId = None,
    actor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[AuditEventPublic]:
    """Audit events, newest first, optionally of one case or one actor."""
    found = audit.events(session, case_id=case_id, actor=actor, limit=limit, offset=offset)
    return [AuditEventPublic.model_validate(event) for event in found]
