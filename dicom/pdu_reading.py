"""Reading one PDU from an association's socket: bounded by what we agreed to receive, and
grown as its bytes arrive, so that the length a peer declares never decides what we allocate.

The first PDU of a connection is read into a buffer of at most FIRST_CHUNK that doubles as it
fills; later ones start as large as the longest PDU this peer actually sent, so a slide's
stream of full-size PDUs is read without re-allocations, and memory is never taken beyond what
the peer has shown it sends.

A P-DATA-TF PDU may be as long as the maximum PDU size our AE announced (dicom.max_pdu_size
for the storage SCP) plus PDU_SLACK for senders that count the item headers differently; every
other PDU (association request, answer, release, abort) as long as ASSOCIATION_PDU_LIMIT. A
longer declaration is answered with an A-ABORT and the connection is closed at once, with a
WARNING that says who and how long.
"""

import contextlib
import logging
import socket
import struct
from typing import Any

from dicom.data_fragments import write_data_fragments

log = logging.getLogger(__name__)

PDU_HEADER = struct.Struct(">BBI")
P_DATA_TF = 0x04
PDU_TYPES = frozenset(range(0x01, 0x08))
# An A-ASSOCIATE-RQ proposing a hundred presentation contexts is about 12 KiB.
ASSOCIATION_PDU_LIMIT = 64 * 1024
PDU_SLACK = 64 * 1024
# A buffer starts this large (or the PDU's size, if smaller) and doubles as bytes fill it.
FIRST_CHUNK = 256 * 1024
# A-ABORT, source: service provider (2), reason: invalid PDU parameter value (6); PS3.8 9.3.8.
ABORT_INVALID_LENGTH = struct.pack(">BBIBBBB", 0x07, 0, 4, 0, 0, 0x02, 0x06)
# Where a connection's DUL keeps the longest PDU that arrived whole: a buffer that large is
# taken at once for the next (the peer proved it sends that much; big slides stay fast).
PROVEN_ATTRIBUTE = "longest_pdu_received"
# Where an association that we end keeps why (the SCP counts refusals by reason).
REFUSAL_ATTRIBUTE = "refusal_reason"
# P-DATA-TF PDUs that only continue a data set, read in a row before the DUL reactor looks at
# its timers and queues again (at most a few tens of milliseconds of a fast sender's data).
STREAMED_PDUS = 64
_TRANSPORT_CLOSED = "Evt17"
_INVALID_PDU = "Evt19"


def pdu_limit(kind: int, maximum_pdu_size: int) -> int | None:
    """The largest length a PDU of `kind` may declare; None when our AE announced no limit."""
    if kind != P_DATA_TF:
        return ASSOCIATION_PDU_LIMIT
    if maximum_pdu_size <= 0:  # pynetdicom's "unlimited"
        return None
    return maximum_pdu_size + PDU_SLACK


def receive(
    connection: socket.socket, count: int, head: bytes | bytearray = b"", *, proven: int = 0
) -> bytearray:
    """`head` followed by `count` more bytes (fewer if the peer closed the connection first).

    The buffer grows with what arrived, never to `count` up front: it starts at FIRST_CHUNK, or
    at `proven` bytes (as many as this peer already sent in one PDU), and doubles when full.
    """
    wanted = len(head) + count
    filled = len(head)
    buffer = bytearray(head)
    step = max(FIRST_CHUNK, proven)
    while filled < wanted:
        if filled == len(buffer):
            buffer = _grown(buffer, min(wanted, max(2 * filled, step)))
        with memoryview(buffer) as whole, whole[filled:] as free:
            arrived = connection.recv_into(free)
        if not arrived:
            break
        filled += arrived
    del buffer[filled:]
    return buffer


def _grown(buffer: bytearray, size: int) -> bytearray:
    """A buffer of `size` bytes that starts with `buffer` (a zero-filled one and a copy: growing
    a bytearray in place would first make a temporary one of the added size)."""
    grown = bytearray(size)
    grown[: len(buffer)] = buffer
    return grown


def read_pdu_data(dul: Any) -> None:
    """pynetdicom's `DULServiceProvider._read_pdu_data`, with the declared length checked.

    Puts the state machine's event for what arrived on the provider's event queue, and the
    decoded PDU on its PDU queue, exactly as pynetdicom does; except for P-DATA-TF PDUs that
    only continue the data set being received (dicom.data_fragments): those go to its file
    here, and while more of them wait on the connection (up to STREAMED_PDUS in a row, nothing
    to send, the reactor not stopping), they are read and written in the same call.
    """
    wrapper = dul.socket
    connection = None if wrapper is None else wrapper.socket
    if connection is None:
        dul.event_queue.put(_TRANSPORT_CLOSED)
        return
    for _ in range(STREAMED_PDUS):
        try:
            bytestream = _read(dul, wrapper, connection)
        except (OSError, TimeoutError) as error:
            log.warning("connection from %s lost while receiving a PDU: %s", _peer(dul), error)
            dul.event_queue.put(_TRANSPORT_CLOSED)
            return
        if bytestream is None:
            return
        if not write_data_fragments(dul, bytestream):
            _decode(dul, bytestream)
            return
        if dul.to_provider_queue.queue or dul._kill_thread or not wrapper.ready:
            return


def _decode(dul: Any, bytestream: bytearray) -> None:
    try:
        pdu, event = dul._decode_pdu(bytestream)
    except Exception as error:  # noqa: BLE001 - a peer's bytes: any error is an invalid PDU
        log.warning("invalid PDU from %s: %s: %s", _peer(dul), type(error).__name__, error)
        dul.event_queue.put(_INVALID_PDU)
        return
    dul.event_queue.put(event)
    dul._recv_pdu.put(pdu)


def _read(dul: Any, wrapper: Any, connection: socket.socket) -> bytearray | None:
    """The whole PDU, or None once the event that says what went wrong is queued."""
    bytestream = receive(connection, PDU_HEADER.size)
    if len(bytestream) < PDU_HEADER.size:
        dul.event_queue.put(_TRANSPORT_CLOSED)
        return None
    kind, _, length = PDU_HEADER.unpack(bytestream)
    if kind not in PDU_TYPES:
        log.warning("unknown PDU type 0x%02X from %s", kind, _peer(dul))
        dul.event_queue.put(_INVALID_PDU)
        return None
    limit = pdu_limit(kind, int(dul.assoc.ae.maximum_pdu_size or 0))
    if limit is not None and length > limit:
        _refuse(dul, wrapper, connection, kind, length, limit)
        return None
    proven = getattr(dul, PROVEN_ATTRIBUTE, 0)
    bytestream = receive(connection, length, bytestream, proven=proven)
    if len(bytestream) != PDU_HEADER.size + length:
        log.warning(
            "connection from %s closed after %d of %d bytes of a PDU",
            _peer(dul),
            len(bytestream),
            PDU_HEADER.size + length,
        )
        dul.event_queue.put(_TRANSPORT_CLOSED)
        return None
    if len(bytestream) > proven:
        setattr(dul, PROVEN_ATTRIBUTE, len(bytestream))
    return bytestream


def _refuse(
    dul: Any, wrapper: Any, connection: socket.socket, kind: int, length: int, limit: int
) -> None:
    log.warning(
        "aborted the association from %s: a PDU of type 0x%02X declares %d bytes, more than "
        "the %d we accept%s",
        _peer(dul),
        kind,
        length,
        limit,
        " (dicom.max_pdu_size plus headers)" if kind == P_DATA_TF else "",
    )
    setattr(dul.assoc, REFUSAL_ATTRIBUTE, "pdu_too_long")
    with contextlib.suppress(OSError):  # the peer is gone already: closing is all that is left
        connection.sendall(ABORT_INVALID_LENGTH)
    wrapper.close()  # queues "transport closed": the state machine ends the association


def _peer(dul: Any) -> str:
    association = dul.assoc
    peer = association.acceptor if association.is_requestor else association.requestor
    return f"{peer.address}:{peer.port}"
