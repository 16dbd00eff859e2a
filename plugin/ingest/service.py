"""The ingest service: the storage SCP, its database index and the slide sweeper, started and
stopped together (`pathsentry serve` calls `start_ingest` and, at the end, `stop`)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from config import PathSentryError, Settings
from db.migrate import require_current
from db.session import Database
from dicom.network import configure_pynetdicom
from dicom.scp import StorageScp
from plugin.ingest.index import DatabaseIndex
from plugin.ingest.orphans import remove_orphans
from plugin.ingest.sweeper import SlideSweeper
from plugin.metrics import IngestMetrics

log = logging.getLogger(__name__)


class IngestSetupError(PathSentryError):
    """Ingest cannot start with these settings; the message says what to change."""


@dataclass
class IngestService:
    """A running ingest: receives slides, indexes them, queues their jobs."""

    scp: StorageScp
    sweeper: SlideSweeper

    @property
    def port(self) -> int:
        """The DICOM port it listens on."""
        return self.scp.port

    @property
    def alive(self) -> bool:
        """Whether the DICOM listener accepts associations."""
        return self.scp.listening

    def stop(self) -> None:
        """Stop receiving (open associations are aborted, their partial files removed), then
        stop the sweeper."""
        self.scp.stop()
        self.sweeper.stop()


def start_ingest(
    settings: Settings,
    database: Database,
    metrics: IngestMetrics | None = None,
    *,
    on_job_queued: Callable[[int], None] | None = None,
) -> IngestService:
    """Clean up after the last run, then start the sweeper and the SCP (counting what it does
    in `metrics`, or in metrics of its own).

    Needs a migrated database; sets pynetdicom's process-wide settings
    (dicom.network.configure_pynetdicom). `on_job_queued(job_id)` runs after the commit of
    each job queued (distributed mode publishes its message).
    """
    configure_pynetdicom()
    require_current(database)
    _prepare_folders(settings.storage.incoming_dir, settings.storage.slides_dir)
    max_attempts = settings.jobs.max_attempts
    scp = StorageScp(
        settings.dicom,
        incoming_dir=settings.storage.incoming_dir,
        slides_dir=settings.storage.slides_dir,
        index=DatabaseIndex(database, max_attempts=max_attempts, on_job_queued=on_job_queued),
        observer=metrics or IngestMetrics(CollectorRegistry()),
    )
    remove_orphans(scp, database)
    quiet = timedelta(seconds=settings.dicom.slide_quiet_period_s)
    sweeper = SlideSweeper(
        database, quiet_period=quiet, max_attempts=max_attempts, on_job_queued=on_job_queued
    )
    sweeper.start()
    try:
        scp.start()
    except BaseException:
        sweeper.stop()
        raise
    return IngestService(scp, sweeper)


def _prepare_folders(incoming: Path, slides: Path) -> None:
    """Both folders exist, on one filesystem (storing an instance is a rename between them)."""
    for folder in (incoming, slides):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise IngestSetupError(
                f"cannot create {folder} ({error.strerror}): check storage.data_dir"
            ) from error
    if incoming.stat().st_dev != slides.stat().st_dev:
        raise IngestSetupError(
            f"{incoming} and {slides} are on different filesystems: keep them under one "
            "storage.data_dir volume, so that storing an instance is an atomic rename"
        )
