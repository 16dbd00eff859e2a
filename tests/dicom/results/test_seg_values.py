"""What the segmentations' values mean: the floor under the probability map, the labels a viewer
shows as its legend, and the optional BINARY segmentation at the threshold."""

from pathlib import Path

import highdicom as hd
import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian

from config.kinds import ResultFileKind
from dicom.results.errors import ResultWriteError
from dicom.results.provenance import ResultIdentity
from dicom.results.seg import SegmentationOptions, write_binary_segmentation
from dicom.results.written_file import WrittenFile
from tests.dicom.conformance import assert_dcentvfy_clean, assert_dciodvfy_clean
from tests.dicom.results.test_seg import STEP, total_matrix
from tests.dicom.results.writing import (
    ANALYSIS_TIME,
    SEG_TILE,
    LesionResult,
    SourceSlide,
    WrittenResult,
    algorithm,
)


@pytest.fixture(scope="module")
def binary_files(
    tmp_path_factory: pytest.TempPathFactory, source: SourceSlide, lesions: LesionResult
) -> list[WrittenFile]:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm(threshold=0.5))
    folder = tmp_path_factory.mktemp("binary")
    options = SegmentationOptions(tile_size=SEG_TILE, floor=0.1)
    return write_binary_segmentation(
        folder, lesions.probability, source.levels, identity, ANALYSIS_TIME, options
    )


@pytest.fixture(scope="module")
def binary_paths(binary_files: list[WrittenFile]) -> list[Path]:
    return [file.path for file in binary_files]


def test_probabilities_below_the_floor_are_stored_as_zero(lesions: LesionResult) -> None:
    stored = total_matrix(lesions.seg_paths[0])
    below = lesions.probability < 0.1
    # The background noise (up to 0.04) and the outer halo of every lesion are gone.
    assert below.sum() > 0.9 * below.size
    assert not stored[below].any()
    np.testing.assert_allclose(stored[~below], lesions.probability[~below], atol=STEP / 2 + 1e-6)


def test_the_floor_holds_on_every_pyramid_level(lesions: LesionResult) -> None:
    for path in lesions.seg_paths[1:]:
        stored = total_matrix(path)
        assert stored[stored > 0].min() >= 0.1 - STEP / 2
    for path in lesions.seg_paths:
        assert_dciodvfy_clean(path)


def test_the_segment_label_says_what_the_values_mean(
    lesions: LesionResult, result: WrittenResult
) -> None:
    (segment,) = dcmread(lesions.seg_paths[0], stop_before_pixels=True).SegmentSequence
    assert segment.SegmentLabel == "Probability of malignancy (0-1)"
    assert segment.SegmentDescription == (
        "Pixel value: the probability of malignancy, 0 to 1; below 0.1 stored as 0"
    )
    (plain,) = dcmread(result.seg_paths[0], stop_before_pixels=True).SegmentSequence
    assert plain.SegmentDescription == "Pixel value: the probability of malignancy, 0 to 1"


def test_a_floor_of_one_or_more_is_refused() -> None:
    with pytest.raises(ResultWriteError, match="floor"):
        SegmentationOptions(floor=1.0)


def test_binary_segmentation_is_its_own_conformant_series(
    source: SourceSlide, lesions: LesionResult, binary_paths: list[Path]
) -> None:
    assert [path.name for path in binary_paths] == [
        path.name.replace("seg-", "binary-seg-") for path in lesions.seg_paths
    ]
    for path in binary_paths:
        assert_dciodvfy_clean(path)
    assert_dcentvfy_clean([*source.paths, *binary_paths])
    binary = dcmread(binary_paths[0], stop_before_pixels=True)
    fractional = dcmread(lesions.seg_paths[0], stop_before_pixels=True)
    assert binary.SegmentationType == "BINARY"
    assert binary.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert binary.SeriesNumber == 9004 and binary.SeriesDescription.endswith("p >= 0.5")
    assert binary.SeriesInstanceUID != fractional.SeriesInstanceUID
    assert binary.FrameOfReferenceUID == fractional.FrameOfReferenceUID
    (segment,) = binary.SegmentSequence
    assert segment.SegmentLabel == "Malignant (p >= 0.5)"


def test_binary_records_say_what_was_written(binary_files: list[WrittenFile]) -> None:
    for file in binary_files:
        header = dcmread(file.path, stop_before_pixels=True)
        assert file.kind is ResultFileKind.BINARY_SEGMENTATION
        assert file.sop_class_uid == header.SOPClassUID
        assert file.sop_instance_uid == header.SOPInstanceUID
        assert file.series_instance_uid == header.SeriesInstanceUID


def test_binary_mask_is_the_map_at_the_threshold(
    lesions: LesionResult, binary_paths: list[Path]
) -> None:
    segmentation = hd.seg.segread(binary_paths[0])
    mask = segmentation.get_total_pixel_matrix(segment_numbers=[1])[..., 0]
    np.testing.assert_array_equal(mask.astype(bool), lesions.probability >= 0.5)
    assert 0 < mask.mean() < 0.1


def test_the_floor_plays_no_part_in_the_binary_segmentation(
    tmp_path: Path, source: SourceSlide, lesions: LesionResult, binary_paths: list[Path]
) -> None:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm(threshold=0.5))
    options = SegmentationOptions(tile_size=SEG_TILE, floor=0.0)
    again = write_binary_segmentation(
        tmp_path, lesions.probability, source.levels, identity, ANALYSIS_TIME, options
    )
    assert [file.path.read_bytes() for file in again] == [
        path.read_bytes() for path in binary_paths
    ]
