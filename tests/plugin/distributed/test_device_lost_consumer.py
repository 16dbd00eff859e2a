"""A Celery worker whose device broke: the job goes back to the queue without spending an
attempt, the worker stops consuming (the next message waits for another worker), and its
health says why."""

import secrets
import time

import pytest
from celery.contrib.testing.worker import start_worker
from prometheus_client import CollectorRegistry, Gauge

from config import JobSettings, Settings
from db.models import JobState
from db.session import Database
from plugin.analysis import JobRunner
from plugin.distributed.app import ANALYSE_JOB, create_celery_app
from plugin.distributed.task import register_analysis
from plugin.distributed.worker import ConsumerState
from tests.e2e.distributed import RABBITMQ, require_rabbitmq
from tests.e2e.harness import wait_until
from tests.inference.fixtures import engine, loaded
from tests.plugin.analysis.test_device_loss import EngineRun, IllegalAccess
from tests.plugin.analysis.test_worker import CONFIG, _enqueue, _job


@pytest.mark.timeout(120)
def test_a_worker_whose_device_broke_gives_its_job_back_and_stops_consuming(
    database: Database,
) -> None:
    require_rabbitmq()
    queue = f"pathsentry.lost.{secrets.token_hex(4)}"
    app = create_celery_app(Settings(jobs=JobSettings(broker_url=RABBITMQ, queue=queue)))
    pipeline = EngineRun(engine(loaded(IllegalAccess())))
    runner = JobRunner(database, pipeline, CONFIG)
    consumer = ConsumerState(runner)
    in_flight = Gauge("in_flight", "jobs", registry=CollectorRegistry())
    register_analysis(
        app,
        runner,
        heartbeat_interval_s=1.0,
        in_flight=in_flight,
        on_device_lost=consumer.stop_consuming(app, queue),
    )
    first, second = _enqueue(database, count=2, max_attempts=3)
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING") as worker:
        app.send_task(ANALYSE_JOB, args=[first], queue=queue)
        wait_until(lambda: _job(database, first).reason is not None, "the job back", 60)
        wait_until(lambda: not _consumes(app, worker.hostname, queue), "the consumer to stop", 30)
        app.send_task(ANALYSE_JOB, args=[second], queue=queue)
        time.sleep(2)  # a consuming worker would have claimed it by now
        waiting = _job(database, second)
    released = _job(database, first)
    assert (released.state, released.attempts, released.worker) == (JobState.QUEUED, 0, None)
    assert "illegal memory access" in (released.reason or "")
    assert (waiting.state, waiting.attempts, waiting.worker) == (JobState.QUEUED, 0, None)
    assert pipeline.runs == 1
    assert consumer.check().startswith("device cpu failed, restart the process: the device failed")


def _consumes(app: object, hostname: str, queue: str) -> bool:
    inspect = app.control.inspect(destination=[hostname], timeout=2)  # type: ignore[attr-defined]
    replies = inspect.active_queues() or {}
    return any(entry["name"] == queue for entry in replies.get(hostname, []))
