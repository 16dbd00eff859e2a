"""`pathsentry worker`: a Celery worker process that analyses slides on one device."""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery.signals import task_received, worker_ready, worker_shutdown, worker_shutting_down
from prometheus_client import Gauge

from config import Settings
from db.migrate import require_current
from db.session import open_database
from inference.compile_cache import use_compile_cache
from plugin.analysis.allocator import keep_freed_memory
from plugin.analysis.job_run import JobRunner, worker_config
from plugin.analysis.pipeline import SlidePipeline
from plugin.distributed.app import create_celery_app
from plugin.distributed.mode import require_broker
from plugin.distributed.task import register_analysis
from plugin.health import OK, WARMING, HealthServer, ProcessHealth
from plugin.metrics import ServiceMetrics

log = logging.getLogger(__name__)


def run_worker(
    settings: Settings, *, device: str, concurrency: int, metrics_port: int | None
) -> None:
    """Load the model on `device`, then take analysis messages until SIGTERM.

    On SIGTERM the running jobs go back to the queue (the reconciler publishes them again);
    a worker that dies has its message redelivered by the broker.
    """
    if device == "cpu":
        keep_freed_memory()  # before the first thread: every thread then shares one arena
    require_broker(settings)
    database = open_database(settings)
    require_current(database)
    use_compile_cache(settings.storage.data_dir)
    pipeline = SlidePipeline(settings)
    pipeline.engine(device)  # load the model now: a missing weights file stops start-up
    name = f"{socket.gethostname()}:{os.getpid()}:{device}"
    metrics = ServiceMetrics()
    runner = JobRunner(database, pipeline, worker_config(settings, name, device), metrics)
    in_flight = Gauge(
        "pathsentry_jobs_in_flight", "Jobs this worker is analysing", registry=metrics.registry
    )
    app = create_celery_app(settings)
    heartbeat_s = max(settings.jobs.stale_after_s / 4, 1.0)
    consumer = ConsumerState(runner)
    register_analysis(
        app,
        runner,
        heartbeat_interval_s=heartbeat_s,
        in_flight=in_flight,
        on_device_lost=consumer.stop_consuming(app, settings.jobs.queue),
    )
    worker_shutting_down.connect(_release_on_shutdown(runner), weak=False)
    if metrics_port is not None:
        health = ProcessHealth(database, settings.storage.data_dir, {"analysis": consumer.check})
        HealthServer(health, metrics.registry, metrics_port).start()
    _warm_up(pipeline, device, consumer)
    log.info("worker %s: %d at a time, queue %s", name, concurrency, settings.jobs.queue)
    app.worker_main(_worker_arguments(settings.jobs.queue, concurrency, settings.log_level))


def _worker_arguments(queue: str, concurrency: int, log_level: str) -> list[str]:
    # One process per device: `solo` runs the job on the worker's own thread, so a killed
    # worker takes its job with it and the broker redelivers the message; several jobs at
    # once share the loaded model on threads.
    pool = "solo" if concurrency == 1 else "threads"
    return [
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        f"--queues={queue}",
        f"--hostname=pathsentry-{os.getpid()}@%h",
        f"--loglevel={log_level}",
        "--task-events",
        "--without-gossip",
        "--without-mingle",
    ]


def _warm_up(pipeline: SlidePipeline, device: str, consumer: "ConsumerState") -> None:
    """Warm the device up before taking the first message (health: warming up meanwhile)."""
    consumer.warming = True
    started = time.monotonic()
    log.info("warming up %s before its first job", device)
    try:
        needed = pipeline.warm_up(device)
    finally:
        consumer.warming = False
    log.info(
        "%s %s",
        device,
        f"is warm ({time.monotonic() - started:.1f} s)" if needed else "needs no warm-up",
    )


class ConsumerState:
    """Whether this worker takes messages: Celery's own signals, its warm-up, its device."""

    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner
        self._running = threading.Event()
        self._hostname: str | None = None
        self.warming = False
        task_received.connect(self._received, weak=False)
        worker_ready.connect(self._started, weak=False)
        worker_shutting_down.connect(self._stopped, weak=False)
        worker_shutdown.connect(self._stopped, weak=False)

    def check(self) -> str:
        lost = self._runner.device_loss.reason
        if lost is not None:
            return f"device {self._runner.config.device} failed, restart the process: {lost}"
        if self.warming:
            return WARMING
        return OK if self._running.is_set() else "consumer not running"

    def stop_consuming(self, app: Celery, queue: str) -> Callable[[], None]:
        """What to call once the device is lost: the worker stops taking messages (those
        waiting go to other workers); the process stays, its /healthz saying why."""

        def cancel() -> None:
            hostname = self._hostname
            log.error("worker %s stops taking messages from queue %s", hostname, queue)
            if hostname is not None:  # a remote-control command: safe from any thread
                app.control.cancel_consumer(queue, destination=[hostname])
            self._running.clear()

        return cancel

    def _started(self, **_: Any) -> None:
        self._running.set()

    def _received(self, sender: Any = None, **_: Any) -> None:
        self._hostname = getattr(sender, "hostname", None)  # sender: the worker's consumer

    def _stopped(self, **_: Any) -> None:
        self._running.clear()


def _release_on_shutdown(runner: JobRunner) -> Any:
    def release(**_: Any) -> None:
        log.info("worker stopping: running jobs go back to the queue")
        runner.stopping.set()

    return release
