"""Wake idle workers and exporters of this process as soon as a commit makes work ready.

The db functions note on their session what their commit makes ready (db.signals: a queued job,
a due export); `Wakeup.listen` rings, after each commit, the bells of the loops waiting for
that kind of work. A loop still polls at its interval: the bell only cuts the wait short, so
work committed by another process (or a missed ring) is found at the next poll as before.

Across processes (roles split over processes, or a Celery worker recording a result) on
PostgreSQL, `Listener` rings the same bells when another process's commit NOTIFYs: one
LISTEN connection per process, reconnected after a database outage.
"""

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.orm import Session

from db import signals
from db.errors import ListenError
from db.session import Database

if TYPE_CHECKING:
    from db.notifications import Notifications

log = logging.getLogger(__name__)

# The listener's longest wait for a notification: how soon it sees that it should stop.
LISTEN_WAIT_S = 1.0


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

    def ring_all(self) -> None:
        """Wake every loop (work may have been made ready while nobody listened)."""
        for ready in signals.Ready:
            self.ring(ready)

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


class Listener:
    """Rings `wakeup`'s bells when another process's commit NOTIFYs, on its own thread.

    After losing the connection it tries again every `retry_s`, and rings every bell once
    it listens again (what was notified meanwhile is lost; the loops' polls find it too).
    """

    def __init__(self, wakeup: Wakeup, database: Database, *, retry_s: float) -> None:
        self._wakeup = wakeup
        self._database = database
        self._retry_s = retry_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.connections = 0  # LISTEN connections opened so far (a reconnect adds one)
        # The current connection, once it listens (and, after a reconnect, has rung every bell).
        self.notifications: Notifications | None = None

    def start(self) -> None:
        """Start listening on a thread of its own."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="listen", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop within about `LISTEN_WAIT_S`."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        lost = False
        while not self._stopping.is_set():
            opened = self.connections
            try:
                self._listen(ring_first=lost)
            except ListenError as error:
                # Once per outage: while the database stays down each retry fails the same way.
                level = logging.WARNING if self.connections > opened or not lost else logging.DEBUG
                log.log(level, "cross-process wake-ups paused (polls continue): %s", error)
            except Exception:  # a thread boundary: log it and keep listening
                log.exception("cross-process wake-ups failed unexpectedly; listening again")
            lost = True
            self._stopping.wait(self._retry_s)

    def _listen(self, *, ring_first: bool) -> None:
        # Imported here: psycopg is the optional `postgres` extra, absent from SQLite installs.
        from db.notifications import Notifications

        notifications = Notifications(self._database)
        self.connections += 1
        try:
            if ring_first:
                log.info("cross-process wake-ups resumed")
                self._wakeup.ring_all()
            self.notifications = notifications
            while not self._stopping.is_set():
                for ready in notifications.wait(LISTEN_WAIT_S):
                    self._wakeup.ring(ready)
        finally:
            self.notifications = None
            notifications.close()
