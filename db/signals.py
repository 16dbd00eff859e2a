"""Notes, kept on a session, of the work its commit makes ready: a queued job, a due export.

The db layer never wakes anyone itself: the service listens for commits (see plugin.wakeup)
and wakes its idle workers and exporters at once instead of at their next poll. A rollback
drops the notes with the work.
"""

import enum

from sqlalchemy.orm import Session

_KEY = "pathsentry.ready"


class Ready(enum.StrEnum):
    """A kind of work that became ready."""

    JOB = "job"
    EXPORT = "export"


def note(session: Session, ready: Ready) -> None:
    """Remember that this session's commit makes `ready` work available."""
    session.info.setdefault(_KEY, set()).add(ready)


def take(session: Session) -> frozenset[Ready]:
    """The notes of the session's transaction, forgotten as they are returned."""
    return frozenset(session.info.pop(_KEY, ()))
