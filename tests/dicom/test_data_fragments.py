"""Data set fragments written straight to the file being received (dicom.data_fragments), and
read several PDUs at a time (dicom.pdu_reading): only when pynetdicom would have done nothing
else with the PDU; anything else is left to pynetdicom, with nothing written."""

import io
import socket
import struct
from collections.abc import Iterator

import pytest
from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.dimse_messages import DIMSEMessage
from pynetdicom.transport import AssociationSocket

from dicom.data_fragments import write_data_fragments
from dicom.network import configure_pynetdicom
from dicom.pdu_reading import STREAMED_PDUS, read_pdu_data

CONTEXT = 3
_DATA, _DATA_LAST, _COMMAND = 0x00, 0x02, 0x01


class ReceivedFile(io.BytesIO):
    """What pynetdicom writes a data set into: `write`, and `file.flush`."""

    @property
    def file(self) -> "ReceivedFile":
        return self


def _pdv(control: int, data: bytes, context: int = CONTEXT) -> bytes:
    return struct.pack(">IBB", len(data) + 2, context, control) + data


def _pdu(*items: bytes) -> bytearray:
    value = b"".join(items)
    return bytearray(struct.pack(">BBI", 0x04, 0, len(value)) + value)


@pytest.fixture
def association() -> Iterator[Association]:
    """An acceptor's association in data transfer, receiving a data set into a file."""
    configure_pynetdicom()
    ours, theirs = socket.socketpair()
    association = Association(AE(), "acceptor")
    association.dul.socket = AssociationSocket(association, client_socket=ours)
    assert association.dul.event_queue.get_nowait() == "Evt5"  # the connection, long handled
    association.dul.state_machine.current_state = "Sta6"
    message = DIMSEMessage()
    message.context_id = CONTEXT
    message._data_set_file = ReceivedFile()  # type: ignore[assignment]
    association.dimse.message = message
    association.peer = theirs  # type: ignore[attr-defined]
    yield association
    ours.close()
    theirs.close()


def _written(association: Association) -> bytes:
    return association.dimse.message._data_set_file.getvalue()  # type: ignore[union-attr]


def test_non_final_data_fragments_go_to_the_file_in_order(association: Association) -> None:
    pdu = _pdu(_pdv(_DATA, b"first "), _pdv(_DATA, b"second"))
    assert write_data_fragments(association.dul, pdu)
    assert _written(association) == b"first second"
    assert association.dul.event_queue.empty() and association.dul._recv_pdu.empty()


@pytest.mark.parametrize(
    "pdu",
    [
        _pdu(_pdv(_DATA, b"a"), _pdv(_DATA_LAST, b"end")),
        _pdu(_pdv(_COMMAND, b"command")),
        _pdu(_pdv(_DATA, b"other context", context=CONTEXT + 2)),
        _pdu(_pdv(_DATA, b"a") + struct.pack(">IB", 1, CONTEXT)),
        _pdu(_pdv(_DATA, b"a")[:-1] + b""),
        bytearray(_pdu(_pdv(_DATA, b"abc")))[:-1],
        _pdu(),
    ],
    ids=[
        "last-fragment",
        "command",
        "other-context",
        "item-without-control-header",
        "item-shorter-than-declared",
        "pdu-cut",
        "no-items",
    ],
)
def test_anything_else_is_left_to_pynetdicom(association: Association, pdu: bytearray) -> None:
    assert not write_data_fragments(association.dul, pdu)
    assert _written(association) == b""


def test_only_in_data_transfer_with_nothing_waiting_and_no_handler_watching(
    association: Association,
) -> None:
    pdu = _pdu(_pdv(_DATA, b"x"))
    dul = association.dul
    dul.state_machine.current_state = "Sta7"  # release requested: pynetdicom's AR-6 decides
    assert not write_data_fragments(dul, pdu)
    dul.state_machine.current_state = "Sta6"
    dul.event_queue.put("Evt18")
    assert not write_data_fragments(dul, pdu)
    dul.event_queue.get()
    association.bind(evt.EVT_DATA_RECV, lambda event: None)
    assert not write_data_fragments(dul, pdu)
    assert _written(association) == b""


def test_no_data_set_being_received_means_pynetdicom_decodes(association: Association) -> None:
    association.dimse.message = None
    assert not write_data_fragments(association.dul, _pdu(_pdv(_DATA, b"x")))


def test_pdus_waiting_on_the_connection_are_read_in_one_call(association: Association) -> None:
    peer: socket.socket = association.peer  # type: ignore[attr-defined]
    for number in range(5):
        peer.sendall(_pdu(_pdv(_DATA, b"%d" % number)))
    peer.sendall(_pdu(_pdv(_DATA_LAST, b"end")))
    read_pdu_data(association.dul)
    assert _written(association) == b"01234"
    assert association.dul.event_queue.get_nowait() == "Evt10"  # the last one: pynetdicom's
    assert association.dul._recv_pdu.qsize() == 1


def test_a_call_reads_a_bounded_number_of_pdus(association: Association) -> None:
    peer: socket.socket = association.peer  # type: ignore[attr-defined]
    for _ in range(STREAMED_PDUS + 1):
        peer.sendall(_pdu(_pdv(_DATA, b"y")))
    read_pdu_data(association.dul)
    assert _written(association) == b"y" * STREAMED_PDUS
    read_pdu_data(association.dul)
    assert _written(association) == b"y" * (STREAMED_PDUS + 1)
