"""A transfer that stops midway leaves nothing behind: no row, no file, no partial file.

The SCP takes small PDUs here, so that a level arrives in many of them and can be cut between.
"""

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.filereader import read_file_meta_info
from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.pdu import P_DATA_TF

from plugin.tools.synthetic_slide import SyntheticSlide
from tests.plugin.ingest.conftest import Ingest, StartIngest, wait_for
from tests.plugin.ingest.senders import HOST, SCP_TITLE

SMALL_PDU = 16_384
A_ABORT_PDU = struct.pack(">BBIBBBB", 0x07, 0, 4, 0, 0, 0, 0)


class StalledSender:
    """A pynetdicom sender whose connection stalls after a few P-DATA PDUs of a C-STORE, so that
    the test can cut it there (its DUL thread waits inside the PDU-sent handler)."""

    def __init__(self, port: int, path: Path, *, pdus_before_stall: int = 3) -> None:
        meta = read_file_meta_info(path)
        self._path = path
        self._sent = 0
        self._limit = pdus_before_stall
        self.stalled = threading.Event()
        self._resume = threading.Event()
        entity = AE(ae_title="STALLER")
        entity.add_requested_context(meta.MediaStorageSOPClassUID, meta.TransferSyntaxUID)
        self.association: Association = entity.associate(
            HOST, port, ae_title=SCP_TITLE, evt_handlers=[(evt.EVT_PDU_SENT, self._on_sent)]
        )
        assert self.association.is_established
        self._thread = threading.Thread(target=self._store, daemon=True)

    def start(self) -> None:
        self._thread.start()
        assert self.stalled.wait(10), "the sender never stalled"

    def cut(self, how: Callable[[socket.socket], None]) -> None:
        """Do `how` to the raw connection, then let the sender's thread see what happened."""
        association_socket = self.association.dul.socket
        assert association_socket is not None and association_socket.socket is not None
        how(association_socket.socket)
        self._resume.set()
        self._thread.join(30)

    def _on_sent(self, event: evt.Event) -> None:
        if isinstance(event.pdu, P_DATA_TF):
            self._sent += 1
            if self._sent == self._limit:
                self.stalled.set()
                self._resume.wait(30)

    def _store(self) -> None:
        # The connection is cut under it: that is the point.
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            self.association.send_c_store(self._path)


def _partly_received(ingest: Ingest) -> bool:
    incoming = ingest.files()[0]
    # Its bytes reach the disk a MiB at a time (dicom.scp.file_writer): the file and its
    # data set being received are what show it.
    return len(incoming) == 1 and ingest.service.scp.spool.pending == 1


def _drop(connection: socket.socket) -> None:
    connection.shutdown(socket.SHUT_RDWR)


def _abort(connection: socket.socket) -> None:
    connection.sendall(A_ABORT_PDU)


@pytest.mark.parametrize("how", [_drop, _abort], ids=["connection-dropped", "a-abort"])
def test_an_interrupted_transfer_leaves_nothing(
    start: StartIngest, slide: SyntheticSlide, how: Callable[[socket.socket], None]
) -> None:
    ingest = start(max_pdu_size=SMALL_PDU)
    sender = StalledSender(ingest.port, slide.levels[0])
    sender.start()
    wait_for(lambda: _partly_received(ingest), "a partial file in the incoming folder")
    (partial,) = ingest.files()[0]
    assert partial.stat().st_size < slide.levels[0].stat().st_size
    sender.cut(how)
    wait_for(lambda: ingest.files()[0] == [], "the partial file to be removed")
    assert ingest.counts() == (0, 0, 0, 0)
    assert ingest.files() == ([], [])


def test_stopping_the_service_mid_transfer_removes_the_partial_file(
    start: StartIngest, slide: SyntheticSlide
) -> None:
    ingest = start(max_pdu_size=SMALL_PDU)
    sender = StalledSender(ingest.port, slide.levels[0])
    sender.start()
    wait_for(lambda: _partly_received(ingest), "a partial file in the incoming folder")
    ingest.service.stop()
    assert ingest.files() == ([], [])
    sender.cut(_drop)
    assert ingest.counts() == (0, 0, 0, 0)
