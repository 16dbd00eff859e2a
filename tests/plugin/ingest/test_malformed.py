"""Instances a sender got wrong get a failure status it can act on (never 0x0110 "try again"),
one WARNING line that says why, no traceback, and nothing left behind."""

import dataclasses
import logging
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from pydicom.dataset import Dataset

from dicom.network import STAND_IN_UID
from dicom.scp import StoreStatus
from plugin.metrics import IngestMetrics
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.dicom.scp.instances import rewrite, without
from tests.plugin.ingest.conftest import Ingest, StartIngest
from tests.plugin.ingest.raw_peer import Instance, RawPeer
from tests.plugin.ingest.senders import send


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Refusals never reach the database: SQLite only."""
    return sqlite_url


@pytest.fixture
def metrics() -> IngestMetrics:
    return IngestMetrics(CollectorRegistry())


@pytest.fixture
def ingest(start: StartIngest, metrics: IngestMetrics) -> Ingest:
    return start(metrics=metrics)


def _with_vr(tag: int, old: bytes, new: bytes) -> Callable[[Path], None]:
    """A byte-level edit: the Explicit VR of element `tag` replaced (pydicom would not write it)."""

    def edit(path: Path) -> None:
        key = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + old
        data = path.read_bytes()
        assert key in data
        path.write_bytes(data.replace(key, key[:4] + new, 1))

    return edit


def _with_length(tag: int, vr: bytes, length: int) -> Callable[[Path], None]:
    """A byte-level edit: the 16-bit length of element `tag` changed, its value left alone."""

    def edit(path: Path) -> None:
        key = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr
        data = path.read_bytes()
        at = data.index(key) + len(key)
        path.write_bytes(data[:at] + struct.pack("<H", length) + data[at + 2 :])

    return edit


def _one_warning(caplog: pytest.LogCaptureFixture) -> str:
    """Our single WARNING (or worse) line of the refusal; no traceback anywhere (pynetdicom
    adds lines of its own about non-conformant UIDs)."""
    assert all(r.exc_info is None for r in caplog.records)
    ours = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.split(".")[0] != "pynetdicom"
    ]
    assert len(ours) == 1
    return ours[0].getMessage()


def _status_count(metrics: IngestMetrics, status: str) -> float:
    counted = metrics.registry.get_sample_value(
        "pathsentry_dicom_store_responses_total", {"status": status}
    )
    return counted or 0.0


def _assert_nothing_kept(ingest: Ingest) -> None:
    assert ingest.counts() == (0, 0, 0, 0)
    assert ingest.files() == ([], [])
    assert ingest.service.scp.spool.pending == 0


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (_with_vr(0x00080070, b"LO", b"ZZ"), "element (0008,0070) has an unknown VR 'ZZ'"),
        (_with_vr(0x00280010, b"US", b"ZZ"), "element (0028,0010) has an unknown VR 'ZZ'"),
        (_with_length(0x00280100, b"US", 3), "(0028,0100) (US) has 3 bytes"),
        (_with_vr(0x7FE00010, b"OB", b"ZZ"), "Pixel Data (7FE0,0010) has the VR b'ZZ'"),
    ],
    ids=["unknown-vr-descriptive", "unknown-vr-rows", "us-of-3-bytes", "unknown-vr-pixels"],
)
def test_undecodable_elements_are_refused_as_not_understood(
    ingest: Ingest,
    metrics: IngestMetrics,
    slide: SyntheticSlide,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    edit: Callable[[Path], None],
    named: str,
) -> None:
    path = tmp_path / "malformed.dcm"
    path.write_bytes(slide.levels[3].read_bytes())
    edit(path)
    caplog.clear()
    (status,) = send(ingest.port, [path]).statuses
    assert status.Status == StoreStatus.CANNOT_UNDERSTAND
    assert named in _one_warning(caplog)
    assert _status_count(metrics, "0xC000") == 1
    _assert_nothing_kept(ingest)


@pytest.mark.parametrize(
    ("uid", "reason"),
    [
        ("", "Affected SOP Instance UID (0000,1000) is empty"),
        ("   ", "Affected SOP Instance UID (0000,1000) is empty"),
        ("1.2." + "3" * 80, "Affected SOP Instance UID (0000,1000) is longer than 64 characters"),
        ("1.2.3/../../x", "Affected SOP Instance UID (0000,1000) is not a valid UID"),
    ],
    ids=["empty", "blank", "too-long", "path-like"],
)
def test_unusable_request_uids_get_a_failure_status_and_leave_nothing(
    ingest: Ingest,
    metrics: IngestMetrics,
    slide: SyntheticSlide,
    caplog: pytest.LogCaptureFixture,
    uid: str,
    reason: str,
) -> None:
    instance = dataclasses.replace(Instance.from_file(slide.levels[3]), sop_instance_uid=uid)
    peer = RawPeer(ingest.port)
    try:
        peer.associate(instance)
        caplog.clear()
        status = peer.store(instance)
        second = peer.store(Instance.from_file(slide.levels[3]), message_id=2)
        peer.release()
    finally:
        peer.close()
    assert status.Status == StoreStatus.DATA_SET_DOES_NOT_MATCH
    assert reason in _one_warning(caplog)
    assert second.Status == StoreStatus.SUCCESS  # the association carried on
    assert _status_count(metrics, "0xA900") == 1
    assert ingest.counts()[2] == 1
    assert ingest.files()[0] == [] and ingest.service.scp.spool.pending == 0


def test_a_stand_in_never_names_a_stored_instance(ingest: Ingest, slide: SyntheticSlide) -> None:
    instance = dataclasses.replace(Instance.from_file(slide.levels[3]), sop_instance_uid="")
    peer = RawPeer(ingest.port)
    try:
        peer.associate(instance)
        peer.store(instance)
    finally:
        peer.close()
    assert all(STAND_IN_UID not in str(path) for path in ingest.files()[1])


def _geometry(**values: object) -> Callable[[Dataset], None]:
    def edit(dataset: Dataset) -> None:
        for keyword, value in values.items():
            if value is None:
                delattr(dataset, keyword)
            else:
                setattr(dataset, keyword, value)

    return edit


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            _geometry(TotalPixelMatrixColumns=4294967295),
            "TotalPixelMatrixColumns (0048,0006) is 4294967295, more than 2097152",
        ),
        (_geometry(Columns=65535, Rows=65535), "frames of 65535 x 65535 pixels are larger"),
        (_geometry(NumberOfFrames=None), "NumberOfFrames (0028,0008) is 1: a Total Pixel Matrix"),
        (_geometry(NumberOfFrames=3), "NumberOfFrames (0028,0008) is 3: a Total Pixel Matrix"),
        (without("BitsAllocated"), "BitsAllocated (0028,0100) is missing"),
        (_geometry(BitsAllocated=12), "BitsAllocated (0028,0100) is 12"),
    ],
    ids=["huge-matrix", "huge-frames", "no-frame-count", "too-few-frames", "no-bits", "odd-bits"],
)
def test_a_geometry_the_analysis_cannot_use_is_refused_at_ingest(
    ingest: Ingest,
    slide: SyntheticSlide,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    edit: Callable[[Dataset], None],
    reason: str,
) -> None:
    path = rewrite(slide.levels[0], tmp_path / "odd.dcm", edit)
    caplog.clear()
    (status,) = send(ingest.port, [path]).statuses
    assert status.Status == StoreStatus.DATA_SET_DOES_NOT_MATCH
    assert reason in _one_warning(caplog)
    _assert_nothing_kept(ingest)


def test_the_rest_of_a_slide_is_stored_beside_a_refused_level(
    ingest: Ingest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    odd = rewrite(slide.levels[1], tmp_path / "odd.dcm", _geometry(TotalPixelMatrixRows=2**32 - 1))
    delivery = send(ingest.port, [slide.levels[0], odd, *slide.levels[2:]])
    assert delivery.codes == [0, StoreStatus.DATA_SET_DOES_NOT_MATCH] + [0] * len(slide.levels[2:])
    assert ingest.counts()[2] == len(slide.levels) - 1


def test_our_own_failure_says_what_failed_and_where_the_data_was(
    ingest: Ingest,
    metrics: IngestMetrics,
    slide: SyntheticSlide,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with ingest.database.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE instances"))
    caplog.clear()
    (status,) = send(ingest.port, [slide.levels[3]]).statuses
    assert status.Status == StoreStatus.PROCESSING_FAILURE  # ours: sending again may work
    (line,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    message = line.getMessage()
    assert str(ingest.settings.storage.incoming_dir) in message
    assert "OperationalError" in message and "no such table: instances" in message
    assert _status_count(metrics, "0x0110") == 1
    assert ingest.files() == ([], [])
