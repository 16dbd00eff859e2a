"""The C-STORE handler: take the received file, check it, let the index place and record it,
and answer the status that says what happened. It never raises."""

import logging
import threading
from pathlib import Path
from typing import cast

from pydicom.dataset import Dataset
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.events import Event

from dicom.scp.attributes import checked_uid, shown
from dicom.scp.header import read_instance
from dicom.scp.index import IndexOutcome, IndexResult, InstanceIndex
from dicom.scp.observer import IngestObserver
from dicom.scp.received import ReceivedInstance, StoreRequest
from dicom.scp.spool import IncomingSpool
from dicom.scp.status import InstanceRefusedError, StoreStatus, response
from dicom.scp.storage import InstanceStore, Placement

log = logging.getLogger(__name__)

_AFFECTED_INSTANCE = "Affected SOP Instance UID (0000,1000)"
_OUTCOME_STATUS = {
    IndexOutcome.CONFLICT: StoreStatus.DUPLICATE_SOP_INSTANCE,
    IndexOutcome.INCONSISTENT: StoreStatus.DATA_SET_DOES_NOT_MATCH,
}


class StoreHandler:
    """Handles EVT_C_STORE for the storage SCP (pynetdicom runs it on the association's thread)."""

    def __init__(
        self,
        spool: IncomingSpool,
        store: InstanceStore,
        index: InstanceIndex,
        allowed_sop_classes: frozenset[str],
        observer: IngestObserver,
    ) -> None:
        self._observer = observer
        self._spool = spool
        self._store = store
        self._index = index
        self._allowed = allowed_sop_classes
        self._lock = threading.Lock()
        self._delivered: dict[object, set[str]] = {}

    def association_ended(self, association: object) -> None:
        """Tell the index which series the association delivered (never raises)."""
        with self._lock:
            series = self._delivered.pop(association, set())
        if not series:
            return
        try:
            self._index.sender_finished(series)
        except Exception:  # a handler is a process boundary; the sweeper completes them later
            log.exception("failed to judge the slides of an ended association")

    def __call__(self, event: Event) -> Dataset:
        request = store_request(event)
        status = self._answer(event, request)
        self._observer.store_answered(int(status.Status))
        return status

    def _answer(self, event: Event, request: StoreRequest) -> Dataset:
        try:
            self._receive(event, request)
        except InstanceRefusedError as refusal:
            log.warning(
                "refused SOP Instance %s from %s: %s (status 0x%04X)",
                shown(request.sop_instance_uid),
                request.sender,
                refusal.reason,
                refusal.status,
            )
            return response(refusal.status, refusal.reason)
        except Exception as error:  # a handler is a process boundary: it must answer a status
            log.exception(
                "failed to store SOP Instance %s from %s (received into %s): %s: %s",
                shown(request.sop_instance_uid),
                request.sender,
                event.dataset_path,
                type(error).__name__,
                error,
            )
            return response(
                StoreStatus.PROCESSING_FAILURE, "internal error: see the PathSentry log"
            )
        return response(StoreStatus.SUCCESS)

    def _receive(self, event: Event, request: StoreRequest) -> None:
        incoming = self._spool.claim(Path(event.dataset_path))
        try:
            incoming.check()
            if request.sop_class_uid not in self._allowed:
                raise InstanceRefusedError(
                    StoreStatus.SOP_CLASS_NOT_SUPPORTED,
                    f"SOP class {shown(request.sop_class_uid)} is not stored here",
                )
            checked_uid(request.sop_instance_uid, _AFFECTED_INSTANCE)
            received = incoming.finish()
            self._observer.instance_received(received.size_bytes)
            instance = read_instance(received, request)
            placement = Placement(
                received.path,
                self._store.path_for(instance.series_instance_uid, instance.sop_instance_uid),
            )
            _answer(instance, self._indexed(instance, placement))
        finally:
            incoming.discard()
        with self._lock:
            self._delivered.setdefault(event.assoc, set()).add(instance.series_instance_uid)

    def _indexed(self, instance: ReceivedInstance, placement: Placement) -> IndexResult:
        try:
            return self._index.index(instance, placement)
        except BaseException:
            placement.withdraw()
            raise


def _answer(instance: ReceivedInstance, result: IndexResult) -> None:
    """Log what the index did; raise the refusal the sender must hear, if any."""
    uid, sender = instance.sop_instance_uid, instance.request.sender
    if result.outcome is IndexOutcome.STORED:
        log.info(
            "stored SOP Instance %s of series %s (%s, %d bytes) from %s",
            uid,
            instance.series_instance_uid,
            instance.image.image_type,
            instance.size_bytes,
            sender,
        )
    elif result.outcome is IndexOutcome.DUPLICATE:
        log.info(
            "SOP Instance %s from %s is already stored, identical: nothing changed", uid, sender
        )
    else:
        raise InstanceRefusedError(_OUTCOME_STATUS[result.outcome], result.reason or "conflict")


def store_request(event: Event) -> StoreRequest:
    """The C-STORE request's UIDs and sender, as plain values."""
    request, requestor = cast(C_STORE, event.request), event.assoc.requestor
    return StoreRequest(
        sop_class_uid=str(request.AffectedSOPClassUID or ""),
        sop_instance_uid=str(request.AffectedSOPInstanceUID or ""),
        transfer_syntax_uid=str(event.context.transfer_syntax),
        calling_ae_title=str(requestor.ae_title).strip(),
        peer=f"{requestor.address}:{requestor.port}",
    )
