"""The durable job queue: enqueue, claim atomically, report, finish, and recover after a crash.

Every function works inside the caller's transaction and never commits: a worker commits
after each call, so that a claim or a state change is durable before it goes on. A worker
holds a job through a `Lease` (its name, the attempt number and the crash count); a report on a
job that was requeued or reset meanwhile raises LeaseLostError instead of overwriting someone
else's run.

Attempts count only failures of the slide's own analysis. A job found running by recovery (the
service was killed, ran out of memory, lost power) counts a crash instead, with a bound of its
own (`max_crashes`), and a database outage gives the job back without spending anything.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from db.errors import InvalidTransitionError, LeaseLostError, NotFoundError
from db.models import Job, JobState, Result, utcnow
from db.results import ResultValues, UnjudgedValues, add_result, add_unjudged_result
from db.signals import Ready, note

FINAL_STATES = frozenset(
    {JobState.DONE, JobState.FAILED, JobState.NOT_EVALUABLE, JobState.CANCELLED}
)
RETRYABLE_STATES = (JobState.FAILED, JobState.NOT_EVALUABLE, JobState.CANCELLED)


@dataclass(frozen=True)
class Lease:
    """A worker's hold on a running job: valid while the job runs under this worker and attempt."""

    job_id: int
    worker: str
    attempt: int
    crashes: int = 0


@dataclass(frozen=True)
class Recovered:
    """What `requeue_stale` did with jobs whose worker stopped: ids per outcome (`failing`:
    queued for a worker to fail them with their report, see `crashed_out`)."""

    requeued: tuple[int, ...]
    failed: tuple[int, ...]
    cancelled: tuple[int, ...]
    failing: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failing or self.failed or self.cancelled)

    def summary(self) -> str:
        """The counts in words, for a log line."""
        return (
            f"{len(self.requeued)} queued again, {len(self.failing)} queued to fail with their "
            f"report (they stopped the service jobs.max_crashes times), {len(self.failed)} "
            f"failed (they stopped it even then), {len(self.cancelled)} cancelled"
        )


def enqueue(session: Session, slide_id: int, content_key: str, *, max_attempts: int) -> Job:
    """Queue an analysis of a slide's content; the same (slide, key) returns the existing job."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(Job)
        .values(_new_job(slide_id, content_key, max_attempts))
        .on_conflict_do_nothing(index_elements=["slide_id", "content_key"])
    )
    session.execute(statement)
    query = sa.select(Job).where(Job.slide_id == slide_id, Job.content_key == content_key)
    job = session.scalars(query).one()
    if job.state is JobState.QUEUED:
        note(session, Ready.JOB)
    return job


def claim(
    session: Session, worker: str, *, job_id: int | None = None, now: datetime | None = None
) -> Lease | None:
    """Take the oldest due queued job (or job `job_id`, if it is queued and due) for `worker`,
    atomically; None when nothing is due."""
    now = now or utcnow()
    candidate = aliased(Job)
    # One statement: no other worker can take the same row between choosing and updating it.
    # PostgreSQL skips rows that another worker is locking; SQLite serialises writers anyway.
    oldest = (
        sa.select(candidate.id)
        .where(candidate.state == JobState.QUEUED)
        .where(sa.or_(candidate.not_before.is_(None), candidate.not_before <= now))
        .where(sa.true() if job_id is None else candidate.id == job_id)
        .order_by(candidate.queued_at, candidate.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        sa.update(Job)
        .where(Job.id == oldest, Job.state == JobState.QUEUED)
        .values(
            state=JobState.RUNNING,
            worker=worker,
            attempts=Job.attempts + 1,
            progress=0.0,
            stage="starting",
            started_at=now,
            heartbeat_at=now,
            not_before=None,
        )
        .returning(Job.id, Job.attempts, Job.crashes)
    )
    row = _execute(session, statement).first()
    return None if row is None else Lease(row.id, worker, row.attempts, row.crashes)


def report_progress(
    session: Session, lease: Lease, fraction: float, stage: str, *, now: datetime | None = None
) -> bool:
    """Record progress (0..1) and a heartbeat; returns whether someone asked to cancel the job."""
    values = {
        "progress": min(max(fraction, 0.0), 1.0),
        "stage": stage,
        "heartbeat_at": now or utcnow(),
    }
    return bool(_update_held(session, lease, values, Job.cancel_requested))


def heartbeat(session: Session, lease: Lease, *, now: datetime | None = None) -> bool:
    """Say the worker is still on the job; returns whether someone asked to cancel it."""
    return bool(
        _update_held(session, lease, {"heartbeat_at": now or utcnow()}, Job.cancel_requested)
    )


def complete(
    session: Session,
    lease: Lease,
    values: ResultValues,
    destinations: Sequence[str],
    *,
    now: datetime | None = None,
) -> Result:
    """Mark the job done and record its result and pending exports, in one transaction."""
    _finish(session, lease, JobState.DONE, None, now, progress=1.0, stage="done")
    job = session.get(Job, lease.job_id)
    assert job is not None  # _finish just updated it
    if destinations:
        note(session, Ready.EXPORT)
    return add_result(session, job, values, destinations)


def fail(
    session: Session,
    lease: Lease,
    reason: str,
    *,
    retry_after: timedelta | None,
    report: UnjudgedValues | None = None,
    destinations: Sequence[str] = (),
    now: datetime | None = None,
) -> JobState:
    """Record a failed attempt: queued again after `retry_after` while attempts remain, else failed.

    `retry_after=None` fails the job for good (the error will not go away by trying again).
    When the job fails, `report` (the "failed" SR, if any) is recorded as its result with a
    pending export to each destination, like a not-evaluable slide's report.
    """
    now = now or utcnow()
    if retry_after is None:
        state = _finish(session, lease, JobState.FAILED, reason, now)
    else:
        state = _fail_attempt(session, lease, reason, retry_after, now)
    if state is JobState.FAILED and report is not None:
        _add_report(session, lease, report, destinations)
    return state


def mark_not_evaluable(
    session: Session,
    lease: Lease,
    reason: str,
    *,
    report: UnjudgedValues | None = None,
    destinations: Sequence[str] = (),
    now: datetime | None = None,
) -> Result | None:
    """The slide cannot be analysed (no tissue, unreadable): a person must look at it. With the
    report that says so, it is recorded as the job's result and exported like any other."""
    _finish(session, lease, JobState.NOT_EVALUABLE, reason, now)
    return None if report is None else _add_report(session, lease, report, destinations)


def acknowledge_cancel(session: Session, lease: Lease, *, now: datetime | None = None) -> None:
    """The worker stopped a job whose cancellation was requested."""
    _finish(session, lease, JobState.CANCELLED, "cancelled on request", now)


def release(
    session: Session,
    lease: Lease,
    *,
    reason: str | None = None,
    retry_after: timedelta | None = None,
    now: datetime | None = None,
) -> None:
    """Give a running job back to the queue without spending an attempt.

    Without a reason the worker is stopping and the job is due at once; with one (a database
    outage: not the slide's fault) it waits `retry_after` and shows the reason meanwhile.
    """
    values: dict[str, Any] = {
        "state": JobState.QUEUED,
        "worker": None,
        "attempts": Job.attempts - 1,
        "stage": "waiting (worker stopped)" if reason is None else "waiting to try again",
        "progress": 0.0,
    }
    if reason is not None:
        values["reason"] = reason
    if retry_after is not None:
        values["not_before"] = (now or utcnow()) + retry_after
    _update_held(session, lease, values, Job.id)
    if retry_after is None:
        note(session, Ready.JOB)


def cancel(session: Session, job_id: int) -> JobState:
    """Cancel a queued job now, or ask a running one to stop at its next progress report."""
    queued = sa.update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED)
    done = {"state": JobState.CANCELLED, "reason": "cancelled on request", "finished_at": utcnow()}
    if _execute(session, queued.values(done).returning(Job.id)).first() is not None:
        return JobState.CANCELLED
    running = sa.update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING)
    if _execute(session, running.values(cancel_requested=True).returning(Job.id)).first():
        return JobState.RUNNING
    job = get_job(session, job_id)
    raise InvalidTransitionError(
        f"job {job_id} is {job.state}: only queued or running jobs can be cancelled"
    )


def retry(session: Session, job_id: int, *, now: datetime | None = None) -> Job:
    """Queue a failed, not-evaluable or cancelled job again, with its attempts counted afresh."""
    statement = (
        sa.update(Job)
        .where(Job.id == job_id, Job.state.in_(RETRYABLE_STATES))
        .values(_new_job_state(now or utcnow()))
        .returning(Job.id)
    )
    if _execute(session, statement).first() is None:
        job = get_job(session, job_id)
        raise InvalidTransitionError(
            f"job {job_id} is {job.state}: only failed, not-evaluable or cancelled jobs are retried"
        )
    note(session, Ready.JOB)
    return get_job(session, job_id)


def requeue_stale(
    session: Session,
    *,
    heartbeat_before: datetime,
    max_crashes: int,
    now: datetime | None = None,
) -> Recovered:
    """Recover jobs left running by a worker that died (no heartbeat since `heartbeat_before`).

    The service stopping under a job is not the slide's failure: the attempt is given back and
    a crash counted instead. They are queued again until `max_crashes` crashes; at the last the
    job is queued once more for a worker to fail it (the slide probably crashes the process)
    without analysing it, with its "failed" report (`crashed_out`, `crash_reason`); a job that
    crashes even that fails here, without a report. A job already asked to cancel is cancelled.
    At start-up of the single-process service every running job is stale: pass now.
    """
    if max_crashes < 1:
        raise ValueError(f"max_crashes must be at least 1, got {max_crashes}")
    now = now or utcnow()
    stale = sa.and_(
        Job.state == JobState.RUNNING,
        sa.or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < heartbeat_before),
    )
    # A running job holds at least its current attempt, which the crash gives back.
    crashed = {"crashes": Job.crashes + 1, "attempts": Job.attempts - 1}
    cancelled = _recover(
        session,
        sa.and_(stale, Job.cancel_requested),
        {"state": JobState.CANCELLED, "reason": "cancelled on request", "finished_at": now},
    )
    failed = _recover(
        session,
        sa.and_(stale, Job.crashes + 1 > max_crashes),
        {
            **crashed,
            "state": JobState.FAILED,
            "finished_at": now,
            "reason": crash_reason(max_crashes),
        },
    )
    failing = _recover(
        session,
        sa.and_(stale, Job.crashes + 1 == max_crashes),
        {
            **crashed,
            "state": JobState.QUEUED,
            "worker": None,
            "progress": 0.0,
            "stage": "waiting to fail (it crashed the service)",
            "reason": crash_reason(max_crashes),
        },
    )
    requeued = _recover(
        session,
        stale,
        {
            **crashed,
            "state": JobState.QUEUED,
            "worker": None,
            "progress": 0.0,
            "stage": "waiting (worker stopped)",
            "reason": sa.literal("the service stopped while analysing this slide (crash ")
            + sa.cast(Job.crashes + 1, sa.String)
            + f" of at most {max_crashes}); queued again",
        },
    )
    if requeued or failing:
        note(session, Ready.JOB)
    return Recovered(requeued=requeued, failed=failed, cancelled=cancelled, failing=failing)


def crashed_out(lease: Lease, max_crashes: int) -> bool:
    """Whether a claimed job is one that crashed the service `max_crashes` times: its worker
    fails it with `crash_reason` (and its "failed" report) instead of analysing it."""
    return lease.crashes >= max_crashes


def crash_reason(max_crashes: int) -> str:
    """Why a job that crashed the service `max_crashes` times failed, in words."""
    return (
        f"the service stopped (killed, out of memory or crashed) while analysing this slide "
        f"{max_crashes} times (jobs.max_crashes = {max_crashes}); the slide may crash the "
        "service: look at it, then retry the job"
    )


def get_job(session: Session, job_id: int) -> Job:
    """The job with this id, or NotFoundError."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError("job", job_id)
    return job


def list_jobs(
    session: Session, *, states: Sequence[JobState] = (), limit: int = 100, offset: int = 0
) -> list[Job]:
    """Jobs, newest first, optionally only those in `states`."""
    query = sa.select(Job).order_by(Job.id.desc()).limit(limit).offset(offset)
    if states:
        query = query.where(Job.state.in_(states))
    return list(session.scalars(query))


def count_by_state(session: Session) -> dict[JobState, int]:
    """How many jobs are in each state (every state present, zero when none)."""
    rows = session.execute(sa.select(Job.state, sa.func.count()).group_by(Job.state))
    counts = dict.fromkeys(JobState, 0)
    counts.update({JobState(state): number for state, number in rows})
    return counts


def oldest_queued_at(session: Session) -> datetime | None:
    """When the job that has waited longest for a worker was queued (None: nothing queued)."""
    return session.scalar(sa.select(sa.func.min(Job.queued_at)).where(Job.state == JobState.QUEUED))


def _new_job(slide_id: int, content_key: str, max_attempts: int) -> dict[str, Any]:
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    return {
        "slide_id": slide_id,
        "content_key": content_key,
        "max_attempts": max_attempts,
        **_new_job_state(utcnow()),
    }


def _new_job_state(now: datetime) -> dict[str, Any]:
    return {
        "state": JobState.QUEUED,
        "progress": 0.0,
        "stage": "",
        "attempts": 0,
        "crashes": 0,
        "reason": None,
        "worker": None,
        "cancel_requested": False,
        "queued_at": now,
        "not_before": None,
        "started_at": None,
        "heartbeat_at": None,
        "finished_at": None,
    }


def _add_report(
    session: Session, lease: Lease, report: UnjudgedValues, destinations: Sequence[str]
) -> Result:
    job = session.get(Job, lease.job_id)
    assert job is not None  # the caller just finished it
    if destinations:
        note(session, Ready.EXPORT)
    return add_unjudged_result(session, job, report, destinations)


def _fail_attempt(
    session: Session, lease: Lease, reason: str, retry_after: timedelta, now: datetime
) -> JobState:
    retryable = Job.attempts < Job.max_attempts
    values: dict[str, Any] = {
        "state": sa.case(
            (retryable, _typed(JobState.QUEUED, Job.state)),
            else_=_typed(JobState.FAILED, Job.state),
        ),
        "reason": reason,
        "worker": None,
        "not_before": sa.case((retryable, _typed(now + retry_after, Job.not_before))),
        "finished_at": sa.case((retryable, None), else_=_typed(now, Job.finished_at)),
    }
    return JobState(_update_held(session, lease, values, Job.state))


def _finish(
    session: Session,
    lease: Lease,
    state: JobState,
    reason: str | None,
    now: datetime | None,
    **extra: Any,
) -> JobState:
    values = {"state": state, "reason": reason, "finished_at": now or utcnow(), **extra}
    _update_held(session, lease, values, Job.id)
    return state


def _held(lease: Lease) -> sa.ColumnElement[bool]:
    return sa.and_(
        Job.id == lease.job_id,
        Job.state == JobState.RUNNING,
        Job.worker == lease.worker,
        Job.attempts == lease.attempt,
        Job.crashes == lease.crashes,
    )


def _update_held(session: Session, lease: Lease, values: dict[str, Any], returned: Any) -> Any:
    statement = sa.update(Job).where(_held(lease)).values(values).returning(returned)
    row = _execute(session, statement).first()
    if row is None:
        raise LeaseLostError(
            f"job {lease.job_id} (attempt {lease.attempt}) is no longer held by {lease.worker}"
        )
    return row[0]


def _typed(value: Any, column: Any) -> sa.ColumnElement[Any]:
    """A literal bound with the column's type (so enums and UTC timestamps convert as stored)."""
    return sa.literal(value, type_=column.type)


def _recover(
    session: Session, where: sa.ColumnElement[bool], values: dict[str, Any]
) -> tuple[int, ...]:
    statement = sa.update(Job).where(where).values(values).returning(Job.id)
    return tuple(sorted(row.id for row in _execute(session, statement)))


def _execute(session: Session, statement: Any) -> sa.Result[Any]:
    # The ORM refreshes any loaded Job that the statement changed (by the returned keys).
    return session.execute(statement, execution_options={"synchronize_session": "fetch"})
