"""Publishes one analysis message (a job id) to the broker; an outage is logged, not raised."""

import logging

from celery import Celery
from kombu.exceptions import OperationalError

from plugin.distributed.app import ANALYSE_JOB

log = logging.getLogger(__name__)


class JobPublisher:
    """Sends `pathsentry.analyse_job(job_id)` to the installation's queue."""

    def __init__(self, app: Celery, queue: str) -> None:
        self._app = app
        self._queue = queue

    def publish(self, job_id: int) -> bool:
        """Publish one message; False (and a log line) when the broker cannot take it now."""
        try:
            self._app.send_task(ANALYSE_JOB, args=(job_id,), queue=self._queue, retry=False)
        except (OperationalError, OSError) as error:
            log.warning(
                "broker unreachable (%s): job %d stays queued; the reconciler publishes it "
                "when the broker is back",
                error,
                job_id,
            )
            return False
        log.debug("published the message of job %d", job_id)
        return True

    def reachable(self) -> bool:
        """Whether the broker accepts a connection now (one try)."""
        try:
            with self._app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except (OperationalError, OSError):
            return False
        return True
