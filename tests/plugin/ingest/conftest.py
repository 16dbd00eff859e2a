"""An ingest service per test, on a free loopback port, over SQLite and PostgreSQL."""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from config import DbSettings, DicomSettings, JobSettings, Settings, StorageSettings
from db.models import Case, Instance, Job, Slide
from db.session import Database
from plugin.ingest import IngestService, start_ingest
from plugin.metrics import IngestMetrics
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.dicom.scp.instances import small_slide
from tests.orthanc import free_port


@pytest.fixture(scope="session")
def slide(tmp_path_factory: pytest.TempPathFactory) -> SyntheticSlide:
    return small_slide(tmp_path_factory.mktemp("slide"))


@dataclass
class Ingest:
    """A running ingest service with its settings and database."""

    service: IngestService
    settings: Settings
    database: Database

    @property
    def port(self) -> int:
        return self.service.port

    def count(self, model: type) -> int:
        with self.database.session() as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)

    def rows(self, model: Any) -> list[Any]:
        with self.database.session() as session:
            return list(session.scalars(sa.select(model)))

    def counts(self) -> tuple[int, int, int, int]:
        """Cases, slides, instances, jobs."""
        return tuple(self.count(model) for model in (Case, Slide, Instance, Job))  # type: ignore[return-value]

    def files(self) -> tuple[list[Path], list[Path]]:
        """What lies in the incoming folder, and every stored instance file."""
        storage = self.settings.storage
        incoming = sorted(storage.incoming_dir.iterdir())
        return incoming, sorted(storage.slides_dir.rglob("*.dcm"))


StartIngest = Callable[..., Ingest]


@pytest.fixture
def start(tmp_path: Path, database_url: str, database: Database) -> Iterator[StartIngest]:
    """Starts an ingest service; keyword arguments override dicom settings."""
    running: list[IngestService] = []

    def starter(*, metrics: IngestMetrics | None = None, **dicom: Any) -> Ingest:
        settings = Settings(
            dicom=DicomSettings(
                **{"host": "127.0.0.1", "port": free_port(), "min_free_space_mb": 0, **dicom}
            ),
            storage=StorageSettings(data_dir=tmp_path / "data"),
            db=DbSettings(url=database_url),
            jobs=JobSettings(max_attempts=2),
        )
        service = start_ingest(settings, database, metrics)
        running.append(service)
        return Ingest(service, settings, database)

    yield starter
    for service in running:
        service.stop()


@pytest.fixture
def ingest(start: StartIngest) -> Ingest:
    return start()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded, 20 s) for something the service's threads bring about."""
    for _ in range(2000):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"gave up waiting for {what}")
