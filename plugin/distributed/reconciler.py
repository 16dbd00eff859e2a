"""The reconciler: the database says which jobs are queued, the broker holds their messages;
it publishes what is missing (never published, run and queued again, or lost by a broker
outage) and recovers jobs whose worker stopped sending heartbeats. Runs on the ingest role."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from db import jobs
from db.dispatch import DueJob, due_jobs
from db.models import utcnow
from db.session import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reconciliation:
    """What one pass did: jobs recovered from dead workers, messages published, and failed."""

    recovered: jobs.Recovered
    published: tuple[int, ...]
    unpublished: tuple[int, ...]


class Reconciler:
    """Publishes queued jobs whose message is missing or stale; `job_queued` runs a pass now."""

    def __init__(
        self,
        database: Database,
        publish: Callable[[int], bool],
        *,
        stale_after: timedelta,
        republish_after: timedelta,
        interval_s: float,
        max_crashes: int = 5,
    ) -> None:
        self._database = database
        self._max_crashes = max_crashes
        self._publish = publish
        self._stale_after = stale_after
        self._republish_after = republish_after
        self._interval_s = interval_s
        self._published: dict[int, datetime] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def job_queued(self, job_id: int) -> None:
        """A job was queued (and committed): publish it without waiting for the next pass."""
        log.debug("job %d queued: reconciling now", job_id)
        self._wake.set()

    def reconcile(self, now: datetime | None = None) -> Reconciliation:
        """One pass: recover jobs without a heartbeat, then publish what lacks a message."""
        now = now or utcnow()
        with self._database.session() as session:
            recovered = jobs.requeue_stale(
                session,
                heartbeat_before=now - self._stale_after,
                max_crashes=self._max_crashes,
                now=now,
            )
            session.commit()
            due = due_jobs(session, now=now)
        _log_recovered(recovered)
        self._forget_all_but({job.job_id for job in due})
        wanted = [job.job_id for job in due if self._needs_message(job, now)]
        published = self._send_until_refused(wanted, now)
        return Reconciliation(recovered, published, tuple(wanted[len(published) :]))

    def start(self) -> None:
        """Reconcile now, then on a thread: every `interval_s`, and whenever woken."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="job-reconciler", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the current pass."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _needs_message(self, job: DueJob, now: datetime) -> bool:
        sent = self._published.get(job.job_id)
        if sent is None:
            return True
        ran_since = job.last_ran_at is not None and job.last_ran_at >= sent
        return ran_since or now - sent >= self._republish_after

    def _send_until_refused(self, wanted: list[int], now: datetime) -> tuple[int, ...]:
        """Publish in order; the first refusal means the broker is down: the rest wait."""
        published: list[int] = []
        for job_id in wanted:
            if not self._publish(job_id):
                break
            self._published[job_id] = now
            published.append(job_id)
        return tuple(published)

    def _forget_all_but(self, queued: set[int]) -> None:
        for job_id in set(self._published) - queued:
            del self._published[job_id]

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                done = self.reconcile()
            except Exception:  # the thread's boundary: a database outage must not end it
                log.exception("job reconciliation failed; trying again in %.1f s", self._interval_s)
            else:
                if done.unpublished:
                    log.warning("%d queued jobs wait for the broker", len(done.unpublished))
            self._wake.wait(self._interval_s)


def _log_recovered(recovered: jobs.Recovered) -> None:
    if recovered:
        log.warning("recovered jobs without a heartbeat: %s", recovered.summary())
