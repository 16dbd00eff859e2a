"""A CUDA error that breaks the device's context: the job goes back for another worker without
spending an attempt, the worker takes no more jobs, and /healthz says why (503)."""

import logging
from pathlib import Path

import httpx
import pytest
import torch

from db import jobs
from db.models import JobState
from db.results import ResultValues
from db.session import Database
from inference.device_failure import breaks_device
from inference.engine import Engine
from plugin.analysis import JobContext, JobRunner, WorkerPool
from plugin.analysis.failures import FailureKind, classify
from plugin.health import HealthServer, ProcessHealth
from plugin.metrics import ServiceMetrics
from tests.db.factories import result_values
from tests.inference.fixtures import engine, loaded, slide
from tests.plugin.analysis.test_worker import CONFIG, _enqueue, _job, _settings, _wait_for

ILLEGAL_ACCESS = (
    "CUDA error: an illegal memory access was encountered\nCUDA kernel errors might be "
    "asynchronously reported at some other API call, so the stacktrace below might be incorrect."
)


class IllegalAccess(torch.nn.Module):
    """Fails in forward as a kernel that read out of bounds does on a GPU."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise torch.AcceleratorError(ILLEGAL_ACCESS)


class EngineRun:
    """A pipeline that runs a real engine over a small in-memory slide."""

    def __init__(self, model_engine: Engine) -> None:
        self.engine = model_engine
        self.runs = 0

    def __call__(self, context: JobContext) -> ResultValues:
        self.runs += 1
        self.engine.run(slide())
        return result_values(0.5)


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (torch.AcceleratorError(ILLEGAL_ACCESS), True),
        (RuntimeError("CUDA error: unspecified launch failure"), True),
        (RuntimeError("CUDA error: cudaErrorLaunchFailure"), True),
        (torch.AcceleratorError("CUDA error: device-side assert triggered"), True),
        (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), False),
        (torch.AcceleratorError("CUDA error: invalid configuration argument"), False),
        (OSError("an illegal memory access was encountered"), False),
    ],
)
def test_only_errors_that_break_the_context_lose_the_device(
    error: BaseException, lost: bool
) -> None:
    assert breaks_device(error) is lost
    kind = classify(error).kind
    assert (kind is FailureKind.DEVICE_LOST) is lost


def test_a_wrapped_context_error_still_loses_the_device() -> None:
    try:
        try:
            raise torch.AcceleratorError(ILLEGAL_ACCESS)
        except RuntimeError as inner:
            raise ValueError("stitching failed") from inner
    except ValueError as outer:
        failure = classify(outer)
    assert failure.kind is FailureKind.DEVICE_LOST
    assert failure.reason.startswith("the device failed (ValueError: stitching failed")


@pytest.mark.timeout(60)
def test_a_broken_device_releases_its_job_stops_its_worker_and_turns_health_red(
    database: Database, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = _enqueue(database, count=2, max_attempts=3)
    pipeline = EngineRun(engine(loaded(IllegalAccess())))
    metrics = ServiceMetrics()
    pool = WorkerPool(
        database, pipeline, _settings(tmp_path, database_url), devices=["cpu"], metrics=metrics
    )
    health = ProcessHealth(database, tmp_path, {"analysis": pool.health})
    server = HealthServer(health, metrics.registry, 0, host="127.0.0.1")
    server.start()
    caplog.set_level(logging.ERROR)
    pool.start()
    try:
        _wait_for(lambda: not pool.alive, "the worker to stop")
        answer = httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10)
        # It takes nothing more, even when asked directly.
        assert pool.workers[0].run_once() is None
    finally:
        pool.stop(10)
        server.stop(10)
    # Both workers of the device (slides_in_flight = 2) stop; each job it ran goes back.
    assert 1 <= pipeline.runs <= 2
    assert [worker.alive for worker in pool.workers] == [False, False]
    released = _job(database, first)
    assert (released.state, released.attempts, released.worker) == (JobState.QUEUED, 0, None)
    assert released.reason is not None and "illegal memory access" in released.reason
    waiting = _job(database, second)
    assert (waiting.state, waiting.attempts) == (JobState.QUEUED, 0)
    assert answer.status_code == 503
    verdict = answer.json()["roles"]["analysis"]
    assert verdict.startswith("device cpu failed, restart the process: the device failed")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == pipeline.runs
    assert all(
        "illegal memory access" in line and "restart this process" in line for line in errors
    )
    # Another worker, on a working device, takes the job at once and finishes it.
    healthy = WorkerPool(database, _done, _settings(tmp_path, database_url), devices=["cuda:1"])
    healthy.start(take_over_running=False)
    try:
        _wait_for(
            lambda: {_job(database, i).state for i in (first, second)} == {JobState.DONE},
            "the jobs to be done",
        )
    finally:
        healthy.stop(10)
    assert _job(database, first).attempts == 1


def _done(context: JobContext) -> ResultValues:
    return result_values(0.5)


def test_claims_are_refused_once_the_device_is_lost(database: Database) -> None:
    (job_id,) = _enqueue(database)
    runner = JobRunner(database, _done, CONFIG)
    runner.device_loss.mark("the device failed (pretend)")
    assert runner.claim() is None
    assert runner.run_job(job_id) is None
    with database.session() as session:
        assert jobs.get_job(session, job_id).state is JobState.QUEUED


def test_a_celery_worker_says_it_warms_up_and_then_why_its_device_failed(
    database: Database,
) -> None:
    from plugin.distributed.worker import ConsumerState

    runner = JobRunner(database, _done, CONFIG)
    state = ConsumerState(runner)
    state.warming = True
    assert state.check() == "warming up"
    state.warming = False
    assert state.check() == "consumer not running"
    runner.device_loss.mark("the device failed (AcceleratorError: CUDA error: pretend)")
    assert state.check() == (
        "device cpu failed, restart the process: the device failed (AcceleratorError: CUDA "
        "error: pretend)"
    )
