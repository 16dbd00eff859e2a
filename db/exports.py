"""Export bookkeeping: which result goes where, each attempt, and bounded exponential back-off.

An exporter takes one due export with `claim_export` (a row lock, then a hold recorded on the
row, so any number of exporters share the work and never send one export twice at the same
time), sends it, and reports the try with `record_attempt`; the dashboard's retry action calls
`retry_export`. An export whose attempts are used up is not dropped: it is flagged overdue (an
alert) and still tried at the longest back-off, and all of its destination's waiting exports
are due again as soon as one delivery to it succeeds.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from config import ExportSettings
from db.errors import InvalidTransitionError, LeaseLostError, NotFoundError
from db.models import Export, ExportAttempt, ExportState, utcnow
from db.signals import Ready, note


@dataclass(frozen=True)
class Backoff:
    """Delays between tries: doubling from `initial_s`, capped at `max_s`, `max_attempts` tries."""

    initial_s: float
    max_s: float
    max_attempts: int

    @classmethod
    def from_settings(cls, settings: ExportSettings) -> "Backoff":
        """The back-off that the `export` settings section describes."""
        return cls(settings.initial_backoff_s, settings.max_backoff_s, settings.max_attempts)

    def delay(self, failures: int) -> timedelta:
        """How long to wait after the `failures`-th failed try in a row (the cap once overdue)."""
        if failures >= self.max_attempts:
            return timedelta(seconds=self.max_s)
        exponent = min(max(failures - 1, 0), 62)  # beyond this the cap applies anyway
        return timedelta(seconds=min(self.max_s, self.initial_s * 2.0**exponent))


def get_export(session: Session, export_id: int) -> Export:
    """The export with this id, or NotFoundError."""
    export = session.get(Export, export_id)
    if export is None:
        raise NotFoundError("export", export_id)
    return export


def due_exports(
    session: Session,
    *,
    destination: str | None = None,
    now: datetime | None = None,
    limit: int = 100,
) -> list[Export]:
    """Pending exports whose next attempt is due and that no exporter holds (to one destination,
    if given), oldest first."""
    query = (
        sa.select(Export)
        .where(_due(Export, now or utcnow()))
        .order_by(Export.next_attempt_at, Export.id)
        .limit(limit)
    )
    if destination is not None:
        query = query.where(Export.destination == destination)
    return list(session.scalars(query))


def claim_export(
    session: Session,
    exporter: str,
    *,
    destination: str,
    hold: timedelta,
    now: datetime | None = None,
) -> Export | None:
    """Take the oldest due export to `destination` for `exporter`, atomically, for `hold`.

    One statement: PostgreSQL skips rows another exporter is locking (FOR UPDATE SKIP LOCKED)
    and SQLite serialises writers, and the update re-checks that the row is still free. The
    hold outlives the transaction (sending takes minutes), and lapses if the exporter dies.
    """
    now = now or utcnow()
    candidate = aliased(Export)
    oldest = (
        sa.select(candidate.id)
        .where(_due(candidate, now), candidate.destination == destination)
        .order_by(candidate.next_attempt_at, candidate.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        sa.update(Export)
        .where(Export.id == oldest, _due(Export, now))
        .values(claimed_by=exporter, claimed_until=now + hold)
        .returning(Export.id)
    )
    row = session.execute(statement, execution_options={"synchronize_session": "fetch"}).first()
    return None if row is None else get_export(session, row.id)


def release_claims(session: Session) -> int:
    """Free every hold (at start-up of the only process that exports: its holders are gone)."""
    statement = (
        sa.update(Export)
        .where(Export.claimed_by.is_not(None))
        .values(claimed_by=None, claimed_until=None)
        .returning(Export.id)
    )
    options = {"synchronize_session": "fetch"}
    freed = len(session.execute(statement, execution_options=options).all())
    if freed:
        note(session, Ready.EXPORT)
    return freed


def record_attempt(
    session: Session,
    export_id: int,
    *,
    started_at: datetime,
    error: str | None,
    backoff: Backoff,
    detail: str | None = None,
    final: bool = False,
    claimed_by: str | None = None,
    now: datetime | None = None,
) -> Export:
    """Log one try (success when `error` is None) and schedule the next, and free the hold.

    `final`: the failure is one that trying again cannot mend (a refusal, not an outage), so
    the export fails now and waits for a person's retry. Other failures are retried; once
    `backoff.max_attempts` are used up the export is overdue and retried at the longest delay.
    `claimed_by`: the exporter that claimed it; LeaseLostError if its hold was lost meanwhile.
    """
    now = now or utcnow()
    export = get_export(session, export_id)
    if claimed_by is not None and export.claimed_by != claimed_by:
        raise LeaseLostError(f"export {export_id} is no longer held by {claimed_by}")
    if export.state is not ExportState.PENDING:
        raise InvalidTransitionError(f"export {export_id} is {export.state}, not pending")
    export.attempt_log.append(
        ExportAttempt(
            started_at=started_at,
            finished_at=now,
            success=error is None,
            error=error,
            detail=detail,
        )
    )
    export.attempts += 1
    export.last_error = error
    export.claimed_by, export.claimed_until = None, None
    if error is None:
        export.state, export.delivered_at, export.next_attempt_at = ExportState.DELIVERED, now, None
        export.overdue_since = None
        _resume_destination(session, export.destination, now)
    elif final:
        export.state, export.next_attempt_at = ExportState.FAILED, None
    else:
        export.next_attempt_at = now + backoff.delay(export.attempts)
        if export.attempts >= backoff.max_attempts and export.overdue_since is None:
            export.overdue_since = now
    session.flush()
    return export


def retry_export(session: Session, export_id: int, *, now: datetime | None = None) -> Export:
    """Try a failed (or waiting) export again now, with a fresh budget of attempts."""
    export = get_export(session, export_id)
    if export.state is ExportState.DELIVERED:
        raise InvalidTransitionError(f"export {export_id} was delivered already")
    export.state, export.attempts, export.next_attempt_at = ExportState.PENDING, 0, now or utcnow()
    export.overdue_since = None
    session.flush()
    note(session, Ready.EXPORT)
    return export


def list_exports(
    session: Session, *, state: ExportState | None = None, limit: int = 100, offset: int = 0
) -> list[Export]:
    """Exports, newest first, optionally only those in `state`."""
    query = sa.select(Export).order_by(Export.id.desc()).limit(limit).offset(offset)
    if state is not None:
        query = query.where(Export.state == state)
    return list(session.scalars(query))


def count_by_state(session: Session) -> dict[ExportState, int]:
    """How many exports are in each state (every state present)."""
    rows = session.execute(sa.select(Export.state, sa.func.count()).group_by(Export.state))
    counts = dict.fromkeys(ExportState, 0)
    counts.update({ExportState(state): number for state, number in rows})
    return counts


def overdue_by_destination(session: Session, destinations: Sequence[str] = ()) -> dict[str, int]:
    """How many exports are overdue (attempts used up, still retried) per destination; every
    name in `destinations` is present, zero when none is overdue."""
    query = (
        sa.select(Export.destination, sa.func.count())
        .where(Export.state == ExportState.PENDING, Export.overdue_since.is_not(None))
        .group_by(Export.destination)
    )
    counts = dict.fromkeys(destinations, 0)
    counts.update({destination: number for destination, number in session.execute(query)})
    return counts


def failed_attempts(session: Session) -> int:
    """How many export tries have failed, ever (attempts are never deleted: a counter)."""
    query = sa.select(sa.func.count()).select_from(ExportAttempt).where(~ExportAttempt.success)
    return int(session.scalar(query) or 0)


def summarise(states: list[ExportState]) -> ExportState | None:
    """One state for several destinations: failed beats pending beats delivered; None if none."""
    for state in (ExportState.FAILED, ExportState.PENDING, ExportState.DELIVERED):
        if state in states:
            return state
    return None


def _due(export: Any, now: datetime) -> sa.ColumnElement[bool]:
    """Pending, its next try due, and held by no exporter (or by one whose hold lapsed)."""
    return sa.and_(
        export.state == ExportState.PENDING,
        export.next_attempt_at <= now,
        sa.or_(export.claimed_until.is_(None), export.claimed_until <= now),
    )


def _resume_destination(session: Session, destination: str, now: datetime) -> None:
    """The destination answers again: its exports waiting out a back-off are due now."""
    statement = (
        sa.update(Export)
        .where(
            Export.destination == destination,
            Export.state == ExportState.PENDING,
            Export.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
        .returning(Export.id)
    )
    resumed = session.execute(statement, execution_options={"synchronize_session": "fetch"})
    if resumed.first() is not None:
        note(session, Ready.EXPORT)
