"""Notes, kept on a session, of the work its commit makes ready: a queued job, a due export.

The db layer never wakes anyone itself: the service listens for commits (see plugin.wakeup)
and wakes its idle workers and exporters at once instead of at their next poll. A rollback
drops the notes with the work. On PostgreSQL a note is also a NOTIFY on the kind's channel,
in the same transaction, so loops of other processes (LISTENing there) wake at its commit
and never before: a rolled-back transaction notifies nobody.
"""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "pathsentry.ready"


class Ready(enum.StrEnum):
    """A kind of work that became ready."""

    JOB = "job"
    EXPORT = "export"

    @property
    def channel(self) -> str:
        """The PostgreSQL NOTIFY channel of this kind of work."""
        return f"pathsentry_{self.value}"


def note(session: Session, ready: Ready) -> None:
    """Remember that this session's commit makes `ready` work available (and NOTIFY it)."""
    noted = _noted(session)
    if ready in noted:
        return
    noted.add(ready)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_notify(ready.channel, "")))


def take(session: Session) -> frozenset[Ready]:
    """The notes of the session's transaction, forgotten as they are returned."""
    noted: tuple[SessionTransaction | None, set[Ready]] = session.info.pop(_KEY, (None, set()))
    return frozenset(noted[1])


def _noted(session: Session) -> set[Ready]:
    """The notes of the session's current transaction (those of an earlier one are stale:
    nobody took them, as in a process whose loops do not listen for commits)."""
    transaction = session.get_transaction()
    noted: tuple[SessionTransaction | None, set[Ready]] | None = session.info.get(_KEY)
    if noted is None or noted[0] is not transaction:
        noted = session.info[_KEY] = (transaction, set())
    return noted[1]
