"""The Celery task's body: runs the job its message names, keeps its heartbeat going while the
pipeline works without reporting, and acknowledges a duplicate without work."""

import threading
from dataclasses import dataclass, field

from db import jobs
from db.models import JobState
from db.session import Database
from plugin.analysis import JobContext, JobOutcome, JobRunner, WorkerConfig
from plugin.distributed.task import analyse
from tests.db.factories import add_case, add_slide, result_values
from tests.plugin.analysis.pipelines import Scripted

CONFIG = WorkerConfig(name="celery-1", device="cpu", destinations=("pacs",))


@dataclass
class Silent:
    """Works without reporting progress until released (a long forward pass)."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, context: JobContext) -> JobOutcome:
        self.started.set()
        self.release.wait(30)
        return result_values(0.2)


def _enqueue(database: Database) -> int:
    with database.session() as session:
        job = jobs.enqueue(session, add_slide(session, add_case(session)).id, "k", max_attempts=2)
        session.commit()
        return job.id


def _heartbeat(database: Database, job_id: int) -> object:
    with database.session() as session:
        return jobs.get_job(session, job_id).heartbeat_at


def test_the_task_runs_its_job_once_and_acknowledges_a_duplicate(database: Database) -> None:
    job_id = _enqueue(database)
    runner = JobRunner(database, Scripted(score=0.9), CONFIG)
    assert analyse(runner, job_id, heartbeat_interval_s=1.0) == "done"
    assert analyse(runner, job_id, heartbeat_interval_s=1.0) is None
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        assert (job.state, job.attempts, job.worker) == (JobState.DONE, 1, "celery-1")


def test_the_heartbeat_goes_on_while_the_pipeline_is_silent(database: Database) -> None:
    job_id = _enqueue(database)
    pipeline = Silent()
    runner = JobRunner(database, pipeline, CONFIG)
    outcome: list[str | None] = []
    thread = threading.Thread(
        target=lambda: outcome.append(analyse(runner, job_id, heartbeat_interval_s=0.05))
    )
    thread.start()
    try:
        assert pipeline.started.wait(30)
        first = _heartbeat(database, job_id)
        for _ in range(600):
            if _heartbeat(database, job_id) != first:
                break
            threading.Event().wait(0.05)
        assert _heartbeat(database, job_id) != first
    finally:
        pipeline.release.set()
        thread.join(30)
    assert outcome == ["done"]
