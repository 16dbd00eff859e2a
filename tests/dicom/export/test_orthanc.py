"""Export to a real PACS (Orthanc): results arrive under the slide's study by C-STORE and STOW-RS
and read back intact; a stopped PACS is retried until it is back; a refusing one says why."""

from collections.abc import Iterator
from pathlib import Path

import highdicom as hd
import numpy as np
import pytest
from pydicom import dcmread
from pydicom.filebase import DicomBytesIO
from pydicom.uid import JPEGLSLossless

from config.settings import DicomwebDestination, DimseDestination, ExportDestination
from dicom.export import Verdict, send_result
from tests.dicom.results.writing import SourceSlide, WrittenResult
from tests.orthanc import OrthancServer

pytestmark = pytest.mark.orthanc

STEP = 1 / 255


def dimse(pacs: OrthancServer, ae_title: str | None = None) -> DimseDestination:
    return DimseDestination(
        kind="dimse",
        name="orthanc-dimse",
        ae_title=ae_title or pacs.ae_title,
        host=pacs.host,
        port=pacs.dicom_port,
        timeout_s=10.0,
    )


def dicomweb(pacs: OrthancServer, url: str | None = None) -> DicomwebDestination:
    return DicomwebDestination(
        kind="dicomweb", name="orthanc-web", url=url or pacs.dicomweb_url, timeout_s=10.0
    )


def uid_of(path: Path) -> str:
    return str(dcmread(path, stop_before_pixels=True).SOPInstanceUID)


@pytest.fixture(scope="module")
def pacs(tmp_path_factory: pytest.TempPathFactory, source: SourceSlide) -> Iterator[OrthancServer]:
    with OrthancServer(tmp_path_factory.mktemp("orthanc")) as server:
        for path in source.paths:
            server.upload(path)
        yield server


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_results_arrive_under_the_slides_study(
    pacs: OrthancServer, source: SourceSlide, result: WrittenResult, kind: str
) -> None:
    target: ExportDestination = dimse(pacs) if kind == "dimse" else dicomweb(pacs)
    outcome = send_result(target, result.delivery)
    assert outcome.delivered, outcome.reason
    assert set(outcome.confirmed) == {uid_of(path) for path in result.paths}
    study_uid = source.map_level.StudyInstanceUID
    for path in result.paths:
        assert pacs.study_of_instance(uid_of(path)) == study_uid
    (study,) = pacs.studies()
    modalities = {series["MainDicomTags"]["Modality"] for series in pacs.series(study["ID"])}
    assert modalities == {"SM", "SEG", "SR"}


def test_what_the_pacs_stores_reads_back_intact(pacs: OrthancServer, result: WrittenResult) -> None:
    assert send_result(dimse(pacs), result.delivery).delivered
    stored_seg = dcmread(DicomBytesIO(pacs.file_of(uid_of(result.seg_paths[0]))))
    assert stored_seg.file_meta.TransferSyntaxUID == JPEGLSLossless
    matrix = hd.seg.Segmentation.from_dataset(stored_seg).get_total_pixel_matrix(
        segment_numbers=[1], rescale_fractional=True
    )
    np.testing.assert_allclose(matrix[..., 0], result.probability, atol=STEP / 2 + 1e-6)
    stored_sr = hd.sr.Comprehensive3DSR.from_dataset(
        dcmread(DicomBytesIO(pacs.file_of(uid_of(result.sr_path))))
    )
    report = hd.sr.MeasurementReport.from_sequence(stored_sr.content)
    (group,) = report.get_volumetric_roi_measurement_groups()
    assert group.get_measurements()[0].value == pytest.approx(result.findings.score)


def test_sending_again_duplicates_nothing(pacs: OrthancServer, result: WrittenResult) -> None:
    assert send_result(dimse(pacs), result.delivery).delivered
    count = len(pacs.instances())
    assert send_result(dimse(pacs), result.delivery).delivered
    assert send_result(dicomweb(pacs), result.delivery).delivered
    assert len(pacs.instances()) == count


def test_a_wrong_called_ae_title_is_refused_with_the_reason(
    pacs: OrthancServer, result: WrittenResult
) -> None:
    outcome = send_result(dimse(pacs, ae_title="NOT-ORTHANC"), result.delivery)
    assert outcome.verdict is Verdict.PERMANENT
    assert "NOT-ORTHANC" in outcome.reason and "Called AE title not recognised" in outcome.reason


def test_a_wrong_dicomweb_url_is_refused_with_the_reason(
    pacs: OrthancServer, result: WrittenResult
) -> None:
    outcome = send_result(dicomweb(pacs, url=f"{pacs.url}/no-dicom-web"), result.delivery)
    assert outcome.verdict is Verdict.PERMANENT and "HTTP 404" in outcome.reason


def test_a_pacs_without_jpeg_ls_refuses_the_segmentation_only(
    tmp_path: Path, result: WrittenResult
) -> None:
    uncompressed = {"AcceptedTransferSyntaxes": ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]}
    with OrthancServer(tmp_path, options=uncompressed) as pacs:
        outcome = send_result(dimse(pacs), result.delivery)
        assert outcome.verdict is Verdict.PERMANENT
        assert JPEGLSLossless in outcome.reason
        assert outcome.confirmed == (uid_of(result.sr_path),)
        assert pacs.instance(uid_of(result.sr_path)) is not None
        assert pacs.instance(uid_of(result.seg_paths[0])) is None


@pytest.mark.slow
def test_a_stopped_pacs_is_retried_until_it_is_back(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    pacs = OrthancServer(tmp_path)
    with pacs:
        pacs.upload(source.paths[0])
    targets: list[ExportDestination] = [dimse(pacs), dicomweb(pacs)]
    while_down = [send_result(target, result.delivery) for target in targets]
    assert [outcome.verdict for outcome in while_down] == [Verdict.RETRY, Verdict.RETRY]
    assert "no association" in while_down[0].reason
    assert "cannot reach" in while_down[1].reason
    pacs.start()
    try:
        when_back = [send_result(target, result.delivery) for target in targets]
        assert all(outcome.delivered for outcome in when_back), when_back
        # The PACS kept what it held before it was stopped, and files the results with it.
        assert pacs.instance(uid_of(source.paths[0])) is not None
        assert pacs.study_of_instance(uid_of(result.sr_path)) == source.map_level.StudyInstanceUID
    finally:
        pacs.stop()
