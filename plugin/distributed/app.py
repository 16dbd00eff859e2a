"""The Celery app, built from the settings when a role starts (never at import time)."""

from typing import Any

from celery import Celery

from config import Settings

ANALYSE_JOB = "pathsentry.analyse_job"
"""The task name; its one argument is a job id."""

BROKER_CONNECT_TIMEOUT_S = 5.0


def create_celery_app(settings: Settings) -> Celery:
    """A Celery app on `jobs.broker_url`: late acknowledgement, one message at a time per
    worker process, and redelivery of the message of a worker that died."""
    jobs = settings.jobs
    app = Celery("pathsentry", broker=jobs.broker_url, set_as_current=False)
    app.conf.update(_configuration(jobs.queue, jobs.message_timeout_s))
    return app


def _configuration(queue: str, message_timeout_s: float) -> dict[str, Any]:
    return {
        "task_default_queue": queue,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        # At-least-once: the message is acknowledged when the job has an outcome, and comes back
        # if the worker process dies; the atomic claim makes duplicates harmless.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Redis: an unacknowledged message is redelivered after this long; it must exceed the
        # longest analysis (RabbitMQ's own consumer_timeout is set on the server).
        "broker_transport_options": {"visibility_timeout": message_timeout_s},
        # A solo worker runs the analysis on its only thread: AMQP heartbeats would stop and
        # the broker would drop the connection (and redeliver) during a long analysis.
        "broker_heartbeat": 0,
        "broker_connection_timeout": BROKER_CONNECT_TIMEOUT_S,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        # Publishing never blocks ingest: a failed publish is the reconciler's to repeat.
        "task_publish_retry": False,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
    }
