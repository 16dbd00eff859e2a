"""What a distributed installation's reconciler reads: the queued jobs that are due now, and
when each last ran (a message published before that run was consumed by it)."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Job, JobState, utcnow


@dataclass(frozen=True)
class DueJob:
    """A queued job a worker may claim now; `last_ran_at` is its last heartbeat (None: never)."""

    job_id: int
    last_ran_at: datetime | None


def due_jobs(session: Session, *, now: datetime | None = None) -> list[DueJob]:
    """Queued jobs whose retry delay (if any) has passed, oldest first."""
    now = now or utcnow()
    query = (
        sa.select(Job.id, Job.heartbeat_at)
        .where(Job.state == JobState.QUEUED)
        .where(sa.or_(Job.not_before.is_(None), Job.not_before <= now))
        .order_by(Job.queued_at, Job.id)
    )
    return [DueJob(row.id, row.heartbeat_at) for row in session.execute(query)]
