"""What the service refuses, with which status, and the log line that says why."""

from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pynetdicom import AE

from dicom.scp import StoreStatus
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.dicom.scp.instances import garbage, rewrite, truncated, without
from tests.plugin.ingest.conftest import Ingest, StartIngest
from tests.plugin.ingest.senders import HOST, SCP_TITLE, send, storescu


def _refused(ingest: Ingest, path: Path) -> Dataset:
    (status,) = send(ingest.port, [path]).statuses
    assert ingest.counts() == (0, 0, 0, 0)
    assert ingest.files() == ([], [])
    return status


@pytest.mark.filterwarnings("ignore:Expected explicit VR:UserWarning")
def test_garbage_is_refused_as_not_understood(ingest: Ingest, tmp_path: Path) -> None:
    status = _refused(ingest, garbage(tmp_path / "garbage.dcm"))
    assert status.Status == StoreStatus.CANNOT_UNDERSTAND
    assert "not a DICOM data set" in status.ErrorComment


def test_a_truncated_instance_is_refused(
    ingest: Ingest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    status = _refused(ingest, truncated(slide.levels[0], tmp_path / "cut.dcm", keep=0.6))
    assert status.Status == StoreStatus.CANNOT_UNDERSTAND
    assert "truncated" in status.ErrorComment


def test_a_missing_required_attribute_is_refused_by_name(
    ingest: Ingest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    path = rewrite(slide.levels[2], tmp_path / "x.dcm", without("SeriesInstanceUID"))
    status = _refused(ingest, path)
    assert status.Status == StoreStatus.DATA_SET_DOES_NOT_MATCH
    assert "SeriesInstanceUID (0020,000E) is missing" in status.ErrorComment


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI:UserWarning")
def test_an_invalid_uid_never_names_a_folder(
    ingest: Ingest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    def edit(dataset: Dataset) -> None:
        dataset.SeriesInstanceUID = "1.2.3/../../escape"

    status = _refused(ingest, rewrite(slide.levels[2], tmp_path / "x.dcm", edit))
    assert status.Status == StoreStatus.DATA_SET_DOES_NOT_MATCH
    assert "is not a valid UID" in status.ErrorComment
    assert list(ingest.settings.storage.slides_dir.iterdir()) == []


def test_below_the_free_space_floor_nothing_is_written(
    start: StartIngest, slide: SyntheticSlide
) -> None:
    ingest = start(min_free_space_mb=10**9)
    status = _refused(ingest, slide.levels[2])
    assert status.Status == StoreStatus.OUT_OF_RESOURCES
    assert "free-space floor" in status.ErrorComment


def test_a_sop_class_outside_the_allow_list_is_refused_at_negotiation(
    ingest: Ingest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ct = Dataset()
    ct.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage
    ct.SOPInstanceUID = generate_uid()
    ct.StudyInstanceUID, ct.SeriesInstanceUID = generate_uid(), generate_uid()
    ct.file_meta = Dataset()  # type: ignore[assignment]
    ct.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ct.file_meta.MediaStorageSOPClassUID = ct.SOPClassUID
    ct.file_meta.MediaStorageSOPInstanceUID = ct.SOPInstanceUID
    path = tmp_path / "ct.dcm"
    ct.save_as(path, enforce_file_format=True)
    assert send(ingest.port, [path]).statuses == []  # no context: nothing can be sent
    assert "SOP class not in dicom.allowed_sop_classes: 1.2.840.10008.5.1.4.1.1.2" in caplog.text
    assert ingest.counts() == (0, 0, 0, 0)


def test_a_calling_ae_title_not_allowed_is_refused_and_logged(
    start: StartIngest, slide: SyntheticSlide, caplog: pytest.LogCaptureFixture
) -> None:
    ingest = start(allowed_calling_ae_titles=["SCANNER1"])
    refused = storescu(ingest.port, [slide.levels[3]], calling="INTRUDER")
    assert refused.returncode != 0
    assert "calling AE title INTRUDER is not in dicom.allowed_calling_ae_titles" in caplog.text
    assert storescu(ingest.port, [slide.levels[3]], calling="SCANNER1").returncode == 0
    assert ingest.counts()[2] == 1


def test_a_wrong_called_ae_title_is_refused_and_logged(
    ingest: Ingest, slide: SyntheticSlide, caplog: pytest.LogCaptureFixture
) -> None:
    assert not send(ingest.port, [slide.levels[3]], called="SOMEONEELSE").established
    assert "called AE title SOMEONEELSE is not ours (PATHSENTRY)" in caplog.text


def test_a_host_outside_the_allowed_networks_is_refused_and_logged(
    start: StartIngest, slide: SyntheticSlide, caplog: pytest.LogCaptureFixture
) -> None:
    ingest = start(allowed_hosts=["192.0.2.0/24"])
    assert not send(ingest.port, [slide.levels[3]]).established
    assert "refused connection from 127.0.0.1: not in dicom.allowed_hosts" in caplog.text


def test_associations_beyond_the_limit_are_refused_and_logged(
    start: StartIngest, slide: SyntheticSlide, caplog: pytest.LogCaptureFixture
) -> None:
    ingest = start(max_associations=1)
    holder = AE(ae_title="HOLDER")
    holder.add_requested_context("1.2.840.10008.1.1")
    held = holder.associate(HOST, ingest.port, ae_title=SCP_TITLE)
    assert held.is_established
    try:
        assert not send(ingest.port, [slide.levels[3]]).established
        assert "already at dicom.max_associations (1) associations" in caplog.text
    finally:
        held.release()
