"""Export bookkeeping: which result goes where, each attempt, and bounded exponential back-off.

The export engine (the DICOM side) asks `due_exports`, sends, and reports each try with
`record_attempt`; the dashboard's retry action calls `retry_export`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from config import ExportSettings
from db.errors import InvalidTransitionError, NotFoundError
from db.models import Export, ExportAttempt, ExportState, utcnow


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
        """How long to wait after the `failures`-th failed try in a row."""
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
    """Pending exports whose next attempt is due (to one destination, if given), oldest first."""
    query = (
        sa.select(Export)
        .where(Export.state == ExportState.PENDING, Export.next_attempt_at <= (now or utcnow()))
        .order_by(Export.next_attempt_at, Export.id)
        .limit(limit)
    )
    if destination is not None:
        query = query.where(Export.destination == destination)
    return list(session.scalars(query))


def record_attempt(
    session: Session,
    export_id: int,
    *,
    started_at: datetime,
    error: str | None,
    backoff: Backoff,
    detail: str | None = None,
    final: bool = False,
    now: datetime | None = None,
) -> Export:
    """Log one try (success when `error` is None) and schedule the next or give up.

    `final`: the failure is one that trying again cannot mend (a refusal, not an outage), so
    the export fails now and waits for a person's retry.
    """
    now = now or utcnow()
    export = get_export(session, export_id)
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
    if error is None:
        export.state, export.delivered_at, export.next_attempt_at = ExportState.DELIVERED, now, None
    elif final or export.attempts >= backoff.max_attempts:
        export.state, export.next_attempt_at = ExportState.FAILED, None
    else:
        export.next_attempt_at = now + backoff.delay(export.attempts)
    session.flush()
    return export


def retry_export(session: Session, export_id: int, *, now: datetime | None = None) -> Export:
    """Try a failed (or waiting) export again now, with a fresh budget of attempts."""
    export = get_export(session, export_id)
    if export.state is ExportState.DELIVERED:
        raise InvalidTransitionError(f"export {export_id} was delivered already")
    export.state, export.attempts, export.next_attempt_at = ExportState.PENDING, 0, now or utcnow()
    session.flush()
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
