"""A process that dies mid-analysis: at the next start its job resumes and yields one result."""

import os
import subprocess
import sys
import threading
from pathlib import Path

from config import DbSettings, ExportSettings, JobSettings, Settings, StorageSettings
from config.settings import FolderDestination
from db import jobs
from db.models import ExportState, JobState, Result, utcnow
from db.session import Database
from plugin.analysis import JobFailedError, WorkerPool
from tests.db.factories import add_case, add_slide
from tests.plugin.analysis.pipelines import FailingReported, Scripted

ROOT = Path(__file__).resolve().parents[3]

# Runs in a child process: claims the job, reports progress, then dies without any cleanup.
CRASHING_WORKER = """
import os, sys
from db.session import connect
from plugin.analysis import Worker, WorkerConfig

def crash(context):
    context.progress(0.3, "inferring")
    os._exit(17)

Worker(connect(sys.argv[1]), crash, WorkerConfig("doomed", "cpu", progress_interval_s=0)).run_once()
"""


def _crash_while_running(url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", CRASHING_WORKER, url], cwd=ROOT, env=env, timeout=120, check=False
    )
    assert child.returncode == 17


def test_job_left_running_by_a_crash_resumes_and_produces_exactly_one_result(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    with database.session() as session:
        job_id = jobs.enqueue(
            session, add_slide(session, add_case(session)).id, "k", max_attempts=3
        ).id
        session.commit()
    _crash_while_running(database_url)
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        assert (job.state, job.progress, job.worker) == (JobState.RUNNING, 0.3, "doomed")

    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path),
        db=DbSettings(url=database_url),
        jobs=JobSettings(poll_interval_s=0.02),
    )
    pool = WorkerPool(database, Scripted(score=0.91), settings, devices=["cpu"])
    recovered = pool.start()
    try:
        assert recovered.requeued == (job_id,)
        _wait_until_done(database, job_id)
    finally:
        pool.stop(10)
    assert pool.recover(all_running=True) == jobs.Recovered((), (), ())
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        results = session.query(Result).all()
    assert (job.state, job.attempts, job.crashes) == (
        JobState.DONE,
        1,
        1,
    )  # the crash is no attempt
    assert [(r.job_id, r.score) for r in results] == [(job_id, 0.91)]


def test_a_job_that_crashed_the_service_too_often_fails_at_start_with_its_report(
    database: Database, tmp_path: Path
) -> None:
    with database.session() as session:
        job_id = jobs.enqueue(
            session, add_slide(session, add_case(session)).id, "k", max_attempts=3
        ).id
        jobs.claim(session, "first")
        jobs.requeue_stale(session, heartbeat_before=utcnow(), max_crashes=2)
        jobs.claim(session, "second")  # the service dies under it a second time
        session.commit()
    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path),
        jobs=JobSettings(poll_interval_s=0.02, max_crashes=2),
        export=ExportSettings(
            destinations=[FolderDestination(kind="folder", name="pacs", path=tmp_path)]
        ),
    )
    pipeline = FailingReported(JobFailedError("analysed again"))  # raises if it runs
    pool = WorkerPool(database, pipeline, settings, devices=["cpu"])
    try:
        assert pool.start().failing == (job_id,)
        _wait_until_done(database, job_id, JobState.FAILED)
    finally:
        pool.stop(10)
    assert pipeline.reasons == [jobs.crash_reason(2)]
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        assert (job.reason, job.crashes) == (jobs.crash_reason(2), 2)
        result = job.result
        assert result is not None
        assert [(e.destination, e.state) for e in result.exports] == [("pacs", ExportState.PENDING)]


def _wait_until_done(database: Database, job_id: int, state: JobState = JobState.DONE) -> None:
    for _ in range(1000):
        with database.session() as session:
            if jobs.get_job(session, job_id).state is state:
                return
        threading.Event().wait(0.01)
