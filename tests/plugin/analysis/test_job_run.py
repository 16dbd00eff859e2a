"""Running one named job outside any worker thread: what a Celery task (or any executor) calls."""

from datetime import timedelta

from config.kinds import ResultFileKind
from db import jobs
from db.models import ExportState, JobState
from db.session import Database
from db.worklist import SlideStatus, worklist
from plugin.analysis import JobRunner, WorkerConfig, run_job
from tests.db.factories import add_case, add_slide
from tests.plugin.analysis.pipelines import (
    Failing,
    Scripted,
    not_evaluable,
    not_evaluable_reported,
)

CONFIG = WorkerConfig(name="executor-1", device="cpu", destinations=("pacs",))


def _enqueue(database: Database, count: int) -> list[int]:
    with database.session() as session:
        case = add_case(session)
        ids = [
            jobs.enqueue(session, add_slide(session, case).id, "k", max_attempts=2).id
            for _ in range(count)
        ]
        session.commit()
    return ids


def test_run_job_runs_exactly_the_named_job_and_records_its_result(database: Database) -> None:
    older, named = _enqueue(database, 2)
    pipeline = Scripted(score=0.4)
    assert run_job(database, pipeline, named, CONFIG) is JobState.DONE
    assert [context.job_id for context in pipeline.seen] == [named]
    with database.session() as session:
        job = jobs.get_job(session, named)
        assert (job.state, job.worker, job.attempts) == (JobState.DONE, "executor-1", 1)
        assert job.result is not None and job.result.score == 0.4
        assert jobs.get_job(session, older).state is JobState.QUEUED


def test_a_duplicate_delivery_finds_the_job_taken_or_done_and_runs_nothing(
    database: Database,
) -> None:
    (job_id,) = _enqueue(database, 1)
    runner = JobRunner(database, Scripted(), CONFIG)
    lease = runner.claim(job_id)
    assert lease is not None
    second = Scripted()
    assert run_job(database, second, job_id, WorkerConfig(name="executor-2", device="cpu")) is None
    assert runner.run_lease(lease) is JobState.DONE
    assert run_job(database, second, job_id, CONFIG) is None
    assert second.seen == []


def test_a_failed_attempt_is_queued_again_and_not_due_before_its_delay(database: Database) -> None:
    (job_id,) = _enqueue(database, 1)
    config = WorkerConfig(name="executor-1", device="cpu", retry_delay=timedelta(hours=1))
    assert run_job(database, Failing(OSError("disk gone")), job_id, config) is JobState.QUEUED
    assert run_job(database, Scripted(), job_id, config) is None
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        assert (job.state, job.attempts, job.reason) == (
            JobState.QUEUED,
            1,
            "OSError: disk gone",
        )


def test_a_not_evaluable_slide_s_report_is_its_result_and_is_exported(
    database: Database,
) -> None:
    (job_id,) = _enqueue(database, 1)
    assert run_job(database, not_evaluable_reported, job_id, CONFIG) is JobState.NOT_EVALUABLE
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        assert (job.state, job.reason) == (JobState.NOT_EVALUABLE, "no tissue found on the slide")
        result = job.result
        assert result is not None and not result.is_scored
        assert (result.score, result.suspicious, result.seg_path) == (None, None, None)
        assert [file.kind for file in result.files] == [ResultFileKind.REPORT]
        assert result.sr_sop_instance_uid == result.files[0].sop_instance_uid
        assert [(e.destination, e.state) for e in result.exports] == [("pacs", ExportState.PENDING)]
        (slide,) = worklist(session, 0.5).entries[0].slides
    assert (slide.status, slide.score, slide.suspicious) == (SlideStatus.NOT_EVALUABLE, None, False)
    assert slide.export_state is ExportState.PENDING


def test_a_not_evaluable_slide_without_report_records_no_result(database: Database) -> None:
    (job_id,) = _enqueue(database, 1)
    assert run_job(database, not_evaluable, job_id, CONFIG) is JobState.NOT_EVALUABLE
    with database.session() as session:
        assert jobs.get_job(session, job_id).result is None
