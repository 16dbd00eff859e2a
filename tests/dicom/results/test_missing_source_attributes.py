"""Sources from converters and scanners that leave out Type 2 patient and study attributes still
get every output, with those attributes empty; a slide without a specimen gets a report whose
subject is left out rather than a crash."""

import copy
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from dicom.results.focus_annotations import write_focus_annotations
from dicom.results.provenance import ResultIdentity
from dicom.results.seg import SegmentationOptions, write_binary_segmentation, write_segmentation
from dicom.results.source_header import COPIED_TYPE_2, with_empty_type_2
from dicom.results.sr import SlideFindings, write_report
from tests.dicom.conformance import assert_dciodvfy_clean, dciodvfy
from tests.dicom.results.writing import (
    ANALYSIS_TIME,
    MAP_LEVEL,
    SEG_TILE,
    LesionResult,
    SourceSlide,
    algorithm,
)

SPECIMEN = ("SpecimenDescriptionSequence", "ContainerIdentifier")


def without(levels: tuple[Dataset, ...], names: tuple[str, ...]) -> tuple[Dataset, ...]:
    stripped = tuple(copy.deepcopy(level) for level in levels)
    for level in stripped:
        for name in names:
            assert name in level, f"the synthetic source should carry {name}"
            delattr(level, name)
    return stripped


def write_all(
    folder: Path, levels: tuple[Dataset, ...], lesions: LesionResult
) -> tuple[list[Path], Path]:
    identity = ResultIdentity(levels[0].SeriesInstanceUID, algorithm())
    options = SegmentationOptions(tile_size=SEG_TILE, floor=0.1, pyramid=False)
    probability, foci = lesions.probability, lesions.findings.foci
    segs = write_segmentation(folder, probability, levels, identity, ANALYSIS_TIME, options)
    binary = write_binary_segmentation(
        folder, probability, levels, identity, ANALYSIS_TIME, options
    )
    findings = SlideFindings(lesions.findings.score, foci)
    map_level = levels[MAP_LEVEL]
    report = write_report(folder, map_level, segs, findings, identity, ANALYSIS_TIME)
    annotations = write_focus_annotations(folder, map_level, foci, identity, ANALYSIS_TIME)
    assert annotations is not None
    return [file.path for file in [*segs, *binary, annotations]], report.path


@pytest.mark.parametrize("names", [(name,) for name in COPIED_TYPE_2] + [COPIED_TYPE_2])
def test_outputs_carry_missing_type_2_attributes_empty(
    tmp_path: Path, source: SourceSlide, lesions: LesionResult, names: tuple[str, ...]
) -> None:
    levels = without(source.levels, names)
    images, report = write_all(tmp_path, levels, lesions)
    for path in [*images, report]:
        assert_dciodvfy_clean(path)
        written = dcmread(path, stop_before_pixels=True)
        for name in names:
            assert name in written and written[name].is_empty
        kept = set(COPIED_TYPE_2) - set(names)
        assert all(written[name].value == source.map_level[name].value for name in kept)
    # The source's own headers are left as they were.
    assert all(name not in level for level in levels for name in names)


def test_a_slide_without_specimen_gets_a_report_without_subject(
    tmp_path: Path, source: SourceSlide, lesions: LesionResult
) -> None:
    levels = without(source.levels, SPECIMEN)
    images, report = write_all(tmp_path, levels, lesions)
    assert_dciodvfy_clean(report)
    for path in images:
        # The Specimen module is Type 1 in the images: what the source lacks stays missing (no
        # identifier is made up), and dciodvfy names exactly that (for the annotations it then
        # also wants a Laterality, which its condition derives from the missing specimen).
        errors = [line for line in dciodvfy(path) if "Error" in line]
        assert errors and all(
            any(name in line for name in (*SPECIMEN, "<Laterality>")) for line in errors
        ), errors
    text = dcmread(report).to_json()
    assert "Specimen UID" not in text and "Subject Class" not in text
    assert "Device Observer UID" in text
    assert len(images) == 3


def test_a_complete_header_is_used_as_it_is(source: SourceSlide) -> None:
    assert with_empty_type_2(source.map_level) is source.map_level
