"""Reading PDUs: bounded by what we accept, and buffers that grow only with what arrives."""

import socket
import threading
import tracemalloc

from dicom.pdu_reading import (
    ASSOCIATION_PDU_LIMIT,
    P_DATA_TF,
    PDU_SLACK,
    pdu_limit,
    receive,
)


def test_p_data_may_be_as_long_as_our_maximum_pdu_size_plus_headers() -> None:
    assert pdu_limit(P_DATA_TF, 4 * 2**20) == 4 * 2**20 + PDU_SLACK


def test_association_pdus_have_their_own_small_bound() -> None:
    for kind in (0x01, 0x02, 0x03, 0x05, 0x06, 0x07):
        assert pdu_limit(kind, 4 * 2**20) == ASSOCIATION_PDU_LIMIT == 64 * 1024


def test_an_unlimited_maximum_leaves_p_data_unbounded() -> None:
    assert pdu_limit(P_DATA_TF, 0) is None


def test_a_declared_gigabyte_allocates_only_what_arrives() -> None:
    ours, theirs = socket.socketpair()
    theirs.sendall(b"x" * 1000)
    theirs.close()
    tracemalloc.start()
    try:
        received = receive(ours, 2**30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        ours.close()
    assert received == b"x" * 1000
    assert peak < 2 * 2**20


def test_a_large_pdu_arrives_whole_in_a_buffer_no_larger_than_twice_it() -> None:
    ours, theirs = socket.socketpair()
    payload = bytes(range(256)) * 40_000  # about 10 MB, in many sends
    sender = threading.Thread(target=theirs.sendall, args=(payload,))
    sender.start()
    tracemalloc.start()
    try:
        received = receive(ours, len(payload))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        sender.join()
        ours.close()
        theirs.close()
    assert received == payload
    assert peak < 3 * len(payload)


def test_a_peer_that_sent_large_pdus_gets_a_buffer_that_large_at_once() -> None:
    ours, theirs = socket.socketpair()
    theirs.sendall(b"y" * 100)
    theirs.close()
    tracemalloc.start()
    try:
        received = receive(ours, 10 * 2**20, proven=3 * 2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        ours.close()
    assert received == b"y" * 100
    assert 3 * 2**20 <= peak < 4 * 2**20
