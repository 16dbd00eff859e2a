"""The analysis task: claims the job its message names and runs it (plugin.analysis.job_run)."""

import logging
from collections.abc import Callable

from celery import Celery
from prometheus_client import Gauge
from sqlalchemy.exc import SQLAlchemyError

from plugin.analysis.job_run import JobRunner
from plugin.distributed.app import ANALYSE_JOB
from plugin.distributed.heartbeat import LeaseHeartbeat

log = logging.getLogger(__name__)

DATABASE_RETRY_BACKOFF_MAX_S = 60


def register_analysis(
    app: Celery,
    runner: JobRunner,
    *,
    heartbeat_interval_s: float,
    in_flight: Gauge,
    on_device_lost: Callable[[], None] | None = None,
) -> None:
    """Register `pathsentry.analyse_job(job_id)` on the app, running jobs with `runner`;
    `on_device_lost` is called after a job in which the device broke (the job went back to
    the queue)."""

    def analyse_job(job_id: int) -> str | None:
        with in_flight.track_inprogress():
            state = analyse(runner, job_id, heartbeat_interval_s=heartbeat_interval_s)
        if runner.device_loss.reason is not None and on_device_lost is not None:
            on_device_lost()
        return state

    app.task(
        name=ANALYSE_JOB,
        shared=False,  # this app's alone: Celery would add a shared task to every later app
        # The database is the source of truth: while it is unreachable the message waits.
        autoretry_for=(SQLAlchemyError,),
        retry_backoff=True,
        retry_backoff_max=DATABASE_RETRY_BACKOFF_MAX_S,
        max_retries=None,
    )(analyse_job)


def analyse(runner: JobRunner, job_id: int, *, heartbeat_interval_s: float) -> str | None:
    """Claim job `job_id` and run it; None (the message is acknowledged) when another worker
    has it, it is finished, or it is not due (a duplicate or stale message)."""
    lease = runner.claim(job_id)
    if lease is None:
        log.info("job %d is taken, finished or not due: its message needs nothing", job_id)
        return None
    with LeaseHeartbeat(runner.database, lease, heartbeat_interval_s):
        return runner.run_lease(lease).value
