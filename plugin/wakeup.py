"""Wake idle workers and exporters of this process as soon as a commit makes work ready.

The db functions note on their session what their commit makes ready (db.signals: a queued job,
a due export); `Wakeup.listen` rings, after each commit, the bells of the loops waiting for
that kind of work. A loop still polls at its interval: the bell only cuts the wait short, so
work committed by another process (or a missed ring) is found at the next poll as before.
"""

import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

from db import signals
from db.session import Database


class Bell:
    """One loop's wake-up: `wait` returns early when rung, or when the loop is stopping."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def ring(self) -> None:
        """Cut the current (or next) wait short."""
        self._event.set()

    def wait(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s`; True when rung. Each ring wakes one wait."""
        rung = self._event.wait(timeout_s)
        self._event.clear()
        return rung


class Wakeup:
    """The bells of this process's loops, per kind of work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bells: dict[signals.Ready, list[Bell]] = {ready: [] for ready in signals.Ready}

    def bell(self, ready: signals.Ready) -> Bell:
        """A new bell, rung whenever work of kind `ready` is committed."""
        bell = Bell()
        with self._lock:
            self._bells[ready].append(bell)
        return bell

    def ring(self, ready: signals.Ready) -> None:
        """Wake every loop waiting for work of kind `ready`."""
        with self._lock:
            bells = list(self._bells[ready])
        for bell in bells:
            bell.ring()

    def listen(self, database: Database) -> None:
        """Ring after each commit of `database`'s sessions that made work ready."""
        event.listen(database.sessions, "after_commit", self._after_commit)
        event.listen(database.sessions, "after_rollback", signals.take)

    def _after_commit(self, session: Session) -> None:
        for ready in signals.take(session):
            self.ring(ready)
