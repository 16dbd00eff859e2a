"""Export by DICOM C-STORE (pynetdicom): one association per result, each file streamed from
disk in the transfer syntax it has, proposing exactly the (SOP class, transfer syntax) pairs of
the files."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info
from pynetdicom import AE, _config
from pynetdicom.association import Association

from config.errors import PathSentryError
from config.settings import DimseDestination
from dicom.export import status as storage_status
from dicom.export.delivery import Delivery
from dicom.export.outcome import ExportOutcome, Verdict, combine

log = logging.getLogger(__name__)

MAX_CONTEXTS = 128
# A-ASSOCIATE-RJ: result 2 is "rejected (transient)"; source 3 (presentation layer) rejects
# for congestion or a local limit, which pass.
_TRANSIENT_RESULT = 2
_PRESENTATION_SOURCE = 3


class ExportSetupError(PathSentryError):
    """The process is not set up to export; the message says what to call at start-up."""


def enable_streamed_c_store() -> None:
    """Makes pynetdicom send files given by path in chunks instead of loading them whole.

    pynetdicom keeps this in a process-wide setting: call this once at service start-up (the
    DIMSE sender refuses to work without it, so that large files never fill the memory).
    """
    _config.STORE_SEND_CHUNKED_DATASET = True


@dataclass(frozen=True)
class _ResultFile:
    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str


class DimseSender:
    """C-STORE SCU to one destination; thread-safe (each send has its own association)."""

    def __init__(self, destination: DimseDestination) -> None:
        if not _config.STORE_SEND_CHUNKED_DATASET:
            raise ExportSetupError(
                "call dicom.export.enable_streamed_c_store() once at start-up before sending "
                "by C-STORE, so that files stream from disk"
            )
        self.name = destination.name
        self.destination = destination

    def send(self, delivery: Delivery) -> ExportOutcome:
        return self.send_files([file.path for file in delivery.files])

    def send_files(self, paths: Sequence[Path]) -> ExportOutcome:
        """C-STORE these files in one association (also what the demo's scanner does)."""
        try:
            files = [_read_meta(path) for path in paths]
        except (OSError, InvalidDicomError, AttributeError) as error:
            return ExportOutcome.permanent(f"cannot read a result file: {error}")
        if len(_contexts(files)) > MAX_CONTEXTS:
            return ExportOutcome.permanent(f"more than {MAX_CONTEXTS} presentation contexts")
        association = self._associate(files)
        if not association.is_established:
            return self._not_associated(association)
        try:
            return combine(self._store_all(association, files))
        finally:
            if association.is_established:
                association.release()

    @property
    def _peer(self) -> str:
        d = self.destination
        return f"{d.ae_title}@{d.host}:{d.port}"

    def _associate(self, files: list[_ResultFile]) -> Association:
        d = self.destination
        entity = AE(ae_title=d.calling_ae_title)
        for timeout in ("acse_timeout", "dimse_timeout", "network_timeout", "connection_timeout"):
            setattr(entity, timeout, d.timeout_s)
        for sop_class, syntax in _contexts(files):
            entity.add_requested_context(sop_class, syntax)
        return entity.associate(d.host, d.port, ae_title=d.ae_title)

    def _not_associated(self, association: Association) -> ExportOutcome:
        if not association.is_rejected:
            outcome = ExportOutcome.retry(
                f"no association with {self._peer}: connection refused, timed out or aborted"
            )
        else:
            outcome = _rejection(association, self._peer)
        log.warning("export to %s: %s", self.name, outcome.reason)
        return outcome

    def _store_all(self, association: Association, files: list[_ResultFile]) -> list[ExportOutcome]:
        outcomes = []
        for file in files:
            outcome = self._store(association, file)
            outcomes.append(outcome)
            if not outcome.delivered:
                log.warning("export to %s: %s", self.name, outcome.reason)
            if not association.is_established:
                # Aborted or timed out: the other files wait for the next attempt.
                break
        return outcomes

    def _store(self, association: Association, file: _ResultFile) -> ExportOutcome:
        if not _accepted(association, file):
            return ExportOutcome.permanent(
                f"{self._peer} accepts no presentation context for {file.path.name} "
                f"(SOP class {file.sop_class_uid}, transfer syntax {file.transfer_syntax_uid}): "
                "enable them on the destination"
            )
        try:
            response: Dataset = association.send_c_store(file.path)
        except OSError as error:
            return ExportOutcome.permanent(f"cannot read the result file {file.path}: {error}")
        except RuntimeError as error:  # the association ended under us
            return ExportOutcome.retry(f"association with {self._peer} lost: {error}")
        if "Status" not in response:
            return ExportOutcome.retry(
                f"no C-STORE response from {self._peer} for {file.path.name} "
                "(timed out or association aborted)"
            )
        return _stored_or_not(int(response.Status), file, self._peer)


def _read_meta(path: Path) -> _ResultFile:
    meta = read_file_meta_info(path)
    return _ResultFile(
        path,
        str(meta.MediaStorageSOPClassUID),
        str(meta.MediaStorageSOPInstanceUID),
        str(meta.TransferSyntaxUID),
    )


def _contexts(files: list[_ResultFile]) -> list[tuple[str, str]]:
    """The distinct (SOP class, transfer syntax) pairs of the files, in order."""
    return list(dict.fromkeys((f.sop_class_uid, f.transfer_syntax_uid) for f in files))


def _accepted(association: Association, file: _ResultFile) -> bool:
    return any(
        context.abstract_syntax == file.sop_class_uid
        and file.transfer_syntax_uid in context.transfer_syntax
        for context in association.accepted_contexts
    )


def _rejection(association: Association, peer: str) -> ExportOutcome:
    primitive = association.acceptor.primitive
    if primitive is None:
        return ExportOutcome.retry(f"{peer} rejected the association without saying why")
    text = (
        f"{peer} rejected the association ({primitive.result_str}, {primitive.source_str}: "
        f"{primitive.reason_str})"
    )
    if primitive.result == _TRANSIENT_RESULT or primitive.result_source == _PRESENTATION_SOURCE:
        return ExportOutcome.retry(text)
    return ExportOutcome.permanent(f"{text}: check the AE titles on both sides")


def _stored_or_not(status: int, file: _ResultFile, peer: str) -> ExportOutcome:
    if storage_status.is_stored(status):
        if status:
            warning = storage_status.describe(status)
            log.info("%s stored %s with status %s", peer, file.path.name, warning)
        return ExportOutcome.success((file.sop_instance_uid,))
    text = f"{peer} refused {file.path.name}: C-STORE status {storage_status.describe(status)}"
    if storage_status.failure_verdict(status) is Verdict.RETRY:
        return ExportOutcome.retry(text)
    return ExportOutcome.permanent(text)
