"""The association slots of the storage SCP (dicom.max_associations).

pynetdicom counts every open connection against its limit, from the moment it is accepted until
its thread ends: sixteen connections that send nothing lock every scanner out until
dicom.acse_timeout_s, and closing them frees nothing until then. Here a slot is taken only when
an A-ASSOCIATE-RQ arrives, and given back the moment the association's connection closes.

pynetdicom's thread for a connection that closes before its request also waits out
dicom.acse_timeout_s for a request that cannot come; `closed` wakes it with an A-P-ABORT on its
DUL's queue to the user, which `requested` recognises, so that the thread ends at once.
"""

import contextlib
import threading

from pynetdicom import evt
from pynetdicom.association import Association
from pynetdicom.pdu_primitives import A_ASSOCIATE, A_P_ABORT

# A-ASSOCIATE-RJ: transient, service provider (presentation), local limit exceeded (PS3.8 9.3.4).
_LIMIT_REACHED = (0x02, 0x03, 0x02)


class AssociationSlots:
    """At most `limit` associations that asked to associate and are still connected."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._held: set[Association] = set()

    @property
    def held(self) -> int:
        """How many slots are taken now."""
        with self._lock:
            self._held = {held for held in self._held if _connected(held)}
            return len(self._held)

    def requested(self, event: evt.Event) -> None:
        """EVT_REQUESTED: take a slot, or reject the association (pynetdicom logs it with
        EVT_REJECTED, as its own rejections)."""
        association = event.assoc
        if not requested_association(association):
            association.is_aborted = True  # woken by `closed`: pynetdicom ends the thread
            return
        with self._lock:
            self._held = {held for held in self._held if _connected(held)}
            full = len(self._held) >= self.limit
            if not full:
                self._held.add(association)
        if full:
            association.acse.send_reject(*_LIMIT_REACHED)
            evt.trigger(association, evt.EVT_REJECTED, {})
            association.kill()

    def closed(self, event: evt.Event) -> None:
        """EVT_CONN_CLOSE: the connection is gone, and its slot with it."""
        with self._lock:
            self._held.discard(event.assoc)
        _wake_unrequested(event.assoc)


def dismiss(association: Association) -> None:
    """Close the connection of an association that never asked to associate, and end it."""
    socket = association.dul.socket
    if socket is not None:
        with contextlib.suppress(OSError):
            socket.close()
    _wake_unrequested(association)


def requested_association(association: Association) -> bool:
    """Whether the peer's A-ASSOCIATE-RQ arrived."""
    return isinstance(association.requestor.primitive, A_ASSOCIATE)


def _wake_unrequested(association: Association) -> None:
    """End the wait for a request on a connection that has none: the thread ends now."""
    if association.requestor.primitive is None and association.dul.to_user_queue.empty():
        association.dul.to_user_queue.put(A_P_ABORT())


def _connected(association: Association) -> bool:
    ended = association.is_released or association.is_aborted or association.is_rejected
    return association.is_alive() and not ended
