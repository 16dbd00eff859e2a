"""A real PACS takes every kind of object PathSentry writes and files it under the slide's study,
each kind in its own series, with the Series Description a PACS user sees."""

from pathlib import Path

import pytest
from pydicom import dcmread

from dicom.results.provenance import ResultIdentity
from dicom.results.seg import SegmentationOptions, write_binary_segmentation
from tests.dicom.results.writing import (
    ANALYSIS_TIME,
    SEG_TILE,
    LesionResult,
    SourceSlide,
    algorithm,
)
from tests.orthanc import OrthancServer

pytestmark = pytest.mark.orthanc


def test_orthanc_files_every_output_under_the_slides_study(
    tmp_path: Path, source: SourceSlide, lesions: LesionResult
) -> None:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm())
    options = SegmentationOptions(tile_size=SEG_TILE)
    binary = write_binary_segmentation(
        tmp_path, lesions.probability, source.levels, identity, ANALYSIS_TIME, options
    )
    binary_paths = [file.path for file in binary]
    outputs = [*lesions.seg_paths, *binary_paths, lesions.ann_path, lesions.sr_path]
    with OrthancServer(tmp_path / "pacs") as pacs:
        for path in [*source.paths, *outputs]:
            pacs.upload(path)
        study = source.map_level.StudyInstanceUID
        for path in outputs:
            uid = dcmread(path, stop_before_pixels=True).SOPInstanceUID
            assert pacs.study_of_instance(uid) == study, path.name
        (study_id,) = [s["ID"] for s in pacs.studies()]
        descriptions = {
            series["MainDicomTags"].get("SeriesDescription", "") for series in pacs.series(study_id)
        }
    assert "AI: suspicious, p=0.97 (unverified)" in descriptions
    assert "AI foci (3, unverified)" in descriptions
    assert "PathSentry malignant at p >= 0.5" in descriptions
    assert "PathSentry probability of malignancy" in descriptions
