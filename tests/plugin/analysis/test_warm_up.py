"""Devices are warmed up at start, one after another, each before its worker's first job; the
analysis role says "warming up" meanwhile; compile caches live under the data directory."""

import logging
import threading
import time
from pathlib import Path

import pytest

from db.models import JobState
from db.results import ResultValues
from db.session import Database
from inference.compile_cache import use_compile_cache
from plugin.analysis import JobContext, WorkerPool
from plugin.health import OK, WARMING, ProcessHealth
from tests.db.factories import result_values
from tests.inference.fixtures import LocalModel, engine, loaded
from tests.plugin.analysis.test_worker import _enqueue, _job, _settings, _wait_for


class Timed:
    """A pipeline that records when each device ran its first job."""

    def __init__(self) -> None:
        self.first_job: dict[str, float] = {}

    def __call__(self, context: JobContext) -> ResultValues:
        self.first_job.setdefault(context.device, time.monotonic())
        return result_values(0.4)


class RealWarmUp:
    """Warms a real engine per device up; the first waits for `gate` (to watch the state)."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.gate = threading.Event()
        self.spans: dict[str, tuple[float, float]] = {}
        self._fail_on = fail_on

    def __call__(self, device: str) -> bool:
        started = time.monotonic()
        if not self.spans:
            self.gate.wait(30)
        if device == self._fail_on:
            raise RuntimeError("inductor: no C compiler found")
        engine(loaded(LocalModel())).warm_up()
        self.spans[device] = (started, time.monotonic())
        return True


@pytest.mark.timeout(60)
def test_devices_warm_up_in_turn_before_their_first_job(
    database: Database, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _enqueue(database, count=4)
    pipeline, warm_up = Timed(), RealWarmUp()
    pool = WorkerPool(
        database,
        pipeline,
        _settings(tmp_path, database_url),
        devices=["cuda:0", "cuda:1"],
        warm_up=warm_up,
    )
    health = ProcessHealth(database, tmp_path, {"analysis": pool.health})
    caplog.set_level(logging.INFO)
    pool.start()
    try:
        assert pool.health() == WARMING
        report = health.report()
        assert (report.healthy, report.status) == (True, "warming")
        assert all(_job(database, i).state is JobState.QUEUED for i in ids)
        warm_up.gate.set()
        _wait_for(lambda: all(_job(database, i).state is JobState.DONE for i in ids), "the jobs")
        _wait_for(lambda: pool.health() == OK, "every device warm")
        assert health.report().status == OK
    finally:
        pool.stop(10)
    first_end = warm_up.spans["cuda:0"][1]
    second_start, second_end = warm_up.spans["cuda:1"]
    assert first_end <= second_start  # one after another
    assert pipeline.first_job["cuda:0"] >= first_end
    assert pipeline.first_job.get("cuda:1", second_end) >= second_end
    messages = [r.getMessage() for r in caplog.records]
    assert "warming up cuda:0 before its first job" in messages
    assert any(m.startswith("cuda:1 is warm (") for m in messages)


@pytest.mark.timeout(60)
def test_a_failed_warm_up_keeps_that_worker_down_and_says_why(
    database: Database, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (job_id,) = _enqueue(database)
    warm_up = RealWarmUp(fail_on="cuda:0")
    warm_up.gate.set()
    pool = WorkerPool(
        database,
        Timed(),
        _settings(tmp_path, database_url),
        devices=["cuda:0", "cuda:1"],
        warm_up=warm_up,
    )
    pool.start()
    try:
        _wait_for(lambda: _job(database, job_id).state is JobState.DONE, "the other device")
        assert pool.health() == "warm-up failed: RuntimeError: inductor: no C compiler found"
        assert [worker.alive for worker in pool.workers] == [False, False, True, True]
    finally:
        pool.stop(10)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("warming up cuda:0 failed" in line and "restart" in line for line in errors)


def test_compile_caches_go_under_the_data_directory_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", "")
    monkeypatch.setenv("TRITON_CACHE_DIR", "/srv/cache/triton")
    chosen = use_compile_cache(tmp_path)
    assert chosen == {
        "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "cache" / "torchinductor"),
        "TRITON_CACHE_DIR": "/srv/cache/triton",
    }
    from torch._inductor.runtime.cache_dir_utils import cache_dir

    assert cache_dir() == str(tmp_path / "cache" / "torchinductor")
