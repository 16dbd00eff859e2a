"""pynetdicom's set-up: PDUs read whole, received data sets routed to the SCP's spool."""

import socket
import threading
from types import SimpleNamespace

from pynetdicom import _config

from dicom.network import _incoming_file, _receive_exactly, configure_pynetdicom, is_configured


def _reader(connection: socket.socket) -> SimpleNamespace:
    return SimpleNamespace(socket=connection)


def test_configuring_is_idempotent_and_streams_both_ways() -> None:
    configure_pynetdicom()
    configure_pynetdicom()
    assert is_configured()
    assert _config.STORE_RECV_CHUNKED_DATASET and _config.STORE_SEND_CHUNKED_DATASET


def test_a_pdu_is_read_whole_across_many_small_sends() -> None:
    ours, theirs = socket.socketpair()
    payload = bytes(range(256)) * 4096
    sender = threading.Thread(
        target=lambda: [theirs.sendall(payload[i : i + 1000]) for i in range(0, len(payload), 1000)]
    )
    sender.start()
    assert _receive_exactly(_reader(ours), len(payload)) == payload  # type: ignore[arg-type]
    sender.join()
    ours.close()
    theirs.close()


def test_a_closed_connection_returns_what_came_before() -> None:
    ours, theirs = socket.socketpair()
    theirs.sendall(b"partial")
    theirs.close()
    assert _receive_exactly(_reader(ours), 100) == b"partial"  # type: ignore[arg-type]
    ours.close()


def test_without_a_socket_nothing_is_read() -> None:
    assert _receive_exactly(_reader(None), 10) == b""  # type: ignore[arg-type]


def test_other_threads_keep_pynetdicom_temporary_files() -> None:
    handle = _incoming_file(delete=True, mode="wb", suffix=".dcm")
    try:
        assert handle.name.endswith(".dcm")
    finally:
        handle.close()
