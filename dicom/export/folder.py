"""Export to a folder (a share a PACS imports from): each file is copied under a temporary
hidden name, synced, then renamed, so an importer never sees a partial file."""

import errno
import logging

from config.settings import FolderDestination
from dicom.atomic_file import copy_file
from dicom.export.delivery import Delivery
from dicom.export.outcome import ExportOutcome, combine
from dicom.results.written_file import WrittenFile

log = logging.getLogger(__name__)

# Errors a person must fix (permissions, a file where the folder should be); anything else
# (disk full, share gone for a moment, I/O error) may pass.
_PERMANENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR}


class FolderSender:
    """Copies a result's files into `<path>/<SOP Instance UID>.dcm`; thread-safe, stateless."""

    def __init__(self, destination: FolderDestination) -> None:
        self.name = destination.name
        self.path = destination.path

    def send(self, delivery: Delivery) -> ExportOutcome:
        # The folder must exist already: creating it could fill the local disk under the
        # mount point of a share that is not mounted.
        if not self.path.is_dir():
            return ExportOutcome.retry(
                f"folder {self.path} does not exist or is not a folder (is the share mounted?)"
            )
        return combine([self._copy(file) for file in delivery.files])

    def _copy(self, file: WrittenFile) -> ExportOutcome:
        path, uid = file.path, file.sop_instance_uid
        try:
            copy_file(path, self.path / f"{uid}.dcm")
        except OSError as error:
            reason = f"cannot copy {path.name} to {self.path}: {error.strerror or error}"
            log.warning("export to %s: %s", self.name, reason)
            if error.errno in _PERMANENT_ERRNOS:
                return ExportOutcome.permanent(reason)
            return ExportOutcome.retry(reason)
        return ExportOutcome.success((uid,))
