"""The slide sweeper: completes slides that went quiet, and queues the jobs that had to wait
(content that changed while a job ran, or anything a crash interrupted). Runs on a thread.

A slide that went quiet without any volume image is completed as incomplete: it shows so on
the worklist, with what is missing, for a person to act on (a WARNING says so too)."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from db import slide_completion
from db.models import utcnow
from db.session import Database

log = logging.getLogger(__name__)

MAX_INTERVAL_S = 5.0
MIN_INTERVAL_S = 0.05


@dataclass(frozen=True)
class Sweep:
    """What one pass did: slides completed after their quiet period, and jobs it queued."""

    completed: tuple[int, ...]
    queued_jobs: tuple[int, ...]


class SlideSweeper:
    """Sweeps every few seconds (a quarter of the quiet period, at most MAX_INTERVAL_S)."""

    def __init__(
        self,
        database: Database,
        *,
        quiet_period: timedelta,
        max_attempts: int,
        on_job_queued: Callable[[int], None] | None = None,
    ) -> None:
        self._database = database
        self._on_job_queued = on_job_queued
        self._quiet_period = quiet_period
        self._max_attempts = max_attempts
        seconds = quiet_period.total_seconds() / 4
        self.interval_s = min(max(seconds, MIN_INTERVAL_S), MAX_INTERVAL_S)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Sweep once now, then on a thread until `stop`."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="slide-sweeper", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the current pass."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def sweep(self, now: datetime | None = None) -> Sweep:
        """One pass: complete quiet slides, then queue what awaits a job (each in its own
        transaction, so one bad slide does not hold up the rest)."""
        now = now or utcnow()
        quiet_since = now - self._quiet_period
        with self._database.session() as session:
            quiet = slide_completion.quiet_slides(session, quiet_since=quiet_since)
        completed = tuple(s for s in quiet if self._complete(s, quiet_since, now))
        with self._database.session() as session:
            waiting = slide_completion.slides_awaiting_job(session)
        queued = tuple(job for s in waiting if (job := self._queue(s)) is not None)
        return Sweep(completed, queued)

    def _complete(self, slide_id: int, quiet_since: datetime, now: datetime) -> bool:
        with self._database.session() as session:
            done = slide_completion.complete_slide(
                session, slide_id, quiet_since=quiet_since, now=now
            )
            missing = slide_completion.missing_images_of(session, [slide_id]) if done else {}
            session.commit()
        if slide_id in missing:
            log.warning(
                "slide %d incomplete: nothing arrived for %s and %s; it needs a person's "
                "attention (it completes if the rest arrives)",
                slide_id,
                self._quiet_period,
                missing[slide_id],
            )
        elif done:
            log.info("slide %d complete: nothing arrived for %s", slide_id, self._quiet_period)
        return done

    def _queue(self, slide_id: int) -> int | None:
        with self._database.session() as session:
            job = slide_completion.ensure_job(session, slide_id, max_attempts=self._max_attempts)
            job_id = None if job is None else job.id
            session.commit()
        if job_id is not None:
            log.info("slide %d: job %d queued for its content", slide_id, job_id)
            if self._on_job_queued is not None:
                self._on_job_queued(job_id)
        return job_id

    def _run(self) -> None:
        while True:
            try:
                self.sweep()
            except Exception:  # the thread's boundary: log, and sweep again later
                log.exception("the slide sweep failed; trying again in %.1f s", self.interval_s)
            if self._stopping.wait(self.interval_s):
                return
