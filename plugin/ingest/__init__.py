"""DICOM ingest: the storage SCP composed with the database index and the slide sweeper."""

from plugin.ingest.index import DatabaseIndex
from plugin.ingest.orphans import Orphans, remove_orphans
from plugin.ingest.service import IngestService, IngestSetupError, start_ingest
from plugin.ingest.sweeper import SlideSweeper, Sweep

__all__ = [
    "DatabaseIndex",
    "IngestService",
    "IngestSetupError",
    "Orphans",
    "SlideSweeper",
    "Sweep",
    "remove_orphans",
    "start_ingest",
]
