"""The workers of one process (one per device) and their upkeep: recovery and heartbeats.

At start the devices are warmed up one after another (cuDNN's kernel choice, compilation: the
first compiles, the next reuse its cache), each worker starting as soon as its device is warm,
so that no job pays for it; meanwhile the analysis role's health says "warming up".
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from config import Settings
from db import jobs
from db.errors import LeaseLostError
from db.models import utcnow
from db.session import Database
from db.signals import Ready
from inference.device_failure import breaks_device
from plugin.analysis.contract import Pipeline
from plugin.analysis.failures import DeviceLoss, classify
from plugin.analysis.job_run import worker_config
from plugin.analysis.runner import Worker
from plugin.health import OK, WARMING
from plugin.metrics import ServiceMetrics
from plugin.wakeup import Wakeup

log = logging.getLogger(__name__)

WarmUp = Callable[[str], bool]
"""Warms a device up before its first job; False when it needed nothing."""


class WorkerPool:
    """Starts `inference.slides_in_flight` workers per device (their jobs take turns on it, see
    plugin.analysis.pipeline), recovers abandoned jobs, and keeps heartbeats going."""

    def __init__(
        self,
        database: Database,
        pipeline: Pipeline,
        settings: Settings,
        *,
        devices: Sequence[str],
        metrics: ServiceMetrics | None = None,
        wakeup: Wakeup | None = None,
        warm_up: WarmUp | None = None,
    ) -> None:
        prefix = f"{socket.gethostname()}:{os.getpid()}"
        self._database = database
        self._stale_after = timedelta(seconds=settings.jobs.stale_after_s)
        self._max_crashes = settings.jobs.max_crashes
        self._stopping = threading.Event()
        self._upkeep: threading.Thread | None = None
        self._warm_up = warm_up
        self._starter: threading.Thread | None = None
        slots = settings.inference.slides_in_flight
        losses = {
            device: DeviceLoss() for device in devices
        }  # one per device: all its workers stop
        self.workers = tuple(
            Worker(
                database,
                pipeline,
                worker_config(settings, _name(prefix, device, slot), device),
                metrics=metrics,
                bell=None if wakeup is None else wakeup.bell(Ready.JOB),
                device_loss=loss,
            )
            for device, loss in losses.items()
            for slot in range(slots)
        )

    @property
    def alive(self) -> bool:
        """Whether every worker is running."""
        return bool(self.workers) and all(worker.alive for worker in self.workers)

    def health(self) -> str:
        """ok; warming up; or why a worker takes no jobs (the first such worker's reason)."""
        states = [worker.health for worker in self.workers]
        failing = [state for state in states if state not in (OK, WARMING)]
        if failing or not states:
            return failing[0] if failing else "no worker"
        return WARMING if WARMING in states else OK

    def start(self, *, take_over_running: bool = True) -> jobs.Recovered:
        """Recover abandoned jobs, then start the workers and their upkeep.

        `take_over_running`: every job marked running was left by a process that is gone
        (true when this is the only process with workers on this database); otherwise only
        jobs without a heartbeat for `jobs.stale_after_s` are recovered.
        """
        recovered = self.recover(all_running=take_over_running)
        self._stopping.clear()
        if self._warm_up is None:
            for worker in self.workers:
                worker.start()
        else:
            for worker in self.workers:
                worker.warming = True
            self._starter = threading.Thread(
                target=self._start_workers, name="warm-up", daemon=True
            )
            self._starter.start()
        self._upkeep = threading.Thread(target=self._upkeep_loop, name="job-upkeep", daemon=True)
        self._upkeep.start()
        return recovered

    def stop(self, timeout: float | None = None) -> None:
        """Stop the workers (their running jobs go back to the queue) and the upkeep."""
        self._stopping.set()
        if self._starter is not None:
            self._starter.join(timeout)
        for worker in self.workers:
            worker.stop(timeout)
        if self._upkeep is not None:
            self._upkeep.join(timeout)

    def _start_workers(self) -> None:
        """Warm each device up in turn, starting its workers when it is warm."""
        warm_up = self._warm_up
        assert warm_up is not None
        for device in dict.fromkeys(worker.device for worker in self.workers):
            if self._stopping.is_set():
                return
            group = [worker for worker in self.workers if worker.device == device]
            failed = self._warm(device, warm_up)
            for worker in group:
                if failed is None:
                    worker.start()
                elif breaks_device(failed):
                    worker.lose_device(classify(failed).reason)
                else:
                    worker.not_started = f"warm-up failed: {classify(failed).reason}"
                worker.warming = False

    def _warm(self, device: str, warm_up: WarmUp) -> Exception | None:
        """Warm `device` up; the error when it failed (its workers then stay down)."""
        started = time.monotonic()
        log.info("warming up %s before its first job", device)
        try:
            needed = warm_up(device)
        except Exception as error:  # the warm-up's boundary: the workers stay down, saying why
            log.error(
                "warming up %s failed, so its workers take no jobs: %s; fix the cause "
                "(inference settings, GPU, compiler) and restart the process",
                device,
                classify(error).reason,
                exc_info=True,
            )
            return error
        if needed:
            log.info("%s is warm (%.1f s)", device, time.monotonic() - started)
        else:
            log.info("%s needs no warm-up", device)
        return None

    def recover(self, *, all_running: bool = False) -> jobs.Recovered:
        """Queue again (or fail, after `jobs.max_crashes`) the jobs of workers that died."""
        now = utcnow()
        before = now if all_running else now - self._stale_after
        with self._database.session() as session:
            recovered = jobs.requeue_stale(
                session, heartbeat_before=before, max_crashes=self._max_crashes, now=now
            )
            session.commit()
        if recovered:
            log.warning("recovered jobs left running: %s", recovered.summary())
        return recovered

    def heartbeat(self) -> None:
        """Tell the database that the running jobs of this pool's workers are still alive."""
        for lease in [worker.lease for worker in self.workers]:
            if lease is None:
                continue
            with self._database.session() as session:
                try:
                    jobs.heartbeat(session, lease)
                    session.commit()
                except LeaseLostError:
                    pass  # the job finished (or was taken) since we looked

    def _upkeep_loop(self) -> None:
        interval = max(self._stale_after.total_seconds() / 4, 1.0)
        while not self._stopping.wait(interval):
            try:
                self.heartbeat()
                self.recover()
            except SQLAlchemyError as error:
                log.warning("job upkeep: database error %s; trying again", type(error).__name__)


def _name(prefix: str, device: str, slot: int) -> str:
    return f"{prefix}:{device}" if slot == 0 else f"{prefix}:{device}#{slot + 1}"
