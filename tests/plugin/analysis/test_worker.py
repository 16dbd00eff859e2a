"""The worker's mechanics: claim, run, record; retries, bounded attempts, cancel, stop."""

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from config import DbSettings, JobSettings, Settings, StorageSettings
from db import jobs
from db.models import Job, JobState, Result
from db.session import Database
from db.slide_completion import content_key
from plugin.analysis import Worker, WorkerConfig, WorkerPool
from plugin.metrics import ServiceMetrics
from tests.db.factories import add_case, add_slide
from tests.plugin.analysis.pipelines import (
    Endless,
    Failing,
    Scripted,
    not_evaluable,
    permanently_broken,
)

CONFIG = WorkerConfig(
    name="test-worker", device="cpu", destinations=("pacs",), retry_delay=timedelta(0)
)


def _enqueue(database: Database, count: int = 1, max_attempts: int = 2) -> list[int]:
    with database.session() as session:
        case = add_case(session)
        ids = [
            jobs.enqueue(session, add_slide(session, case).id, "k", max_attempts=max_attempts).id
            for _ in range(count)
        ]
        session.commit()
    return ids


def _job(database: Database, job_id: int) -> Job:
    with database.session() as session:
        return jobs.get_job(session, job_id)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for a condition that the worker threads bring about."""
    for _ in range(1000):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"gave up waiting for {what}")


def test_a_job_is_run_and_its_result_recorded_with_exports(database: Database) -> None:
    (job_id,) = _enqueue(database)
    pipeline, metrics = Scripted(score=0.83), ServiceMetrics()
    worker = Worker(database, pipeline, CONFIG, metrics=metrics)
    assert worker.run_once() is JobState.DONE
    assert worker.run_once() is None
    context = pipeline.seen[0]
    assert (context.job_id, context.attempt, context.device) == (job_id, 1, "cpu")
    assert [i.path.name for i in context.slide.instances] == ["level-0.dcm"]
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        assert job.result is not None
        assert (job.state, job.progress, job.result.score) == (JobState.DONE, 1.0, 0.83)
        assert [e.destination for e in job.result.exports] == ["pacs"]
    assert (
        metrics.registry.get_sample_value(
            "pathsentry_job_duration_seconds_count", {"outcome": "done"}
        )
        == 1
    )
    assert metrics.registry.get_sample_value("pathsentry_inference_pixels_total") == 1_000_000


def test_errors_are_retried_until_the_attempts_run_out(database: Database) -> None:
    (job_id,) = _enqueue(database, max_attempts=2)
    worker = Worker(database, Failing(OSError("disk unplugged")), CONFIG)
    assert worker.run_once() is JobState.QUEUED
    assert worker.run_once() is JobState.FAILED
    job = _job(database, job_id)
    assert (job.attempts, job.reason) == (2, "OSError: disk unplugged")


def test_permanent_failures_and_unevaluable_slides_are_not_retried(database: Database) -> None:
    broken, empty = _enqueue(database, count=2, max_attempts=3)
    assert Worker(database, permanently_broken, CONFIG).run_once() is JobState.FAILED
    assert Worker(database, not_evaluable, CONFIG).run_once() is JobState.NOT_EVALUABLE
    assert _job(database, broken).reason == "the slide has no pyramid level at 20x or finer"
    assert (_job(database, empty).state, _job(database, empty).attempts) == (
        JobState.NOT_EVALUABLE,
        1,
    )


def test_a_running_job_is_cancelled_at_its_next_progress_report(database: Database) -> None:
    (job_id,) = _enqueue(database)
    pipeline = Endless()
    worker = Worker(
        database, pipeline, WorkerConfig(name="w", device="cpu", progress_interval_s=0.0)
    )
    outcome: list[JobState | None] = []
    thread = threading.Thread(target=lambda: outcome.append(worker.run_once()))
    thread.start()
    assert pipeline.started.wait(10)
    with database.session() as session:
        assert jobs.cancel(session, job_id) is JobState.RUNNING
        session.commit()
    thread.join(10)
    assert outcome == [JobState.CANCELLED]
    with database.session() as session:
        assert session.query(Result).count() == 0
        assert jobs.get_job(session, job_id).state is JobState.CANCELLED


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings(
        storage=StorageSettings(data_dir=tmp_path),
        db=DbSettings(url=url),
        jobs=JobSettings(poll_interval_s=0.02, retry_delay_s=0.0),
    )


def test_a_pool_runs_every_job_once(database: Database, database_url: str, tmp_path: Path) -> None:
    ids = _enqueue(database, count=6)
    pool = WorkerPool(
        database, Scripted(), _settings(tmp_path, database_url), devices=["cuda:0", "cuda:1"]
    )
    pool.start()
    try:
        assert pool.alive
        _wait_for(
            lambda: all(_job(database, i).state is JobState.DONE for i in ids), "all jobs done"
        )
    finally:
        pool.stop(10)
    assert not any(worker.alive for worker in pool.workers)
    with database.session() as session:
        assert sorted(r.job_id for r in session.query(Result)) == sorted(ids)
        workers = {jobs.get_job(session, i).worker for i in ids}
    assert workers <= {worker.name for worker in pool.workers}


def test_stopping_gives_the_running_job_back_without_spending_an_attempt(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    (job_id,) = _enqueue(database)
    pipeline = Endless()
    pool = WorkerPool(database, pipeline, _settings(tmp_path, database_url), devices=["cpu"])
    pool.start()
    assert pipeline.started.wait(10)
    pool.stop(10)
    job = _job(database, job_id)
    assert (job.state, job.attempts) == (JobState.QUEUED, 0)


def test_the_context_names_the_content_of_the_instances_it_lists(database: Database) -> None:
    (job_id,) = _enqueue(database)  # queued as content "k"
    pipeline = Scripted()
    Worker(database, pipeline, CONFIG).run_once()
    with database.session() as session:
        instances = jobs.get_job(session, job_id).slide.instances
        expected = content_key(instances)
    (context,) = pipeline.seen
    assert expected is not None and context.content_key == expected
