"""Data set fragments written straight to the incoming file (dicom.data_fragments) arrive as
sent, however a sender packs them into PDUs; a malformed one ends the association as it does
in pynetdicom's own decoding, and leaves nothing behind."""

import struct

import pytest
from pydicom.filereader import read_file_meta_info

from dicom.scp import StoreStatus
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.plugin.ingest.conftest import Ingest, wait_for
from tests.plugin.ingest.raw_peer import Instance, PeerClosedError, RawPeer, p_data, store_command

_COMMAND_LAST, _DATA, _DATA_LAST = 0x03, 0x00, 0x02


def _pdv(context_id: int, control: int, data: bytes) -> bytes:
    return struct.pack(">IBB", len(data) + 2, context_id, control) + data


def _p_data_tf(items: list[bytes]) -> bytes:
    value = b"".join(items)
    return struct.pack(">BBI", 0x04, 0, len(value)) + value


def _fragments(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


@pytest.mark.parametrize("per_pdu", [1, 3], ids=["one-fragment-per-pdu", "three-per-pdu"])
def test_fragments_packed_any_way_are_stored_as_sent(
    ingest: Ingest, slide: SyntheticSlide, per_pdu: int
) -> None:
    instance = Instance.from_file(slide.levels[2])
    fragments = _fragments(instance.data_set, 5_000)
    assert len(fragments) > 3 * per_pdu
    peer = RawPeer(ingest.port)
    try:
        peer.associate(instance)
        peer.socket.sendall(p_data(1, _COMMAND_LAST, store_command(instance)))
        for start in range(0, len(fragments), per_pdu):
            group = fragments[start : start + per_pdu]
            last = start + per_pdu >= len(fragments)
            items = [
                _pdv(1, _DATA_LAST if last and number == len(group) - 1 else _DATA, fragment)
                for number, fragment in enumerate(group)
            ]
            peer.socket.sendall(_p_data_tf(items))
        status = peer.response()
        peer.release()
    finally:
        peer.close()
    assert status.Status == StoreStatus.SUCCESS
    stored = ingest.files()[1]
    assert len(stored) == 1
    assert Instance.from_file(stored[0]).data_set == instance.data_set
    assert read_file_meta_info(stored[0]).MediaStorageSOPInstanceUID == instance.sop_instance_uid


@pytest.mark.parametrize(
    "bad_item",
    [
        struct.pack(">IBB", 50_000, 1, _DATA) + bytes(100),  # its length runs past the PDU
        struct.pack(">I", 1) + b"\x01",  # too short to hold a control header
    ],
    ids=["item-longer-than-its-pdu", "item-without-control-header"],
)
def test_a_malformed_fragment_mid_data_set_ends_the_association_and_leaves_nothing(
    ingest: Ingest, slide: SyntheticSlide, bad_item: bytes
) -> None:
    instance = Instance.from_file(slide.levels[2])
    fragments = _fragments(instance.data_set, 5_000)
    peer = RawPeer(ingest.port, timeout_s=10)
    try:
        peer.associate(instance)
        peer.socket.sendall(p_data(1, _COMMAND_LAST, store_command(instance)))
        for fragment in fragments[:3]:
            peer.socket.sendall(_p_data_tf([_pdv(1, _DATA, fragment)]))
        wait_for(lambda: ingest.service.scp.spool.pending == 1, "the data set being received")
        peer.socket.sendall(_p_data_tf([_pdv(1, _DATA, fragments[3]), bad_item]))
        with pytest.raises(PeerClosedError):
            peer.response()
    finally:
        peer.close()
    wait_for(lambda: ingest.files() == ([], []), "the partial file removed")
    assert ingest.service.scp.spool.pending == 0
    assert ingest.counts()[2] == 0
