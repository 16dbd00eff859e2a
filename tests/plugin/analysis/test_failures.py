"""Which failures cost the slide an attempt: its own analysis failing, not the service's
database; a failure that repeats every time fails the job at once, saying where."""

import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydicom import Dataset, dcmread
from sqlalchemy.exc import OperationalError

from db import jobs
from db.models import Job, JobState
from db.session import Database, connect
from dicom.slide import SlideReadError
from inference.errors import TileReadError
from plugin.analysis import JobContext, JobOutcome, Worker, WorkerConfig
from plugin.analysis.failures import FailureKind, classify
from plugin.metrics import ServiceMetrics
from tests.db.factories import add_case, add_slide
from tests.dicom.slide.nonconformant import _set_frames, copy_slide, frames_of
from tests.plugin.analysis.outage import CuttableRelay
from tests.plugin.analysis.pipelines import Failing
from tests.plugin.conftest import Analysed

CONFIG = WorkerConfig(name="w", device="cpu", retry_delay=timedelta(0))


def _enqueue(database: Database, folder: Path | None = None, series: str | None = None) -> int:
    with database.session() as session:
        slide = add_slide(session, add_case(session), folder=folder)
        if series is not None:
            slide.series_instance_uid = series
        job_id = jobs.enqueue(session, slide.id, "k", max_attempts=3).id
        session.commit()
    return job_id


def _job(database: Database, job_id: int) -> Job:
    with database.session() as session:
        return jobs.get_job(session, job_id)


def _undecodable(_: str, dataset: Dataset) -> None:
    _set_frames(dataset, [b"\xff\xd8" + bytes(range(200)) * 4 for _ in frames_of(dataset)])


def test_a_frame_that_cannot_be_decoded_fails_the_job_at_once_saying_where(
    database: Database,
    analysed: Analysed,
    slide: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = copy_slide(slide, tmp_path / "broken", _undecodable)
    series = str(dcmread(next(broken.glob("*.dcm")), stop_before_pixels=True).SeriesInstanceUID)
    job_id = _enqueue(database, broken, series)
    metrics = ServiceMetrics()
    worker = Worker(database, analysed[2], CONFIG, metrics=metrics)
    with caplog.at_level(logging.INFO, logger="plugin.analysis.runner"):
        assert worker.run_once() is JobState.FAILED
    job = _job(database, job_id)
    assert (job.state, job.attempts) == (JobState.FAILED, 1)
    assert "cannot be decoded" in (job.reason or "")
    assert ".dcm: frame " in (job.reason or "")
    failed = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("cannot be decoded" in r.getMessage() for r in failed)
    assert any(f"job {job_id} failed: " in r.getMessage() for r in failed)  # the final failure
    sample = metrics.registry.get_sample_value
    assert sample("pathsentry_job_duration_seconds_count", {"outcome": "failed"}) == 1


def test_a_database_outage_gives_the_job_back_without_spending_an_attempt(
    database: Database,
) -> None:
    job_id = _enqueue(database)
    outage = OperationalError("UPDATE jobs", {}, ConnectionRefusedError("connection refused"))
    metrics = ServiceMetrics()
    worker = Worker(
        database,
        Failing(outage),
        WorkerConfig("w", "cpu", retry_delay=timedelta(0)),
        metrics=metrics,
    )
    for _ in range(5):  # more outages than the job has attempts
        assert worker.run_once() is JobState.QUEUED
    job = _job(database, job_id)
    assert (job.state, job.attempts) == (JobState.QUEUED, 0)
    assert "the database failed" in (job.reason or "")
    sample = metrics.registry.get_sample_value
    assert sample("pathsentry_job_duration_seconds_count", {"outcome": "released"}) == 5


def test_a_retried_attempt_is_labelled_retried_and_logged_with_its_reason(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = _enqueue(database)
    metrics = ServiceMetrics()
    worker = Worker(database, Failing(OSError(5, "Input/output error")), CONFIG, metrics=metrics)
    with caplog.at_level(logging.INFO, logger="plugin.analysis.runner"):
        assert worker.run_once() is JobState.QUEUED
    sample = metrics.registry.get_sample_value
    assert sample("pathsentry_job_duration_seconds_count", {"outcome": "retried"}) == 1
    assert sample("pathsentry_job_duration_seconds_count", {"outcome": "queued"}) is None
    assert _job(database, job_id).attempts == 1
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Input/output error" in message for message in messages)


def test_a_real_database_outage_mid_analysis_spends_no_attempt(
    database: Database, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the outage is a cut TCP relay to the PostgreSQL server")
    job_id = _enqueue(database)
    url = sa.make_url(database_url)
    relay = CuttableRelay((url.host or "127.0.0.1", url.port or 5432))
    relayed = connect(url.set(host="127.0.0.1", port=relay.port).render_as_string(False))
    restored = threading.Timer(1.0, relay.restore)

    def cut_mid_analysis(context: JobContext) -> JobOutcome:
        relay.cut()  # the database goes away; it comes back a second later
        restored.start()
        context.progress(0.5, "analysing")  # reports to the database: fails
        raise AssertionError("the progress report should have failed")

    config = WorkerConfig("w", "cpu", retry_delay=timedelta(0), poll_interval_s=0.1)
    try:
        assert Worker(relayed, cut_mid_analysis, config).run_once() is JobState.QUEUED
    finally:
        restored.join()
        relayed.dispose()
        relay.close()
    job = _job(database, job_id)
    assert (job.state, job.attempts, job.crashes) == (JobState.QUEUED, 0, 0)
    assert "the database failed" in (job.reason or "")


def _raised(error: Exception, cause: BaseException) -> Exception:
    try:
        raise error from cause
    except Exception as raised:  # noqa: BLE001 - the test builds a chain to classify
        return raised


def test_a_slide_error_caused_by_the_storage_is_transient() -> None:
    storage = _raised(SlideReadError("cannot read level 0"), OSError(116, "Stale file handle"))
    decoder = _raised(SlideReadError("cannot read level 0"), OSError("broken data stream"))
    assert classify(TileReadError("cannot read the thumbnail")).kind is FailureKind.TRANSIENT
    assert classify(_raised(TileReadError("x"), storage)).kind is FailureKind.TRANSIENT
    assert classify(_raised(TileReadError("x"), decoder)).kind is FailureKind.DETERMINISTIC
