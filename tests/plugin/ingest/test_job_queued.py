"""Ingest tells its caller about each job it queues, after the commit (distributed mode
publishes the job's message then): from the association's end and from the quiet period."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from config import DbSettings, DicomSettings, JobSettings, Settings, StorageSettings
from db import jobs
from db.models import JobState
from db.session import Database, connect
from plugin.ingest import IngestService, start_ingest
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.orthanc import free_port
from tests.plugin.ingest.conftest import wait_for
from tests.plugin.ingest.senders import send


class Announced:
    """The job ids announced, each with its state as another connection sees it then."""

    def __init__(self, database_url: str) -> None:
        self._observer = connect(database_url)
        self.seen: list[tuple[int, JobState]] = []

    def __call__(self, job_id: int) -> None:
        with self._observer.session() as session:
            self.seen.append((job_id, jobs.get_job(session, job_id).state))

    def close(self) -> None:
        self._observer.dispose()


@pytest.fixture
def announced(database_url: str) -> Iterator[Announced]:
    observer = Announced(database_url)
    yield observer
    observer.close()


def _start(
    tmp_path: Path, database_url: str, database: Database, announced: Announced, quiet_s: float
) -> IngestService:
    settings = Settings(
        dicom=DicomSettings(
            host="127.0.0.1", port=free_port(), min_free_space_mb=0, slide_quiet_period_s=quiet_s
        ),
        storage=StorageSettings(data_dir=tmp_path / "data"),
        db=DbSettings(url=database_url),
        jobs=JobSettings(max_attempts=2),
    )
    return start_ingest(settings, database, on_job_queued=announced)


def test_a_whole_pyramid_announces_its_committed_job_when_the_sender_is_done(
    tmp_path: Path,
    database_url: str,
    database: Database,
    slide: SyntheticSlide,
    announced: Announced,
) -> None:
    service = _start(tmp_path, database_url, database, announced, quiet_s=600)
    try:
        assert send(service.port, list(slide.levels)).codes == [0] * len(slide.levels)
        wait_for(lambda: len(announced.seen) == 1, "the job to be announced")
    finally:
        service.stop()
    with database.session() as session:
        (job,) = jobs.list_jobs(session)
    assert announced.seen == [(job.id, JobState.QUEUED)]


def test_a_slide_completed_by_its_quiet_period_announces_its_job(
    tmp_path: Path,
    database_url: str,
    database: Database,
    slide: SyntheticSlide,
    announced: Announced,
) -> None:
    service = _start(tmp_path, database_url, database, announced, quiet_s=0.3)
    try:
        assert send(service.port, list(slide.levels[1:])).codes == [0] * 3  # no base level
        wait_for(lambda: len(announced.seen) == 1, "the sweeper to announce the job")
    finally:
        service.stop()
    with database.session() as session:
        (job,) = jobs.list_jobs(session)
    assert announced.seen == [(job.id, JobState.QUEUED)]
