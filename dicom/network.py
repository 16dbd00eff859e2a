"""pynetdicom's process-wide settings, set in this one place when the service starts.

pynetdicom keeps its behaviour in module globals (`pynetdicom._config`) and writes each data
set it receives in chunked mode to a `tempfile.NamedTemporaryFile` in the system temporary
folder. We want the received bytes to land on the storage volume, beside their final place,
so that storing an instance is a rename and never a copy: `configure_pynetdicom` routes those
files to the spool of the storage SCP that receives them (any other AE in the process keeps
pynetdicom's temporary files).

It turns off pydicom's validation of values while reading: received headers are untrusted and
often slightly off, and pydicom would put each offending value (a patient's name included)
into a warning and its log. What we need we check ourselves (dicom.scp.attributes).

It also replaces how a PDU is read from the socket (dicom.pdu_reading): pynetdicom reads 4 KiB
per call and appends, which for a multi-gigabyte slide is hundreds of thousands of Python-level
calls, and it trusts the length the peer declares; we refuse a PDU longer than our AE accepts
(with an A-ABORT) and read into a buffer that grows as the bytes arrive, in few calls. And it
decodes a P-DATA-TF PDU over a memoryview of the bytes read instead of four successive copies
of them (pynetdicom makes `bytes` of the PDU, of its items field, of each item and of each
fragment): the fragments of a data set reach the file as views of the one buffer the PDU was
read into. A presentation data value without its message control header is an invalid PDU
(A-ABORT), where pynetdicom's DIMSE decoding would stop the association's reactor instead.

A P-DATA-TF PDU that only continues the data set being received skips the rest of pynetdicom's
path (PDU object, queues, state machine, DIMSE decoding): dicom.data_fragments writes its
fragments to the file, and dicom.pdu_reading reads the next such PDUs in the same call. And a
DUL reactor's idle 1 ms sleep ends as soon as its connection has bytes (dicom.dul_clock), so a
fast sender is not stopped by a full socket buffer while the receiver sleeps.

And an association's reactor polls for complete messages every 5 ms instead of every 1 ms: it
wakes a fifth as often a thread that contends for the GIL with the one receiving (with the
above, about a third more throughput in bench/dicom_receive.py; a message waits at most 5 ms).

A C-STORE request whose Affected SOP Class or Instance UID pynetdicom cannot carry (missing,
blank, several values, longer than 64 characters) would stop its decoding with an exception
and the association with it; `_incoming_file` puts STAND_IN_UID in its place and has the spool
refuse the data set with the reason, so the sender gets a failure status instead.

These are pynetdicom 3.0 internals (pyproject pins the minor version); tests/dicom/
test_pynetdicom_internals.py fails when a name we replace or rely on changes.
"""

import tempfile
import threading
import time
from types import ModuleType
from typing import IO, Any, Protocol

from pydicom import config as pydicom_config
from pynetdicom import _config, dimse_messages
from pynetdicom import association as pynetdicom_association
from pynetdicom import dul as pynetdicom_dul
from pynetdicom import events as pynetdicom_events
from pynetdicom.dul import DULServiceProvider
from pynetdicom.pdu import P_DATA_TF

from dicom.dul_clock import DulClock
from dicom.export.dimse import enable_streamed_c_store
from dicom.pdu_reading import read_pdu_data

# The attribute of a pynetdicom AE that names where its received data sets go.
RECEIVE_SPOOL_ATTRIBUTE = "receive_spool"
_P_DATA_TF_TYPE = 0x04
_P_DATA_TF_EVENT = "Evt10"  # the state machine's "P-DATA-TF PDU received"
_decode_pdu_copying = DULServiceProvider._decode_pdu
# An association reactor's poll for complete DIMSE messages: pynetdicom's, and ours.
_PYNETDICOM_REACTOR_POLL_SECONDS = 0.001
REACTOR_POLL_SECONDS = 0.005
# What replaces a request UID that pynetdicom cannot carry (the instance is refused anyway).
STAND_IN_UID = "2.25.0"
_MAX_UID_LENGTH = 64
_REQUEST_UIDS = (
    ("AffectedSOPClassUID", "Affected SOP Class UID (0000,0002)"),
    ("AffectedSOPInstanceUID", "Affected SOP Instance UID (0000,1000)"),
)


class ReceiveSpool(Protocol):
    """Opens the file that one received data set is written into."""

    def open_incoming(self, association: Any, problem: str | None = None) -> IO[bytes]: ...


def configure_pynetdicom() -> None:
    """Stream C-STORE data sets from and to disk, never holding an instance in memory, and read
    received headers without logging their values.

    Idempotent; call it once at service start-up before any association is made.
    """
    enable_streamed_c_store()
    pydicom_config.settings.reading_validation_mode = pydicom_config.IGNORE
    _config.STORE_RECV_CHUNKED_DATASET = True
    # The module's name for the file factory it calls per received C-STORE data set.
    dimse_messages.NamedTemporaryFile = _incoming_file  # type: ignore[attr-defined,assignment]
    DULServiceProvider._read_pdu_data = read_pdu_data  # type: ignore[method-assign,assignment]
    DULServiceProvider._decode_pdu = _decode_pdu  # type: ignore[method-assign]
    pynetdicom_association.time = _ReactorClock()  # type: ignore[attr-defined]
    pynetdicom_dul.time = DulClock()  # type: ignore[attr-defined]


def is_configured() -> bool:
    """Whether `configure_pynetdicom` ran in this process."""
    factory = getattr(dimse_messages, "NamedTemporaryFile", None)
    return (
        bool(_config.STORE_RECV_CHUNKED_DATASET)
        and factory is _incoming_file
        and DULServiceProvider._decode_pdu is _decode_pdu
        and DULServiceProvider._read_pdu_data is read_pdu_data
        and isinstance(pynetdicom_association.time, _ReactorClock)  # type: ignore[attr-defined]
    )


class _ReactorClock(ModuleType):
    """The `time` module as pynetdicom's association module sees it: the same, except that the
    association reactor's 1 ms poll sleeps REACTOR_POLL_SECONDS."""

    def __init__(self) -> None:
        super().__init__("time")

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        if seconds == _PYNETDICOM_REACTOR_POLL_SECONDS:
            seconds = REACTOR_POLL_SECONDS
        time.sleep(seconds)


def _incoming_file(**options: Any) -> IO[bytes]:
    """The file pynetdicom writes a received data set into: the receiving SCP's spool, if any."""
    # pynetdicom decodes P-DATA on the association's DUL thread, which knows its association.
    association = getattr(threading.current_thread(), "assoc", None)
    spool = getattr(getattr(association, "ae", None), RECEIVE_SPOOL_ATTRIBUTE, None)
    if spool is None:
        return tempfile.NamedTemporaryFile(**options)
    problem = _unusable_request_uids(association.dimse.message.command_set)  # type: ignore[union-attr]
    opened: IO[bytes] = spool.open_incoming(association, problem)
    return opened


def _unusable_request_uids(command_set: Any) -> str | None:
    """Why the request's UIDs cannot be carried on (each replaced by STAND_IN_UID), or None."""
    problems = []
    for keyword, name in _REQUEST_UIDS:
        problem = _uid_problem(command_set, keyword)
        if problem is not None:
            problems.append(f"{name} {problem}")
            setattr(command_set, keyword, STAND_IN_UID)
    return "; ".join(problems) or None


def _uid_problem(command_set: Any, keyword: str) -> str | None:
    try:
        value = command_set.get(keyword)
    except (ValueError, TypeError, LookupError):  # what pydicom raises for an odd value
        return "cannot be read"
    if value is not None and not isinstance(value, str):
        return "holds several values"
    text = (value or "").strip().rstrip("\0")
    if not text:
        return "is empty"
    if len(text) > _MAX_UID_LENGTH:
        return f"is longer than {_MAX_UID_LENGTH} characters"
    return None


def _decode_pdu(self: DULServiceProvider, bytestream: bytearray) -> tuple[Any, str]:
    """pynetdicom's PDU decoding, with a P-DATA-TF's items and fragments left as memoryviews
    of `bytestream` (pynetdicom's DIMSE decoding and our files take any bytes-like object)."""
    if bytestream[0] != _P_DATA_TF_TYPE:
        return _decode_pdu_copying(self, bytestream)
    association = self.assoc
    if association.get_handlers(pynetdicom_events.EVT_DATA_RECV):
        pynetdicom_events.trigger(
            association, pynetdicom_events.EVT_DATA_RECV, {"data": bytes(bytestream)}
        )
    pdu = P_DATA_TF()
    pdu.decode(memoryview(bytestream))  # type: ignore[arg-type]
    if any(not item.presentation_data_value for item in pdu.presentation_data_value_items):
        # pynetdicom's DIMSE decoding would fail on it and stop the association's reactor.
        raise ValueError("a presentation data value without its message control header")
    pynetdicom_events.trigger(association, pynetdicom_events.EVT_PDU_RECV, {"pdu": pdu})
    return pdu, _P_DATA_TF_EVENT
