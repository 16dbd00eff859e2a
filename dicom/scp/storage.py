"""Where stored instances live, and the move from the incoming folder into that place.

Layout: `<slides_dir>/<Series Instance UID>/<SOP Instance UID>.dcm`. The UIDs were checked to be
valid UIDs (digits and dots only) before they name anything on disk, and the incoming folder
lies on the same filesystem, so placing an instance is an atomic rename.
"""

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from dicom.scp.attributes import checked_uid

log = logging.getLogger(__name__)

INSTANCE_SUFFIX = ".dcm"


class InstanceStore:
    """The folder of stored slides."""

    def __init__(self, slides_dir: Path) -> None:
        self.slides_dir = slides_dir

    def series_dir(self, series_instance_uid: str) -> Path:
        """The folder of one slide (series)."""
        return self.slides_dir / checked_uid(series_instance_uid, "Series Instance UID")

    def path_for(self, series_instance_uid: str, sop_instance_uid: str) -> Path:
        """Where an instance is stored."""
        name = checked_uid(sop_instance_uid, "SOP Instance UID") + INSTANCE_SUFFIX
        return self.series_dir(series_instance_uid) / name

    def stored_files(self) -> Iterator[Path]:
        """Every instance file on disk, indexed or not."""
        if not self.slides_dir.is_dir():
            return
        for series in self.slides_dir.iterdir():
            if series.is_dir():
                yield from (path for path in series.iterdir() if path.suffix == INSTANCE_SUFFIX)


class Placement:
    """A received file and the place it goes to; the index places it inside its transaction."""

    def __init__(self, incoming: Path, target: Path) -> None:
        self.incoming = incoming
        self.target = target
        self.placed = False

    def place(self) -> Path:
        """Rename the file into place and sync the folder, so the name survives a crash."""
        folder = self.target.parent
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            _sync_folder(folder.parent)
        self.incoming.replace(self.target)
        _sync_folder(folder)
        self.placed = True
        return self.target

    def withdraw(self) -> None:
        """Undo `place` (the index failed after it): an unindexed file must not stay in place."""
        if self.placed:
            self.target.unlink(missing_ok=True)
            self.placed = False


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
