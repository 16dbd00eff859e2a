"""The structured report: conformance, what highdicom reads back, references, foci in slide
coordinates, readable values, provenance and deterministic identity."""

from pathlib import Path

import highdicom as hd
import numpy as np
import pytest
from highdicom.sr.coding import CodedConcept
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import Comprehensive3DSRStorage

from dicom.results.codes import PATHOLOGY
from dicom.results.errors import ResultWriteError
from dicom.results.provenance import ResultIdentity
from dicom.results.sr import SlideFindings, write_report
from dicom.results.sr_groups import pixel_spacing_mm
from tests.dicom.conformance import assert_dcentvfy_clean, assert_dciodvfy_clean
from tests.dicom.results.writing import (
    ANALYSIS_TIME,
    SourceSlide,
    WrittenResult,
    algorithm,
    write_result,
)


def read_report(path: Path) -> hd.sr.MeasurementReport:
    document = hd.sr.srread(path)
    assert document.SOPClassUID == Comprehensive3DSRStorage
    return hd.sr.MeasurementReport.from_sequence(document.content)


def content_items(report: Dataset) -> list[Dataset]:
    """Every content item of a report, depth first, as stored (not as highdicom rebuilds it)."""
    items, pending = [], list(report.ContentSequence)
    while pending:
        item = pending.pop()
        items.append(item)
        pending.extend(item.get("ContentSequence", []))
    return items


def slide_group(path: Path) -> hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations:
    groups = read_report(path).get_volumetric_roi_measurement_groups()
    assert len(groups) == 1
    return groups[0]


def test_report_passes_dciodvfy(result: WrittenResult) -> None:
    assert_dciodvfy_clean(result.sr_path)


def test_report_agrees_with_the_slide_and_segmentation(
    source: SourceSlide, result: WrittenResult
) -> None:
    assert_dcentvfy_clean([*source.paths, *result.paths])


def _coded(evaluation: hd.sr.QualitativeEvaluation) -> CodedConcept:
    """The evaluation's coded value (highdicom annotates it as a number)."""
    value: object = evaluation.value
    assert isinstance(value, CodedConcept)
    return value


def test_slide_probability_and_finding_read_back(result: WrittenResult) -> None:
    group = slide_group(result.sr_path)
    (probability,) = group.get_measurements()
    assert probability.name.value == "111047"  # DCM Probability of cancer
    assert probability.unit.value == "1" and probability.unit.scheme_designator == "UCUM"
    assert probability.value == pytest.approx(result.findings.score)
    (finding,) = group.get_qualitative_evaluations(name=PATHOLOGY)
    assert result.findings.score >= 0.5
    assert _coded(finding).meaning == "Malignant"


def test_finding_is_benign_below_the_threshold(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    findings = SlideFindings(0.49)
    path = write_report(
        tmp_path, source.map_level, result.segmentations, findings, result.identity, ANALYSIS_TIME
    ).path
    (finding,) = slide_group(path).get_qualitative_evaluations(name=PATHOLOGY)
    assert _coded(finding).meaning == "Benign"
    assert_dciodvfy_clean(path)


def test_references_the_source_level_and_the_finest_segmentation(
    source: SourceSlide, result: WrittenResult
) -> None:
    segment = slide_group(result.sr_path).referenced_segment
    assert segment is not None
    segmentation = dcmread(result.seg_paths[0], stop_before_pixels=True)
    assert segment[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID == (
        segmentation.SOPInstanceUID
    )
    assert segment[0].ReferencedSOPSequence[0].ReferencedSegmentNumber == 1
    assert segment[1].ReferencedSOPSequence[0].ReferencedSOPInstanceUID == (
        source.map_level.SOPInstanceUID
    )
    report = dcmread(result.sr_path)
    evidence = {
        item.ReferencedSOPInstanceUID
        for name in ("CurrentRequestedProcedureEvidenceSequence", "PertinentOtherEvidenceSequence")
        for study in report.get(name, [])
        for series in study.ReferencedSeriesSequence
        for item in series.ReferencedSOPSequence
    }
    seg_uids = {dcmread(p, stop_before_pixels=True).SOPInstanceUID for p in result.seg_paths}
    assert evidence == {source.map_level.SOPInstanceUID, *seg_uids}
    assert report.StudyInstanceUID == source.map_level.StudyInstanceUID


def test_algorithm_is_the_device_observer_and_the_specimen_the_subject(
    source: SourceSlide, result: WrittenResult
) -> None:
    report = read_report(result.sr_path)
    (observer,) = report.get_observer_contexts()
    values = {item.name.meaning: item.value for item in observer}
    assert values["Device Observer Name"] == "PathSentry DeepLab v3 R50"
    assert values["Device Observer Model Name"] == "PathSentry DeepLab v3 R50"
    assert values["Device Observer UID"] == result.identity.device_uid
    (subject,) = report.get_subject_contexts()
    specimen = source.map_level.SpecimenDescriptionSequence[0]
    assert {item.name.meaning: item.value for item in subject}["Specimen UID"] == (
        specimen.SpecimenUID
    )


def test_algorithm_identification_carries_k_threshold_and_weights(result: WrittenResult) -> None:
    text = dcmread(result.sr_path).to_json()
    for parameter in ("top_k=1000", "threshold=0.5", f"weights_sha256={'ab' * 32}"):
        assert parameter in text


def test_foci_are_polygons_in_slide_coordinates_with_area_and_probabilities(
    source: SourceSlide, result: WrittenResult
) -> None:
    groups = read_report(result.sr_path).get_planar_roi_measurement_groups()
    assert len(groups) == len(result.findings.foci) >= 1
    to_pixels = hd.spatial.ReferenceToImageTransformer.for_image(
        source.map_level, for_total_pixel_matrix=True
    )
    spacing = pixel_spacing_mm(source.map_level)
    for group, focus in zip(groups, result.findings.foci, strict=True):
        roi = group.roi
        assert roi is not None and roi.graphic_type == hd.sr.GraphicTypeValues3D.POLYGON
        assert roi.ReferencedFrameOfReferenceUID == source.map_level.FrameOfReferenceUID
        corners = to_pixels(roi.value)[:, :2]
        # Coordinates are stored as 32-bit floats: millimetres with about 7 digits.
        np.testing.assert_allclose(corners, np.array(focus.outline), atol=0.01)
        area, peak, mean = group.get_measurements()
        assert area.name.meaning == "Area" and area.unit.value == "mm2"
        assert area.value == pytest.approx(focus.area_mm2(spacing))
        assert peak.value == pytest.approx(focus.peak_probability)
        assert mean.value == pytest.approx(focus.mean_probability)
        assert peak.derivation is not None and mean.derivation is not None
        assert (peak.derivation.meaning, mean.derivation.meaning) == ("Maximum", "Mean")


def test_slide_score_says_how_it_was_derived(result: WrittenResult) -> None:
    (probability,) = slide_group(result.sr_path).get_measurements()
    assert probability.derivation is not None and probability.method is not None
    assert probability.derivation.meaning == "Mean"
    assert probability.method.meaning == "Mean of the 1000 highest pixel probabilities"


def test_probabilities_show_three_decimals_and_keep_their_full_value(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    findings = SlideFindings(0.99999803125858)
    path = write_report(
        tmp_path, source.map_level, result.segmentations, findings, result.identity, ANALYSIS_TIME
    ).path
    (measured,) = [
        item.MeasuredValueSequence[0]
        for item in content_items(dcmread(path))
        if item.ValueType == "NUM" and item.ConceptNameCodeSequence[0].CodeValue == "111047"
    ]
    assert str(measured.NumericValue) == "1.000"
    assert measured.FloatingPointValue == 0.99999803125858
    (probability,) = slide_group(path).get_measurements()
    assert probability.value == 0.99999803125858


def test_algorithm_parameters_appear_once(result: WrittenResult) -> None:
    assert len(result.findings.foci) >= 1
    text = dcmread(result.sr_path).to_json()
    assert text.count("top_k=1000") == 1
    items = content_items(dcmread(result.sr_path))
    named = [item.ConceptNameCodeSequence[0].CodeMeaning for item in items]
    assert named.count("Algorithm Parameters") == len(algorithm().parameters)
    # Each focus still names the algorithm (and its version) that found it.
    assert named.count("Algorithm Version") == 1 + len(result.findings.foci)


def test_every_container_is_separate(result: WrittenResult) -> None:
    report = dcmread(result.sr_path)
    containers = [report, *(i for i in content_items(report) if i.ValueType == "CONTAINER")]
    assert len(containers) >= 4
    assert {item.ContinuityOfContent for item in containers} == {"SEPARATE"}


@pytest.mark.parametrize(
    ("score", "description"),
    [
        (0.98123, "AI: suspicious, p=0.98 (unverified)"),
        (0.5, "AI: suspicious, p=0.50 (unverified)"),
        (0.031, "AI: not suspicious, p=0.03 (unverified)"),
    ],
)
def test_series_description_carries_the_triage_and_the_score(
    tmp_path: Path, source: SourceSlide, result: WrittenResult, score: float, description: str
) -> None:
    findings = SlideFindings(score)
    path = write_report(
        tmp_path, source.map_level, result.segmentations, findings, result.identity, ANALYSIS_TIME
    ).path
    assert dcmread(path, stop_before_pixels=True).SeriesDescription == description


def test_report_carries_contributing_equipment_and_analysis_time(result: WrittenResult) -> None:
    report = dcmread(result.sr_path)
    models = [item.ManufacturerModelName for item in report.ContributingEquipmentSequence]
    assert "PathSentry DeepLab v3 R50" in models
    assert report.ContentDate == report.InstanceCreationDate == report.SeriesDate == "20240506"
    assert report.CompletionFlag == "COMPLETE"
    assert report.VerificationFlag == "UNVERIFIED"


def test_same_inputs_give_the_same_report_bytes(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    again = write_result(tmp_path, source, result.identity)
    assert again.sr_path.read_bytes() == result.sr_path.read_bytes()


def test_report_uid_follows_weights_and_threshold(
    source: SourceSlide, result: WrittenResult
) -> None:
    series = source.map_level.SeriesInstanceUID
    same = ResultIdentity(series, algorithm())
    other_weights = ResultIdentity(series, algorithm(weights="cd" * 32))
    other_threshold = ResultIdentity(series, algorithm(threshold=0.7))
    assert dcmread(result.sr_path).SOPInstanceUID == same.sr_instance_uid
    uids = {same.sr_instance_uid, other_weights.sr_instance_uid, other_threshold.sr_instance_uid}
    assert len(uids) == 3


def test_report_needs_the_segmentation_of_the_same_slide(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    findings = SlideFindings(0.3)
    with pytest.raises(ResultWriteError, match="segmentation files"):
        write_report(tmp_path, source.map_level, [], findings, result.identity, ANALYSIS_TIME)
    with pytest.raises(ResultWriteError, match="not a DICOM Segmentation"):
        write_report(
            tmp_path, source.map_level, [result.report], findings, result.identity, ANALYSIS_TIME
        )


def test_a_score_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ResultWriteError, match="probability"):
        SlideFindings(1.2)


def test_a_report_without_regions_is_valid(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    path = write_report(
        tmp_path,
        source.map_level,
        result.segmentations,
        SlideFindings(0.1, ()),
        result.identity,
        ANALYSIS_TIME,
    ).path
    assert read_report(path).get_planar_roi_measurement_groups() == []
    assert_dciodvfy_clean(path)


def test_the_quality_gate_outcome_is_an_image_quality_item(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    warning = "12% of the tissue out of focus, not analysed"
    findings = SlideFindings(0.2, quality=warning)
    path = write_report(
        tmp_path, source.map_level, result.segmentations, findings, result.identity, ANALYSIS_TIME
    ).path
    group = dcmread(path).ContentSequence[-1].ContentSequence[-1]
    items = [
        item
        for item in group.ContentSequence
        if item.ValueType == "TEXT" and item.ConceptNameCodeSequence[0].CodeValue == "111101"
    ]
    assert [item.TextValue for item in items] == [warning]
    assert items[0].ConceptNameCodeSequence[0].CodeMeaning == "Image Quality"
    assert_dciodvfy_clean(path)
    # Without the gate there is nothing to state.
    assert "111101" not in str(dcmread(result.sr_path).ContentSequence)
