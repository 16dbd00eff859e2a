"""The foci as Microscopy Bulk Simple Annotations: conformance, what highdicom reads back, polygons
in slide coordinates on the lesions, measurements, identity."""

from pathlib import Path

import highdicom as hd
import numpy as np
import pytest
from pydicom import dcmread

from config.kinds import ResultFileKind
from dicom.results.focus_annotations import write_focus_annotations
from dicom.results.sr_groups import pixel_spacing_mm
from tests.dicom.conformance import assert_dcentvfy_clean, assert_dciodvfy_clean
from tests.dicom.results.writing import (
    ANALYSIS_TIME,
    LESIONS,
    LesionResult,
    SourceSlide,
    WrittenResult,
)


def group(path: Path) -> hd.ann.AnnotationGroup:
    annotations = hd.ann.annread(path)
    (only,) = annotations.get_annotation_groups()
    return only


def test_annotations_pass_dciodvfy_and_agree_with_the_slide(
    source: SourceSlide, lesions: LesionResult
) -> None:
    assert_dciodvfy_clean(lesions.ann_path)
    assert_dcentvfy_clean([*source.paths, lesions.ann_path])


def test_one_polygon_per_focus_in_slide_coordinates_on_its_lesion(
    source: SourceSlide, lesions: LesionResult
) -> None:
    read = group(lesions.ann_path)
    assert read.graphic_type == hd.ann.GraphicTypeValues.POLYGON
    polygons = read.get_graphic_data(hd.ann.AnnotationCoordinateTypeValues.SCOORD3D)
    assert len(polygons) == len(lesions.findings.foci) == len(LESIONS) == 3
    to_pixels = hd.spatial.ReferenceToImageTransformer.for_image(
        source.map_level, for_total_pixel_matrix=True
    )
    centres = []
    for polygon, focus in zip(polygons, lesions.findings.foci, strict=True):
        corners = to_pixels(polygon)[:, :2]
        # The annotation's polygons are closed implicitly: the outline without its last point.
        np.testing.assert_allclose(corners, np.array(focus.outline[:-1]), atol=0.01)
        centres.append(corners.mean(axis=0))
    for lesion in LESIONS:
        nearest = min(np.hypot(c[0] - lesion.column, c[1] - lesion.row) for c in centres)
        assert nearest < lesion.radius / 2


def test_area_peak_and_mean_of_each_focus(source: SourceSlide, lesions: LesionResult) -> None:
    names, values, units = group(lesions.ann_path).get_measurements()
    assert [name.meaning for name in names] == [
        "Area",
        "Peak probability of cancer",
        "Mean probability of cancer",
    ]
    assert [unit.value for unit in units] == ["mm2", "1", "1"]
    spacing = pixel_spacing_mm(source.map_level)
    expected = [
        (f.area_mm2(spacing), f.peak_probability, f.mean_probability) for f in lesions.findings.foci
    ]
    np.testing.assert_allclose(values, np.array(expected), rtol=1e-6)


def test_series_identity_and_provenance(source: SourceSlide, lesions: LesionResult) -> None:
    header = dcmread(lesions.ann_path)
    assert header.StudyInstanceUID == source.map_level.StudyInstanceUID
    assert header.FrameOfReferenceUID == source.map_level.FrameOfReferenceUID
    assert header.SeriesNumber == 9003
    assert header.SeriesDescription == "AI foci (3, unverified)"
    models = [item.ManufacturerModelName for item in header.ContributingEquipmentSequence]
    assert "PathSentry DeepLab v3 R50" in models
    assert header.InstanceCreationDate == "20240506"
    read = group(lesions.ann_path)
    assert read.algorithm_type == hd.ann.AnnotationGroupGenerationTypeValues.AUTOMATIC
    assert read.label == "AI foci"


def test_same_foci_give_the_same_bytes(
    tmp_path: Path, source: SourceSlide, result: WrittenResult, lesions: LesionResult
) -> None:
    again = write_focus_annotations(
        tmp_path, source.map_level, lesions.findings.foci, result.identity, ANALYSIS_TIME
    )
    assert again is not None and again.path.read_bytes() == lesions.ann_path.read_bytes()
    assert again.kind is ResultFileKind.ANNOTATIONS
    header = dcmread(again.path, stop_before_pixels=True)
    assert (again.sop_class_uid, again.sop_instance_uid, again.series_instance_uid) == (
        header.SOPClassUID,
        header.SOPInstanceUID,
        header.SeriesInstanceUID,
    )


def test_no_foci_write_no_annotation_object(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    written = write_focus_annotations(
        tmp_path, source.map_level, [], result.identity, ANALYSIS_TIME
    )
    assert written is None and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("rank", [0, 1, 2])
def test_foci_in_the_report_match_the_annotations(lesions: LesionResult, rank: int) -> None:
    report = hd.sr.MeasurementReport.from_sequence(hd.sr.srread(lesions.sr_path).content)
    groups = report.get_planar_roi_measurement_groups()
    polygons = group(lesions.ann_path).get_graphic_data(
        hd.ann.AnnotationCoordinateTypeValues.SCOORD3D
    )
    roi = groups[rank].roi
    assert roi is not None
    np.testing.assert_allclose(roi.value[:-1], polygons[rank], atol=1e-4)
