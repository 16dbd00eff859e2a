"""A P-DATA-TF PDU that only continues the data set being received goes straight to its file.

pynetdicom turns every P-DATA-TF PDU into a PDU object, a primitive, two queue entries, a state
machine transition with its events and a DIMSE decoding pass, only for each fragment to end in
`file.write`: for a slide, thousands of times per gigabyte. When the PDU cannot change anything
but the file (the association is established, nothing else waits to be processed, every item
is a data set fragment of the message being received and none is its last, and no handler
watches PDUs or transitions), `write_data_fragments` writes the fragments to that file itself,
as pynetdicom would have. Anything else (commands, a message's last fragment, a malformed or
unexpected item) goes pynetdicom's way, unchanged.
"""

from typing import Any

from pynetdicom import evt
from pynetdicom._handlers import standard_pdu_recv_handler

# PDU header: type, reserved, length (6 bytes); PDV item: length (4), context ID (1), then the
# fragment, whose first byte is the message control header (PS3.8 E.2).
_PDU_HEADER_LENGTH = 6
_ITEM_HEADER_LENGTH = 5
_COMMAND_OR_LAST = 0b11
_DATA_TRANSFER_STATE = "Sta6"
_WATCHING = (evt.EVT_DATA_RECV, evt.EVT_FSM_TRANSITION)


def write_data_fragments(dul: Any, bytestream: bytearray) -> bool:
    """Write the data set fragments of a received P-DATA-TF PDU to the file of the C-STORE being
    received, if that is all the PDU does; whether it did (if not, nothing was written)."""
    file = _receiving_file(dul)
    if file is None:
        return False
    fragments = _fragments(bytestream, dul.assoc.dimse.message.context_id)
    if fragments is None:
        return False
    with memoryview(bytestream) as whole:
        for start, end in fragments:
            file.write(whole[start:end])
            file.file.flush()  # as pynetdicom does (a no-op for the spool's files)
    return True


def _receiving_file(dul: Any) -> Any:
    """The file of the data set being received, when a data fragment may go to it directly."""
    if dul.state_machine.current_state != _DATA_TRANSFER_STATE:
        return None
    if not (dul.event_queue.empty() and dul._recv_pdu.empty()):
        return None  # what came before is processed first
    message = dul.assoc.dimse.message
    if message is None or message._data_set_file is None:
        return None
    if not _unwatched(dul.assoc):
        return None
    return message._data_set_file


def _unwatched(association: Any) -> bool:
    """Whether no handler but pynetdicom's own logging (which logs nothing for P-DATA) would see
    the PDU, its raw bytes or the state machine's transition."""
    if any(association.get_handlers(event) for event in _WATCHING):
        return False
    received = association.get_handlers(evt.EVT_PDU_RECV)
    return all(handler is standard_pdu_recv_handler for handler, _ in received)


def _fragments(bytestream: bytearray, context_id: int | None) -> list[tuple[int, int]] | None:
    """Where each PDV item's data set bytes are (after the control header), or None unless every
    item is a well-formed, non-final data set fragment of presentation context `context_id`."""
    fragments = []
    offset, end = _PDU_HEADER_LENGTH, len(bytestream)
    if offset >= end:
        return None
    while offset < end:
        if end - offset < _ITEM_HEADER_LENGTH + 1:
            return None
        length = int.from_bytes(bytestream[offset : offset + 4], "big")
        item_end = offset + 4 + length
        if length < 2 or item_end > end:
            return None
        if bytestream[offset + 4] != context_id or bytestream[offset + 5] & _COMMAND_OR_LAST:
            return None
        fragments.append((offset + _ITEM_HEADER_LENGTH + 1, item_end))
        offset = item_end
    return fragments
