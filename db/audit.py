"""The audit trail: who did what to which case, and when."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import AuditEvent, utcnow


class Action(enum.StrEnum):
    """What was done; stored as text, so other parts may log actions of their own."""

    WORKLIST_VIEW = "worklist.view"
    CASE_VIEW = "case.view"
    SLIDE_VIEW = "slide.view"
    OUTPUT_VIEW = "output.view"
    REVIEW = "review.create"
    EXPORT_RETRY = "export.retry"
    JOB_CANCEL = "job.cancel"
    JOB_RETRY = "job.retry"
    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "logout"
    TOKEN_CREATE = "token.create"  # noqa: S105 - an action name, not a secret
    TOKEN_REVOKE = "token.revoke"  # noqa: S105 - an action name, not a secret


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    case_id: int | None = None,
    slide_id: int | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one audit event to the caller's transaction."""
    event = AuditEvent(
        at=now or utcnow(),
        actor=actor,
        action=str(action),
        case_id=case_id,
        slide_id=slide_id,
        detail=detail,
    )
    session.add(event)
    session.flush()
    return event


def events(
    session: Session,
    *,
    case_id: int | None = None,
    actor: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Audit events, newest first, optionally of one case or one actor."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    return list(session.scalars(query))
