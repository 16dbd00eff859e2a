"""Idle workers and exporters wake when a commit queues a job or records a result, long
before their poll interval (60 s here) would have let them look."""

import threading
from collections.abc import Callable
from pathlib import Path

from config import ExportSettings, JobSettings, Settings, StorageSettings
from config.settings import FolderDestination
from db import jobs, signals
from db.models import Export, ExportState, JobState
from db.session import Database
from plugin.analysis import WorkerPool
from plugin.export.loop import ExportService
from plugin.wakeup import Wakeup
from tests.db.factories import add_case, add_job, add_slide
from tests.plugin.analysis.pipelines import Scripted
from tests.plugin.conftest import Analysed

POLL_S = 60.0
# Far below the poll interval: only the bell can bring the work about this soon.
PROMPTLY_S = 20.0


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    for _ in range(int(PROMPTLY_S / 0.05)):
        if condition():
            return
        threading.Event().wait(0.05)
    raise AssertionError(f"{what} did not happen within {PROMPTLY_S} s (the poll is {POLL_S} s)")


def test_a_commit_rings_the_bells_of_its_kind_and_a_rollback_none(database: Database) -> None:
    wakeup = Wakeup()
    wakeup.listen(database)
    job_bell, export_bell = wakeup.bell(signals.Ready.JOB), wakeup.bell(signals.Ready.EXPORT)
    with database.session() as session:
        jobs.enqueue(session, add_slide(session, add_case(session)).id, "k", max_attempts=1)
        session.rollback()
    assert not job_bell.wait(0) and not export_bell.wait(0)
    with database.session() as session:
        jobs.enqueue(session, add_slide(session, add_case(session)).id, "k", max_attempts=1)
        session.commit()
    assert job_bell.wait(0) and not export_bell.wait(0)
    assert not job_bell.wait(0)  # one ring wakes one wait


def test_a_queued_job_wakes_an_idle_worker(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    wakeup = Wakeup()
    wakeup.listen(database)
    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path), jobs=JobSettings(poll_interval_s=POLL_S)
    )
    pool = WorkerPool(database, Scripted(), settings, devices=["cpu"], wakeup=wakeup)
    pool.start()
    try:
        threading.Event().wait(0.5)  # the worker found nothing and waits for its poll
        with database.session() as session:
            slide = add_slide(session, add_case(session))
            job_id = jobs.enqueue(session, slide.id, "k", max_attempts=1).id
            session.commit()

        def done() -> bool:
            with database.session() as session:
                return jobs.get_job(session, job_id).state is JobState.DONE

        _wait_for(done, "the job")
    finally:
        pool.stop(10)


def test_a_recorded_result_wakes_an_idle_exporter(
    database: Database, analysed: Analysed, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    wakeup = Wakeup()
    wakeup.listen(database)
    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path),
        export=ExportSettings(
            destinations=[FolderDestination(kind="folder", name="share", path=share)]
        ),
        jobs=JobSettings(poll_interval_s=POLL_S),
    )
    service = ExportService(database, settings, wakeup=wakeup)
    service.start()
    try:
        threading.Event().wait(0.5)  # the exporter found nothing and waits for its poll
        with database.session() as session:
            job = add_job(session, add_slide(session, add_case(session)), JobState.RUNNING)
            session.commit()
            lease = jobs.Lease(job.id, "test", job.attempts)
            export_id = jobs.complete(session, lease, analysed[0], ["share"]).exports[0].id
            session.commit()

        def delivered() -> bool:
            with database.session() as session:
                export = session.get(Export, export_id)
                return export is not None and export.state is ExportState.DELIVERED

        _wait_for(delivered, "the delivery")
    finally:
        service.stop(10)
