"""The pynetdicom internals that dicom.network, dicom.pdu_reading and dicom.scp.slots replace or
rely on are still there and still work as they did in the version we pin.

When pynetdicom changes, one of these fails: read the new code, adapt ours, and move the pin in
pyproject.toml; never just raise the pin.
"""

import inspect
import queue

import pynetdicom
from pynetdicom import AE, _handlers, dimse, dimse_messages, dul, evt, fsm
from pynetdicom import association as pynetdicom_association
from pynetdicom.association import Association
from pynetdicom.dul import DULServiceProvider

from dicom.network import _PYNETDICOM_REACTOR_POLL_SECONDS, _decode_pdu_copying


def _source(function: object) -> str:
    return inspect.getsource(function)  # type: ignore[arg-type]


def test_the_pinned_minor_version_is_installed() -> None:
    version = tuple(int(part) for part in pynetdicom.__version__.split(".")[:3])
    assert (3, 0, 4) <= version < (3, 1, 0)


def test_the_dul_reads_pdus_through_the_method_we_replace() -> None:
    assert "self._read_pdu_data()" in _source(DULServiceProvider._is_transport_event)
    reading = _source(dul.DULServiceProvider).split("def _read_pdu_data(self) -> None:")[1]
    reading = reading.split("\n    def ")[0]
    for relied_on in (
        "self.socket.recv(6)",
        'self.event_queue.put("Evt17")',
        'self.event_queue.put("Evt19")',
        "pdu, event = self._decode_pdu(bytestream)",
        "self._recv_pdu.put(pdu)",
    ):
        assert relied_on in reading


def test_pdus_are_decoded_by_the_method_we_wrap() -> None:
    parameters = list(inspect.signature(_decode_pdu_copying).parameters)
    assert parameters == ["self", "bytestream"]
    assert "_PDU_TYPES[b[0:1]]" in _source(_decode_pdu_copying)


def test_a_provider_has_the_queues_we_use() -> None:
    provider = Association(AE(), "acceptor").dul
    assert isinstance(provider.event_queue, queue.Queue)
    assert isinstance(provider.to_user_queue, queue.Queue)
    assert isinstance(provider._recv_pdu, queue.Queue)


def test_received_data_sets_go_to_the_file_factory_we_replace() -> None:
    decoding = _source(dimse_messages.DIMSEMessage.decode_msg)
    factory = decoding.index("NamedTemporaryFile(delete=False")
    assert decoding.index("self.command_set = decode(") < factory
    assert factory < decoding.index("cs.AffectedSOPInstanceUID")
    assert "self.message.decode_msg(primitive, self.assoc)" in _source(
        dimse.DIMSEServiceProvider.receive_primitive
    )


def test_the_association_reactor_polls_every_millisecond_with_the_time_module() -> None:
    reactor = _source(Association._run_reactor)
    assert f"time.sleep({_PYNETDICOM_REACTOR_POLL_SECONDS})" in reactor
    assert pynetdicom_association.time.__name__ == "time"  # type: ignore[attr-defined]


def test_an_acceptor_waits_for_its_request_as_association_slots_expect() -> None:
    running = _source(Association.run_reactor)
    waits = running.index("self.dul.receive_pdu(wait=True, timeout=self.acse_timeout)")
    requested = running.index("evt.trigger(self, evt.EVT_REQUESTED, {})")
    skipped = running.index("if not self.is_aborted and not self.is_rejected:")
    assert waits < requested < skipped


def test_a_connection_closed_before_its_request_is_announced() -> None:
    assert fsm.TRANSITION_TABLE[("Evt17", "Sta2")] == "AA-5"
    assert "evt.EVT_CONN_CLOSE" in _source(fsm.AA_5)


def test_the_dul_reactor_idles_with_the_time_module_for_its_loop_delay() -> None:
    assert "time.sleep(self._run_loop_delay)" in _source(DULServiceProvider.run_reactor)
    assert "to_provider_queue" in _source(DULServiceProvider._process_recv_primitive)
    provider = Association(AE(), "acceptor").dul
    assert provider._run_loop_delay > 0 and provider._kill_thread is False
    assert isinstance(provider.to_provider_queue, queue.Queue)


def test_a_p_data_pdu_in_data_transfer_only_reaches_the_dimse_message() -> None:
    """What dicom.data_fragments does in its place: Sta6 + Evt10 is DT-2, which hands the
    primitive to the DIMSE provider, whose message writes data fragments to its file."""
    assert fsm.TRANSITION_TABLE[("Evt10", "Sta6")] == "DT-2"
    assert "dul.assoc.dimse.receive_primitive(" in _source(fsm.DT_2)
    assert 'return "Sta6"' in _source(fsm.DT_2)
    receiving = _source(dimse.DIMSEServiceProvider.receive_primitive)
    assert "if self.message is None:" in receiving
    decoding = _source(dimse_messages.DIMSEMessage.decode_msg)
    for relied_on in (
        "if control_header_byte & 1:",
        "self.context_id = context_id",
        "if self._data_set_file:",
        "self._data_set_file.write(data[1:])",
        "self._data_set_file.file.flush()",
    ):
        assert relied_on in decoding
    message = dimse_messages.DIMSEMessage()
    assert message._data_set_file is None and message.context_id is None


def test_pynetdicoms_standard_handler_does_nothing_with_p_data() -> None:
    assert _handlers._receive_data_tf(None) == []  # type: ignore[arg-type]
    association = Association(AE(), "acceptor")
    assert not association.get_handlers(evt.EVT_DATA_RECV)
    assert not association.get_handlers(evt.EVT_FSM_TRANSITION)
