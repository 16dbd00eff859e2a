"""The probability map as a DICOM Segmentation: conformance, geometry, pyramid, compression,
round trip, frame layouts, determinism and the highdicom pitfalls the writer avoids."""

from pathlib import Path
from typing import TypedDict, Unpack

import highdicom as hd
import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import JPEG2000Lossless, JPEGLSLossless

from dicom.atomic_file import write_dataset
from dicom.results import seg as seg_module
from dicom.results.errors import ResultWriteError
from dicom.results.provenance import ResultIdentity
from dicom.results.seg import (
    Compression,
    DimensionOrganization,
    SegmentationOptions,
    write_segmentation,
)
from tests.dicom.conformance import assert_dcentvfy_clean, assert_dciodvfy_clean
from tests.dicom.results.writing import (
    ANALYSIS_TIME,
    MAP_LEVEL,
    SEG_TILE,
    SourceSlide,
    WrittenResult,
    algorithm,
    probability_map,
    write_result,
)

# Probabilities are stored as round(p x 255): at most half a step away.
STEP = 1 / 255


def total_matrix(path: Path) -> np.ndarray:
    """The stored probabilities of segment 1 as floats, read back by highdicom."""
    segmentation = hd.seg.segread(path)
    matrix = segmentation.get_total_pixel_matrix(segment_numbers=[1], rescale_fractional=True)
    return np.asarray(matrix[..., 0], dtype=np.float64)


def tiles_with_probability(probability: np.ndarray, tile: int) -> int:
    rows, columns = probability.shape
    return sum(
        bool(probability[top : top + tile, left : left + tile].any())
        for top in range(0, rows, tile)
        for left in range(0, columns, tile)
    )


def test_every_segmentation_passes_dciodvfy(result: WrittenResult) -> None:
    for path in result.seg_paths:
        assert_dciodvfy_clean(path)


def test_segmentations_agree_with_the_slide_on_patient_and_study(
    source: SourceSlide, result: WrittenResult
) -> None:
    assert_dcentvfy_clean([*source.paths, *result.seg_paths])


def test_one_segmentation_per_level_from_the_maps_level_down(
    source: SourceSlide, result: WrittenResult
) -> None:
    names = [path.name for path in result.seg_paths]
    assert names == [f"seg-level-{i}.dcm" for i in range(MAP_LEVEL, len(source.levels))]
    headers = [dcmread(path, stop_before_pixels=True) for path in result.seg_paths]
    assert len({header.SeriesInstanceUID for header in headers}) == 1
    assert len({header.PyramidUID for header in headers}) == 1
    assert [header.InstanceNumber for header in headers] == list(range(1, len(headers) + 1))


@pytest.mark.parametrize("offset", [0, 1])
def test_geometry_is_the_source_levels(
    source: SourceSlide, result: WrittenResult, offset: int
) -> None:
    level = source.levels[MAP_LEVEL + offset]
    segmentation = dcmread(result.seg_paths[offset], stop_before_pixels=True)
    assert segmentation.FrameOfReferenceUID == level.FrameOfReferenceUID
    assert segmentation.TotalPixelMatrixRows == level.TotalPixelMatrixRows
    assert segmentation.TotalPixelMatrixColumns == level.TotalPixelMatrixColumns
    seg_origin = segmentation.TotalPixelMatrixOriginSequence[0]
    level_origin = level.TotalPixelMatrixOriginSequence[0]
    for axis in ("XOffsetInSlideCoordinateSystem", "YOffsetInSlideCoordinateSystem"):
        assert float(seg_origin[axis].value) == pytest.approx(float(level_origin[axis].value))
    seg_spacing = segmentation.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
    level_spacing = level.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
    assert [float(v) for v in seg_spacing.PixelSpacing] == pytest.approx(
        [float(v) for v in level_spacing.PixelSpacing]
    )
    # The whole mapping from pixel to slide coordinates coincides, orientation included.
    seg_affine = hd.spatial.ImageToReferenceTransformer.for_image(
        segmentation, for_total_pixel_matrix=True
    ).affine
    level_affine = hd.spatial.ImageToReferenceTransformer.for_image(
        level, for_total_pixel_matrix=True
    ).affine
    np.testing.assert_allclose(seg_affine, level_affine, atol=1e-9)


def test_fractional_probability_encoded_losslessly_in_jpeg_ls(result: WrittenResult) -> None:
    segmentation = dcmread(result.seg_paths[0], stop_before_pixels=True)
    assert segmentation.file_meta.TransferSyntaxUID == JPEGLSLossless
    assert segmentation.SegmentationType == "FRACTIONAL"
    assert segmentation.SegmentationFractionalType == "PROBABILITY"
    assert segmentation.MaximumFractionalValue == 255
    assert segmentation.BitsAllocated == 8


def test_probability_round_trips_within_one_step(result: WrittenResult) -> None:
    stored = total_matrix(result.seg_paths[0])
    assert stored.shape == result.probability.shape
    np.testing.assert_allclose(stored, result.probability, atol=STEP / 2 + 1e-6)
    assert stored.max() > 0.9  # the hot blob is there, not a flat map


def test_coarser_level_is_the_area_average(result: WrittenResult) -> None:
    fine, coarse = total_matrix(result.seg_paths[0]), total_matrix(result.seg_paths[1])
    rows, columns = coarse.shape
    averaged = result.probability.reshape(rows, 2, columns, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(coarse, averaged, atol=STEP / 2 + 1e-6)
    assert fine.shape == (2 * rows, 2 * columns)


def test_full_layout_keeps_every_tile_even_empty_ones(result: WrittenResult) -> None:
    segmentation = dcmread(result.seg_paths[0], stop_before_pixels=True)
    rows, columns = result.probability.shape
    tiles = -(-rows // SEG_TILE) * -(-columns // SEG_TILE)
    assert tiles_with_probability(result.probability, SEG_TILE) < tiles  # some are empty
    assert segmentation.DimensionOrganizationType == "TILED_FULL"
    assert segmentation.NumberOfFrames == tiles
    assert "PerFrameFunctionalGroupsSequence" not in segmentation


def test_sparse_layout_omits_empty_tiles(tmp_path: Path, source: SourceSlide) -> None:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm())
    options = SegmentationOptions(layout=DimensionOrganization.SPARSE, tile_size=SEG_TILE)
    written = write_result(tmp_path, source, identity, options)
    segmentation = dcmread(written.seg_paths[0], stop_before_pixels=True)
    assert segmentation.DimensionOrganizationType == "TILED_SPARSE"
    assert segmentation.NumberOfFrames == tiles_with_probability(written.probability, SEG_TILE)
    positions = {
        (
            int(frame.PlanePositionSlideSequence[0].RowPositionInTotalImagePixelMatrix),
            int(frame.PlanePositionSlideSequence[0].ColumnPositionInTotalImagePixelMatrix),
        )
        for frame in segmentation.PerFrameFunctionalGroupsSequence
    }
    probability = written.probability
    for row, column in positions:
        assert probability[row - 1 : row - 1 + SEG_TILE, column - 1 : column - 1 + SEG_TILE].any()
    # The omitted tiles read back as zero: the map survives whole.
    np.testing.assert_allclose(
        total_matrix(written.seg_paths[0]), probability, atol=STEP / 2 + 1e-6
    )
    assert_dciodvfy_clean(written.seg_paths[0])


def test_jpeg_2000_and_source_sized_tiles(tmp_path: Path, source: SourceSlide) -> None:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm())
    options = SegmentationOptions(compression=Compression.JPEG_2000, pyramid=False)
    probability = probability_map(384, 512)
    written = write_segmentation(
        tmp_path, probability, source.levels, identity, ANALYSIS_TIME, options
    )
    paths = [file.path for file in written]
    assert [path.name for path in paths] == [f"seg-level-{MAP_LEVEL}.dcm"]
    segmentation = dcmread(paths[0], stop_before_pixels=True)
    assert segmentation.file_meta.TransferSyntaxUID == JPEG2000Lossless
    assert (segmentation.Rows, segmentation.Columns) == (256, 256)  # the source level's tiles
    assert "PyramidUID" not in segmentation
    np.testing.assert_allclose(total_matrix(paths[0]), probability, atol=STEP / 2 + 1e-6)
    assert_dciodvfy_clean(paths[0])


def test_same_inputs_give_the_same_bytes(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    again = write_result(tmp_path, source, result.identity)
    for first, second in zip(result.seg_paths, again.seg_paths, strict=True):
        assert first.read_bytes() == second.read_bytes()


def test_other_weights_give_other_uids(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm(weights="cd" * 32))
    other = write_result(tmp_path, source, identity)
    first = dcmread(result.seg_paths[0], stop_before_pixels=True)
    second = dcmread(other.seg_paths[0], stop_before_pixels=True)
    assert first.SOPInstanceUID != second.SOPInstanceUID
    assert first.SeriesInstanceUID != second.SeriesInstanceUID
    assert first.StudyInstanceUID == second.StudyInstanceUID


def test_analysis_time_and_provenance_are_recorded(result: WrittenResult) -> None:
    segmentation = dcmread(result.seg_paths[0], stop_before_pixels=True)
    assert segmentation.ContentDate == segmentation.InstanceCreationDate == "20240506"
    assert segmentation.ContentTime.startswith("070809")
    equipment = {
        item.ManufacturerModelName: item for item in segmentation.ContributingEquipmentSequence
    }
    model = equipment["PathSentry DeepLab v3 R50"]
    assert model.PurposeOfReferenceCodeSequence[0].CodeValue == "109102"
    assert "ab" * 32 in model.ContributionDescription
    assert model.ContributionDateTime.startswith("20240506070809")
    algorithm_item = segmentation.SegmentSequence[0].SegmentationAlgorithmIdentificationSequence[0]
    assert "top_k=1000" in algorithm_item.AlgorithmParameters
    assert f"weights_sha256={'ab' * 32}" in algorithm_item.AlgorithmParameters


@pytest.mark.parametrize(
    ("probability", "message"),
    [
        (np.zeros((384, 511), np.float32), "no level of the slide has that size"),
        (np.zeros((384, 512), np.uint8), "float32 or float64"),
        (np.full((384, 512), np.nan, np.float32), "without NaN"),
        (np.full((384, 512), 1.5, np.float32), r"\[0, 1\]"),
        (np.zeros((1, 384, 512), np.float32), "2-D"),
    ],
)
def test_unusable_maps_are_refused_with_the_reason(
    tmp_path: Path, source: SourceSlide, probability: np.ndarray, message: str
) -> None:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm())
    with pytest.raises(ResultWriteError, match=message):
        write_segmentation(tmp_path, probability, source.levels, identity, ANALYSIS_TIME)
    assert not list(tmp_path.iterdir())


def test_a_failed_write_leaves_no_file(
    tmp_path: Path, source: SourceSlide, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Path] = []
    real_write = write_dataset

    def fail_on_second(dataset: Dataset, path: Path) -> None:
        if written:
            raise OSError("disk full")
        real_write(dataset, path)
        written.append(path)

    monkeypatch.setattr(seg_module, "write_dataset", fail_on_second)
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm())
    with pytest.raises(OSError, match="disk full"):
        write_segmentation(
            tmp_path, probability_map(384, 512), source.levels, identity, ANALYSIS_TIME
        )
    assert written and not list(tmp_path.iterdir())


# The highdicom behaviours the writer works around: if an upgrade changes them, these say so.


class _SegmentationOptions(TypedDict, total=False):
    dimension_organization_type: str
    omit_empty_frames: bool


def _highdicom_segmentation(
    source: SourceSlide, pixels: np.ndarray, **options: Unpack[_SegmentationOptions]
) -> None:
    description = hd.seg.SegmentDescription(
        segment_number=1,
        segment_label="probability",
        segmented_property_category=hd.sr.CodedConcept("49755003", "SCT", "Morphologically"),
        segmented_property_type=hd.sr.CodedConcept("86049000", "SCT", "Malignant neoplasm"),
        algorithm_type="MANUAL",
    )
    hd.seg.Segmentation(
        source_images=[source.map_level],
        pixel_array=pixels,
        segmentation_type="FRACTIONAL",
        segment_descriptions=[description],
        series_instance_uid=hd.UID(),
        series_number=1,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="test",
        manufacturer_model_name="test",
        software_versions="0",
        device_serial_number="0",
        tile_pixel_array=True,
        **options,
    )


def test_highdicom_refuses_tiled_full_with_omitted_empty_frames(source: SourceSlide) -> None:
    # highdicom 0.28 means to raise a ValueError, but crashes with a TypeError first (TILED_FULL
    # has no plane positions to look for empty tiles at); either way the default of
    # omit_empty_frames=True cannot be combined with TILED_FULL.
    with pytest.raises((TypeError, ValueError)):
        _highdicom_segmentation(
            source,
            probability_map(384, 512),
            dimension_organization_type="TILED_FULL",
            omit_empty_frames=True,
        )


def test_highdicom_reads_integer_fractional_input_as_a_label_map(source: SourceSlide) -> None:
    quantised = np.round(probability_map(384, 512) * 255).astype(np.uint8)
    with pytest.raises(ValueError, match="segments that lack descriptions"):
        _highdicom_segmentation(source, quantised, omit_empty_frames=False)
