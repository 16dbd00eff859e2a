"""Distributed mode: analysis in Celery workers on any number of machines.

The job row stays the source of truth; a Celery message carries only a job id, published
after the commit that queued the job (`JobPublisher`), and a `Reconciler` on the ingest role
publishes what a broker outage lost. The task (`register_analysis`) is a thin caller of
`plugin.analysis.job_run`. Nothing here builds a Celery app at import time.
"""

from plugin.distributed.app import ANALYSE_JOB, create_celery_app
from plugin.distributed.mode import DistributedSetupError, require_distributed_database
from plugin.distributed.publisher import JobPublisher
from plugin.distributed.reconciler import Reconciler, Reconciliation

__all__ = [
    "ANALYSE_JOB",
    "DistributedSetupError",
    "JobPublisher",
    "Reconciler",
    "Reconciliation",
    "create_celery_app",
    "require_distributed_database",
]
