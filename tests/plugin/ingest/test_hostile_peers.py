"""Peers that try to starve the listener: PDU lengths that claim gigabytes, connections that
never speak, hundreds of connects at once. Each is refused or served, and nobody is locked out."""

import re
import shutil
import socket
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from dicom.pdu_reading import ABORT_INVALID_LENGTH
from plugin.metrics import IngestMetrics
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.conftest import require
from tests.plugin.ingest.conftest import Ingest, StartIngest, wait_for
from tests.plugin.ingest.raw_peer import (
    A_ASSOCIATE_AC,
    Instance,
    PeerClosedError,
    RawPeer,
    associate_rq,
)
from tests.plugin.ingest.senders import HOST, echo

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LITTLE_ENDIAN = "1.2.840.10008.1.2"
A_ASSOCIATE_RJ = 0x03
MIB = 2**20


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The database plays no part here: SQLite only."""
    return sqlite_url


@pytest.fixture
def metrics() -> IngestMetrics:
    return IngestMetrics(CollectorRegistry())


def _refused(metrics: IngestMetrics, reason: str) -> float:
    labels = {"reason": reason}
    counted = metrics.registry.get_sample_value(
        "pathsentry_dicom_associations_refused_total", labels
    )
    return counted or 0.0


def _resident_bytes() -> int:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1)) * 1024


def _answer(connection: socket.socket) -> bytes:
    """Everything the SCP sends until it closes the connection."""
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received


@pytest.fixture
def connections() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for connection in opened:
        connection.close()


def _connect(port: int, opened: list[socket.socket]) -> socket.socket:
    connection = socket.create_connection((HOST, port), timeout=30)
    opened.append(connection)
    return connection


def test_declared_lengths_allocate_nothing_and_are_aborted(
    start: StartIngest,
    metrics: IngestMetrics,
    slide: SyntheticSlide,
    connections: list[socket.socket],
    caplog: pytest.LogCaptureFixture,
) -> None:
    ingest = start(metrics=metrics)
    before = _resident_bytes()
    claims = [struct.pack(">BBI", 0x01, 0, 64 * MIB) + bytes(4096) for _ in range(24)]
    claims.append(bytes.fromhex("0100FFFFFFF0"))  # an association request of 4 GiB
    for claim in claims:
        _connect(ingest.port, connections).sendall(claim)
    associated = RawPeer(ingest.port)
    connections.append(associated.socket)
    associated.associate(Instance.from_file(slide.levels[3]))
    associated.socket.sendall(struct.pack(">BBI", 0x04, 0, 64 * MIB) + bytes(4096))
    answers = [_answer(connection) for connection in connections]
    growth = _resident_bytes() - before
    assert answers == [ABORT_INVALID_LENGTH] * len(connections)
    assert growth < 50 * MIB
    counted = len(connections)  # once each association's end is handled
    wait_for(lambda: _refused(metrics, "pdu_too_long") == counted, "the refusals counted")
    warnings = [r.getMessage() for r in caplog.records if "declares" in r.getMessage()]
    assert len(warnings) == len(connections)
    assert any("declares 4294967280 bytes, more than the 65536 we accept" in w for w in warnings)
    assert any("more than the 4259840 we accept (dicom.max_pdu_size" in w for w in warnings)
    assert echo(ingest.port) == 0  # and the listener serves the next sender


def test_connections_that_never_speak_hold_no_association_slot(
    start: StartIngest, connections: list[socket.socket]
) -> None:
    ingest = start(max_associations=4, acse_timeout_s=600)
    for _ in range(16):
        _connect(ingest.port, connections)
    wait_for(lambda: ingest.service.scp.open_connections >= 16, "the idle connections accepted")
    assert echo(ingest.port) == 0
    for connection in connections:
        connection.close()
    # Their threads end now, not when dicom.acse_timeout_s (600 s here) runs out.
    wait_for(lambda: ingest.service.scp.open_connections == 0, "the closed connections ended")
    assert echo(ingest.port) == 0


def test_a_closed_association_gives_its_slot_back_at_once(
    start: StartIngest, metrics: IngestMetrics, slide: SyntheticSlide
) -> None:
    ingest = start(max_associations=2, acse_timeout_s=600, metrics=metrics)
    instance = Instance.from_file(slide.levels[3])
    peers = [RawPeer(ingest.port) for _ in range(2)]
    try:
        for peer in peers:
            peer.associate(instance)
        assert echo(ingest.port) == -1
        assert _refused(metrics, "max_associations") == 1
        peers[0].close()  # no release, no abort: the connection just goes
        wait_for(lambda: ingest.service.scp.slots.held == 1, "the slot given back")
        assert echo(ingest.port) == 0
    finally:
        for peer in peers:
            peer.close()


def _listen_backlog(port: int) -> int:
    """The backlog of the socket listening on `port`, as the kernel reports it (ss Send-Q)."""
    require(shutil.which("ss") is not None, "ss is not installed (Debian package iproute2)")
    listed = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(listed[2])


def test_the_listener_queues_at_least_128_connections(ingest: Ingest) -> None:
    assert _listen_backlog(ingest.port) >= 128


def test_the_backlog_is_a_setting(start: StartIngest) -> None:
    assert _listen_backlog(start(listen_backlog=300).port) == 300


def test_every_one_of_many_simultaneous_connects_is_answered(
    start: StartIngest, metrics: IngestMetrics, connections: list[socket.socket]
) -> None:
    ingest = start(max_associations=16, metrics=metrics)
    count = 200
    for _ in range(count):
        connection = socket.socket()
        connection.setblocking(False)
        connection.connect_ex((HOST, ingest.port))
        connections.append(connection)
    answers = []
    for connection in connections:
        connection.settimeout(60)
        connection.sendall(associate_rq(VERIFICATION, IMPLICIT_LITTLE_ENDIAN))
        answers.append(_pdu_type(connection))
    assert answers.count(A_ASSOCIATE_AC) == 16
    assert answers.count(A_ASSOCIATE_RJ) == count - 16
    assert _refused(metrics, "max_associations") == count - 16


def _pdu_type(connection: socket.socket) -> int:
    first = connection.recv(1)
    if not first:
        raise PeerClosedError("closed without an answer")
    return first[0]
