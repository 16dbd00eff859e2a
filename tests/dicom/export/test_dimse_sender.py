"""The C-STORE sender against an in-process storage SCP on a free port: what it sends (the file's
own bytes, in its own transfer syntax) and what it concludes from each answer."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pynetdicom.association
import pytest
from pydicom.uid import (
    Comprehensive3DSRStorage,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGLSLossless,
    SegmentationStorage,
)
from pynetdicom import AE, _config, evt
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.dsutils import split_dataset
from pynetdicom.events import Event

from config.settings import DimseDestination
from dicom.export import DimseSender, ExportSetupError, Verdict, make_sender
from tests.dicom.results.writing import WrittenResult
from tests.orthanc import HOST, free_port

ALL_SYNTAXES = [JPEGLSLossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian]


class StoreScp:
    """Accepts SEG and SR, answers every C-STORE with `status`, records what arrived."""

    def __init__(self, status: int = 0x0000, syntaxes: list[str] | None = None) -> None:
        self.status = status
        self.port = free_port()
        self.received: dict[str, tuple[str, bytes]] = {}
        self._entity = AE(ae_title="STORE")
        self._entity.require_called_aet = True
        for sop_class in (SegmentationStorage, Comprehensive3DSRStorage):
            self._entity.add_supported_context(sop_class, syntaxes or ALL_SYNTAXES)

    def _stored(self, event: Event) -> int:
        request = event.request
        assert isinstance(request, C_STORE)
        uid = str(request.AffectedSOPInstanceUID)
        self.received[uid] = (str(event.context.transfer_syntax), _data_set(event))
        return self.status

    def __enter__(self) -> "StoreScp":
        server = self._entity.start_server(
            (HOST, self.port), block=False, evt_handlers=[(evt.EVT_C_STORE, self._stored)]
        )
        assert server is not None  # not blocking: the server runs in its own thread
        self._server = server
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()


def _data_set(event: Event) -> bytes:
    """The data set as sent: from the file pynetdicom streamed it into, when an earlier test
    configured streaming (dicom.network.configure_pynetdicom, process-wide), else from memory."""
    if not _config.STORE_RECV_CHUNKED_DATASET:
        return event.encoded_dataset(False)
    _, offset = split_dataset(event.dataset_path)
    return event.dataset_path.read_bytes()[offset:]


@pytest.fixture
def scp() -> Iterator[StoreScp]:
    with StoreScp() as server:
        yield server


def destination(port: int, ae_title: str = "STORE") -> DimseDestination:
    return DimseDestination(
        kind="dimse", name="pacs", ae_title=ae_title, host=HOST, port=port, timeout_s=5.0
    )


def test_files_stream_in_their_own_transfer_syntax_byte_for_byte(
    scp: StoreScp, result: WrittenResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("the sender must not read the dataset into memory")

    monkeypatch.setattr(pynetdicom.association, "dcmread", no_decoding)
    outcome = make_sender(destination(scp.port)).send(result.delivery)
    assert outcome.delivered, outcome.reason
    assert set(outcome.confirmed) == set(scp.received)
    for path in result.paths:
        meta, offset = split_dataset(path)
        syntax, encoded = scp.received[str(meta.MediaStorageSOPInstanceUID)]
        assert syntax == meta.TransferSyntaxUID
        assert encoded == path.read_bytes()[offset:]


@pytest.mark.parametrize(
    ("status", "verdict", "words"),
    [
        (0xB000, Verdict.DELIVERED, ""),
        (0xA700, Verdict.RETRY, "0xA700 (out of resources)"),
        (0xC000, Verdict.PERMANENT, "0xC000 (cannot understand)"),
        (0x0122, Verdict.PERMANENT, "0x0122 (SOP class not supported)"),
    ],
)
def test_c_store_statuses(result: WrittenResult, status: int, verdict: Verdict, words: str) -> None:
    with StoreScp(status) as scp:
        outcome = DimseSender(destination(scp.port)).send(result.delivery)
    assert outcome.verdict is verdict
    assert words in outcome.reason
    if verdict is not Verdict.DELIVERED:
        assert outcome.confirmed == ()


def test_wrong_called_ae_title_is_a_permanent_rejection(
    scp: StoreScp, result: WrittenResult
) -> None:
    outcome = DimseSender(destination(scp.port, ae_title="NOT-STORE")).send(result.delivery)
    assert outcome.verdict is Verdict.PERMANENT
    assert "Called AE title not recognised" in outcome.reason
    assert scp.received == {}


def test_unaccepted_transfer_syntax_fails_that_file_only(result: WrittenResult) -> None:
    with StoreScp(syntaxes=[ExplicitVRLittleEndian]) as scp:
        outcome = DimseSender(destination(scp.port)).send(result.delivery)
    assert outcome.verdict is Verdict.PERMANENT
    assert JPEGLSLossless in outcome.reason and "enable them on the destination" in outcome.reason
    # The report (explicit VR little endian) still arrives.
    assert list(outcome.confirmed) == list(scp.received) and len(scp.received) == 1


def test_nobody_listening_is_retried(result: WrittenResult) -> None:
    outcome = DimseSender(destination(free_port())).send(result.delivery)
    assert outcome.verdict is Verdict.RETRY and "no association" in outcome.reason


def test_the_sender_insists_on_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", False)
    with pytest.raises(ExportSetupError, match="enable_streamed_c_store"):
        DimseSender(destination(104))


def test_an_unreadable_result_file_is_permanent(tmp_path: Path, result: WrittenResult) -> None:
    missing = dataclasses.replace(result.report, path=tmp_path / "gone.dcm")
    outcome = DimseSender(destination(104)).send(result.delivery_of([missing]))
    assert outcome.verdict is Verdict.PERMANENT and "gone.dcm" in outcome.reason
