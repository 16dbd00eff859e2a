"""The report of a slide the AI could not judge: conformance, what highdicom and dsr2html read
of it, and deterministic identity apart from the scored report."""

from pathlib import Path

import highdicom as hd
import pytest
from highdicom.sr.coding import CodedConcept
from pydicom import dcmread
from pydicom.uid import Comprehensive3DSRStorage

from dicom.results.codes import PATHOLOGY
from dicom.results.errors import ResultWriteError
from dicom.results.provenance import ResultIdentity
from dicom.results.sr_unjudged import Unjudged, Verdict, write_unjudged_report
from dicom.results.written_file import WrittenFile
from tests.dicom.conformance import assert_dciodvfy_clean
from tests.dicom.results.test_sr_rendering import rendered_text
from tests.dicom.results.writing import ANALYSIS_TIME, SourceSlide, WrittenResult, algorithm

NO_TISSUE = Unjudged(Verdict.NOT_EVALUABLE, "no tissue found on the slide")


def write(folder: Path, source: SourceSlide, unjudged: Unjudged = NO_TISSUE) -> WrittenFile:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm(), "content-1")
    return write_unjudged_report(folder, source.levels[0], unjudged, identity, ANALYSIS_TIME)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, source: SourceSlide) -> WrittenFile:
    return write(tmp_path_factory.mktemp("unjudged"), source)


def test_the_report_passes_dciodvfy(written: WrittenFile) -> None:
    assert_dciodvfy_clean(written.path)


def test_highdicom_reads_the_verdict_and_no_measurement(written: WrittenFile) -> None:
    document = hd.sr.srread(written.path)
    assert document.SOPClassUID == Comprehensive3DSRStorage
    report = hd.sr.MeasurementReport.from_sequence(document.content)
    (group,) = report.get_image_measurement_groups()
    assert group.get_measurements() == []
    (evaluation,) = group.get_qualitative_evaluations(name=PATHOLOGY)
    value: object = evaluation.value
    assert isinstance(value, CodedConcept) and value.meaning == "Not evaluable by the AI"
    assert report.get_planar_roi_measurement_groups() == []
    assert report.get_volumetric_roi_measurement_groups() == []


def test_the_reason_is_in_words(written: WrittenFile) -> None:
    text = rendered_text(written.path)
    assert "Pathology:\nNot evaluable by the AI" in text
    assert "Comment:\nno tissue found on the slide" in text
    assert "AI: not evaluable (unverified)" in text


def test_a_failure_says_failed(tmp_path: Path, source: SourceSlide) -> None:
    failed = write(tmp_path, source, Unjudged(Verdict.FAILED, "the slide cannot be decoded"))
    text = rendered_text(failed.path)
    assert "Pathology:\nFailed" in text
    assert "AI: failed (unverified)" in text
    assert_dciodvfy_clean(failed.path)


def test_the_report_refers_to_the_slide(written: WrittenFile, source: SourceSlide) -> None:
    report = dcmread(written.path)
    assert report.StudyInstanceUID == source.map_level.StudyInstanceUID
    (evidence,) = report.CurrentRequestedProcedureEvidenceSequence
    (series,) = evidence.ReferencedSeriesSequence
    assert series.SeriesInstanceUID == source.map_level.SeriesInstanceUID
    assert report.SeriesInstanceUID != source.map_level.SeriesInstanceUID


def test_uids_are_deterministic_and_apart_from_the_scored_report(
    tmp_path: Path, source: SourceSlide, written: WrittenFile, result: WrittenResult
) -> None:
    again = write(tmp_path / "again", source)
    failed = write(tmp_path / "failed", source, Unjudged(Verdict.FAILED, "decoding failed"))
    assert (again.series_instance_uid, again.sop_instance_uid) == (
        written.series_instance_uid,
        written.sop_instance_uid,
    )
    assert again.path.read_bytes() == written.path.read_bytes()
    uids = {written.sop_instance_uid, failed.sop_instance_uid, result.report.sop_instance_uid}
    assert len(uids) == 3
    assert written.series_instance_uid != failed.series_instance_uid


def test_a_report_without_reason_is_refused() -> None:
    with pytest.raises(ResultWriteError, match="reason"):
        Unjudged(Verdict.NOT_EVALUABLE, "  ")


def test_another_slides_identity_is_refused(tmp_path: Path, source: SourceSlide) -> None:
    identity = ResultIdentity("1.2.3.4", algorithm())
    with pytest.raises(ResultWriteError, match="another slide"):
        write_unjudged_report(tmp_path, source.levels[0], NO_TISSUE, identity, ANALYSIS_TIME)
