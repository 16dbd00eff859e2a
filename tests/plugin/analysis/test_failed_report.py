"""A job that fails for good sends the PACS a "failed" SR: recorded as the job's result and
exported, only when no attempt is left (never for a retried attempt or an outage); a later run
of the job replaces it with its own result and delivers that too."""

import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pydicom import dcmread
from sqlalchemy.exc import OperationalError

from config.kinds import ResultFileKind
from db import exports, jobs
from db.exports import Backoff
from db.models import ExportState, ImageType, JobState, utcnow
from db.session import Database
from plugin.analysis import JobFailedError, Pipeline, StoredInstance, WorkerConfig, run_job
from plugin.analysis.pipeline import SlidePipeline
from plugin.analysis.unjudged import failed
from tests.db.factories import add_case, add_slide
from tests.dicom.slide.nonconformant import copy_slide
from tests.plugin.analysis.pipelines import FailingReported, Scripted, not_evaluable_reported
from tests.plugin.slides import service_settings

CONFIG = WorkerConfig(name="w", device="cpu", destinations=("pacs",), retry_delay=timedelta(0))


def _enqueue(database: Database, max_attempts: int = 2) -> int:
    with database.session() as session:
        slide = add_slide(session, add_case(session))
        job_id = jobs.enqueue(session, slide.id, "k", max_attempts=max_attempts).id
        session.commit()
    return job_id


def test_a_permanent_failure_s_report_is_the_job_s_result_and_is_exported(
    database: Database,
) -> None:
    job_id = _enqueue(database)
    pipeline = FailingReported(JobFailedError("frame 3 of level-0.dcm cannot be decoded"))
    assert run_job(database, pipeline, job_id, CONFIG) is JobState.FAILED
    assert pipeline.reasons == ["frame 3 of level-0.dcm cannot be decoded"]
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        assert (job.state, job.reason) == (JobState.FAILED, pipeline.reasons[0])
        result = job.result
        assert result is not None and not result.is_scored
        assert [file.kind for file in result.files] == [ResultFileKind.REPORT]
        assert [(e.destination, e.state) for e in result.exports] == [("pacs", ExportState.PENDING)]


def test_only_the_last_of_the_retried_attempts_sends_a_report(database: Database) -> None:
    job_id = _enqueue(database, max_attempts=2)
    pipeline = FailingReported(MemoryError("out of memory"))
    assert run_job(database, pipeline, job_id, CONFIG) is JobState.QUEUED
    assert pipeline.reasons == []
    with database.session() as session:
        assert jobs.get_job(session, job_id).result is None
    assert run_job(database, pipeline, job_id, CONFIG) is JobState.FAILED
    assert pipeline.reasons == ["MemoryError: out of memory"]
    with database.session() as session:
        assert jobs.get_job(session, job_id).result is not None


def test_an_outage_sends_no_report(database: Database) -> None:
    job_id = _enqueue(database, max_attempts=1)
    outage = OperationalError("UPDATE jobs", {}, ConnectionRefusedError("connection refused"))
    pipeline = FailingReported(outage)
    assert run_job(database, pipeline, job_id, CONFIG) is JobState.QUEUED
    assert pipeline.reasons == []


def test_a_report_that_cannot_be_written_leaves_the_failure_recorded(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = _enqueue(database)
    pipeline = FailingReported(JobFailedError("no usable level"), broken=OSError("disk full"))
    with caplog.at_level(logging.WARNING, logger="plugin.analysis.job_run"):
        assert run_job(database, pipeline, job_id, CONFIG) is JobState.FAILED
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        assert (job.reason, job.result) == ("no usable level", None)
    assert any("no 'failed' report (OSError: disk full)" in r.getMessage() for r in caplog.records)


def _deliver(database: Database, job_id: int) -> int:
    """The job's export to the PACS delivered, as an exporter records it; returns its id."""
    with database.session() as session:
        result = jobs.get_job(session, job_id).result
        assert result is not None
        (export,) = result.exports
        exports.record_attempt(
            session,
            export.id,
            started_at=export.created_at,
            error=None,
            backoff=Backoff(1, 1, 3),
        )
        session.commit()
        return export.id


@pytest.mark.parametrize("first", [FailingReported(JobFailedError("x")), not_evaluable_reported])
def test_a_retried_job_s_new_result_replaces_its_report_and_is_delivered_again(
    database: Database, first: Pipeline
) -> None:
    job_id = _enqueue(database)
    assert run_job(database, first, job_id, CONFIG) in (JobState.FAILED, JobState.NOT_EVALUABLE)
    export_id = _deliver(database, job_id)
    with database.session() as session:
        earlier = jobs.get_job(session, job_id).result
        assert earlier is not None
        result_id, earlier_report = earlier.id, earlier.sr_sop_instance_uid
        jobs.retry(session, job_id)
        session.commit()
    assert run_job(database, Scripted(score=0.9), job_id, CONFIG) is JobState.DONE
    with database.session() as session:
        result = jobs.get_job(session, job_id).result
        assert result is not None and result.id == result_id
        assert (result.score, result.suspicious) == (0.9, True)
        assert result.sr_sop_instance_uid != earlier_report
        kinds = [file.kind for file in result.files]
        assert kinds == [ResultFileKind.SEGMENTATION, ResultFileKind.REPORT]
        (export,) = result.exports
        assert (export.id, export.state, export.attempts) == (export_id, ExportState.PENDING, 0)
        assert [attempt.success for attempt in export.attempt_log] == [True]  # kept


def _stored(folder: Path) -> list[StoredInstance]:
    return [
        StoredInstance(path.stem, ImageType.VOLUME, path) for path in sorted(folder.glob("*.dcm"))
    ]


def test_the_failed_report_takes_the_finest_readable_level_s_header(
    weights: Path, slide: Path, tmp_path: Path
) -> None:
    copy = copy_slide(slide, tmp_path / "slide")
    (copy / "level-0.dcm").write_bytes(b"not DICOM at all")  # the finest level is unreadable
    settings = service_settings(tmp_path / "data", weights)
    engine = SlidePipeline(settings).engine("cpu")
    folder = tmp_path / "results"
    values = failed(folder, _stored(copy), engine, "key", "it broke", settings)
    assert values is not None
    report = dcmread(values.report.path)
    finest_readable = dcmread(copy / "level-1.dcm", stop_before_pixels=True)
    (evidence,) = report.CurrentRequestedProcedureEvidenceSequence
    (series,) = evidence.ReferencedSeriesSequence
    (instance,) = series.ReferencedSOPSequence
    assert instance.ReferencedSOPInstanceUID == finest_readable.SOPInstanceUID
    assert values.model_name == engine.model.config.name
    assert values.weights_sha256 == engine.model.sha256
    again = failed(folder, _stored(copy), engine, "key", "it broke", settings)
    assert again is not None and again.report.sop_instance_uid == values.report.sop_instance_uid


def test_no_failed_report_without_a_readable_header(
    weights: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "level-0.dcm").write_bytes(b"")
    settings = service_settings(tmp_path / "data", weights)
    engine = SlidePipeline(settings).engine("cpu")
    with caplog.at_level(logging.WARNING, logger="plugin.analysis.unjudged"):
        assert failed(tmp_path, _stored(tmp_path), engine, "k", "x", settings) is None
    assert any("has a readable DICOM header" in r.getMessage() for r in caplog.records)


def test_a_job_that_crashed_the_service_max_crashes_times_fails_with_its_report(
    database: Database,
) -> None:
    job_id = _enqueue(database, max_attempts=3)
    recovered = []
    for _ in range(2):  # the service dies under the job twice
        with database.session() as session:
            assert jobs.claim(session, "doomed", job_id=job_id) is not None
            session.commit()
        with database.session() as session:
            now = utcnow()
            recovered.append(
                jobs.requeue_stale(session, heartbeat_before=now, max_crashes=2, now=now)
            )
            session.commit()
    assert [r.failing for r in recovered] == [(), (job_id,)]
    pipeline = FailingReported(JobFailedError("analysed again"))  # raises if it runs
    assert run_job(database, pipeline, job_id, replace(CONFIG, max_crashes=2)) is JobState.FAILED
    assert pipeline.reasons == [jobs.crash_reason(2)]
    with database.session() as session:
        job = jobs.get_job(session, job_id)
        assert (job.state, job.reason, job.crashes) == (JobState.FAILED, jobs.crash_reason(2), 2)
        result = job.result
        assert result is not None and not result.is_scored
        assert [file.kind for file in result.files] == [ResultFileKind.REPORT]
        assert [(e.destination, e.state) for e in result.exports] == [("pacs", ExportState.PENDING)]
