"""Jobs: progress for everyone; cancel and retry for admins."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from db import audit, jobs
from db.models import JobState
from plugin.web.deps import AdminUser, CurrentUser, SessionDep
from plugin.web.params import Offset, RowId
from plugin.web.schemas import JobPublic

router = APIRouter(tags=["jobs"])

Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/jobs")
def read_jobs(
    session: SessionDep,
    user: CurrentUser,
    state: Annotated[list[JobState] | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[JobPublic]:
    """Jobs, newest first, optionally only those in the given states."""
    found = jobs.list_jobs(session, states=state or (), limit=limit, offset=offset)
    return [JobPublic.model_validate(job) for job in found]


@router.get("/jobs/{job_id}")
def read_job(job_id: RowId, session: SessionDep, user: CurrentUser) -> JobPublic:
    """One job and its progress."""
    return JobPublic.model_validate(jobs.get_job(session, job_id))


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: RowId, session: SessionDep, user: AdminUser) -> JobPublic:
    """Cancel a queued job, or stop a running one at its next progress report."""
    jobs.cancel(session, job_id)
    return _audited(session, user.name, audit.Action.JOB_CANCEL, job_id)


@router.post("/jobs/{job_id}/retry")
def retry_job(job_id: RowId, session: SessionDep, user: AdminUser) -> JobPublic:
    """Queue a failed, not-evaluable or cancelled job again."""
    jobs.retry(session, job_id)
    return _audited(session, user.name, audit.Action.JOB_RETRY, job_id)


def _audited(session: Session, actor: str, action: audit.Action, job_id: int) -> JobPublic:
    job = jobs.get_job(session, job_id)
    audit.record(session, actor, action, case_id=job.slide.case_id, slide_id=job.slide_id)
    session.commit()
    return JobPublic.model_validate(job)
