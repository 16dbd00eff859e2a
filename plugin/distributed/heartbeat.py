"""Heartbeats for the job a Celery worker runs, so that the reconciler leaves it alone."""

import logging
import threading
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError

from db import jobs
from db.errors import LeaseLostError
from db.session import Database

log = logging.getLogger(__name__)


class LeaseHeartbeat:
    """While the block runs, a thread records a heartbeat for the lease every `interval_s`."""

    def __init__(self, database: Database, lease: jobs.Lease, interval_s: float) -> None:
        self._database = database
        self._lease = lease
        self._interval_s = interval_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)

    def __enter__(self) -> "LeaseHeartbeat":
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(self._interval_s):
            try:
                with self._database.session() as session:
                    jobs.heartbeat(session, self._lease)
                    session.commit()
            except LeaseLostError:
                return  # finished, or taken from us: the run notices at its next report
            except SQLAlchemyError as error:
                log.warning("job %d heartbeat: database error %s", self._lease.job_id, error)
