"""pynetdicom's set-up: PDUs read whole, received data sets routed to the SCP's spool."""

import select
import socket
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from pynetdicom import AE, _config, evt
from pynetdicom import association as pynetdicom_association
from pynetdicom import dul as pynetdicom_dul
from pynetdicom.association import Association
from pynetdicom.dul import DULServiceProvider
from pynetdicom.pdu import A_RELEASE_RQ, P_DATA_TF
from pynetdicom.pdu_primitives import P_DATA
from pynetdicom.transport import AssociationSocket

from dicom.network import (
    REACTOR_POLL_SECONDS,
    _decode_pdu,
    _incoming_file,
    configure_pynetdicom,
    is_configured,
)
from dicom.pdu_reading import receive


def test_configuring_is_idempotent_and_streams_both_ways() -> None:
    configure_pynetdicom()
    configure_pynetdicom()
    assert is_configured()
    assert _config.STORE_RECV_CHUNKED_DATASET and _config.STORE_SEND_CHUNKED_DATASET


def test_a_pdu_is_read_whole_across_many_small_sends() -> None:
    ours, theirs = socket.socketpair()
    payload = bytes(range(256)) * 4096

    def send_in_pieces() -> None:
        for start in range(0, len(payload), 1000):
            theirs.sendall(payload[start : start + 1000])

    sender = threading.Thread(target=send_in_pieces)
    sender.start()
    assert receive(ours, len(payload)) == payload
    sender.join()
    ours.close()
    theirs.close()


def test_a_closed_connection_returns_what_came_before() -> None:
    ours, theirs = socket.socketpair()
    theirs.sendall(b"partial")
    theirs.close()
    assert receive(ours, 100) == b"partial"
    ours.close()


def test_bytes_are_appended_to_what_was_read_before() -> None:
    ours, theirs = socket.socketpair()
    theirs.sendall(b"rest")
    assert receive(ours, 4, b"head") == b"headrest"
    ours.close()
    theirs.close()


def test_other_threads_keep_pynetdicom_temporary_files() -> None:
    handle = _incoming_file(delete=True, mode="wb", suffix=".dcm")
    try:
        assert handle.name.endswith(".dcm")
    finally:
        handle.close()


def _provider(association: Association | None = None) -> DULServiceProvider:
    return SimpleNamespace(assoc=association or Association(AE(), "requestor"))  # type: ignore[return-value]


def _p_data_tf(*values: tuple[int, bytes]) -> bytearray:
    primitive = P_DATA()
    primitive.presentation_data_value_list = [[context, data] for context, data in values]  # type: ignore[misc]
    pdu = P_DATA_TF()
    pdu.from_primitive(primitive)
    return bytearray(pdu.encode())


def test_p_data_fragments_are_views_of_the_received_bytes_with_the_same_content() -> None:
    fragments = [(1, b"\x00" + bytes(range(256)) * 40), (3, b"\x02" + b"last fragment")]
    received = _p_data_tf(*fragments)
    pdu, event = _decode_pdu(_provider(), received)
    assert isinstance(pdu, P_DATA_TF) and event == "Evt10"
    decoded: list[tuple[int, Any]] = pdu.to_primitive().presentation_data_value_list
    assert [(context, bytes(data)) for context, data in decoded] == fragments
    assert all(isinstance(data, memoryview) and data.obj is received for _, data in decoded)


def test_other_pdus_and_bound_data_handlers_get_what_pynetdicom_gives() -> None:
    seen: list[Any] = []
    association = Association(AE(), "requestor")
    association.bind(evt.EVT_DATA_RECV, lambda event: seen.append(event.data))
    received = _p_data_tf((1, b"\x03command"))
    _decode_pdu(_provider(association), received)
    assert seen == [bytes(received)] and isinstance(seen[0], bytes)
    release = bytearray(A_RELEASE_RQ().encode())
    pdu, event = _decode_pdu(_provider(), release)
    assert isinstance(pdu, A_RELEASE_RQ) and event == "Evt12"


def test_association_reactors_poll_less_often_and_other_sleeps_are_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure_pynetdicom()
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    clock = pynetdicom_association.time  # type: ignore[attr-defined]
    clock.sleep(0.001)  # the reactor's poll
    clock.sleep(0.0001)  # a requestor waiting for its answer
    assert slept == [REACTOR_POLL_SECONDS, 0.0001]
    assert clock.monotonic is time.monotonic
    assert DULServiceProvider._decode_pdu is _decode_pdu


def test_an_idle_dul_waits_on_its_connection_and_other_sleeps_are_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure_pynetdicom()
    ours, theirs = socket.socketpair()
    association = Association(AE(), "acceptor")
    provider = association.dul
    provider.socket = AssociationSocket(association, client_socket=ours)
    waited: list[tuple[list[Any], float]] = []
    slept: list[float] = []
    monkeypatch.setattr(select, "select", lambda r, w, x, t: waited.append((r, t)))
    monkeypatch.setattr(time, "sleep", slept.append)
    clock = pynetdicom_dul.time  # type: ignore[attr-defined]
    try:
        clock.sleep(provider._run_loop_delay)  # not the DUL's own thread: a plain sleep
        monkeypatch.setattr(threading, "current_thread", lambda: provider)
        clock.sleep(provider._run_loop_delay)
        clock.sleep(0.0001)
        provider.socket.socket = None  # closed: nothing to wait on
        clock.sleep(provider._run_loop_delay)
    finally:
        ours.close()
        theirs.close()
    assert waited == [([ours], provider._run_loop_delay)]
    assert slept == [provider._run_loop_delay, 0.0001, provider._run_loop_delay]
    assert clock.monotonic is time.monotonic
