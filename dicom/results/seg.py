"""The probability map as a DICOM Segmentation: FRACTIONAL, tiled, losslessly compressed, on the
exact grid of the slide level it was computed on, with a pyramid of coarser levels for viewers;
optionally also as a BINARY segmentation at the threshold, for viewers without FRACTIONAL."""

import datetime
import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import highdicom as hd
import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, JPEGLSLossless

from config.kinds import ResultFileKind
from dicom.atomic_file import write_dataset
from dicom.results.codes import MALIGNANT_NEOPLASM, MORPHOLOGICALLY_ABNORMAL_STRUCTURE
from dicom.results.errors import ResultWriteError
from dicom.results.provenance import (
    BINARY_SEG_SERIES_NUMBER,
    MANUFACTURER,
    SEG_SERIES_NUMBER,
    ResultIdentity,
    algorithm_identification,
    contributing_equipment,
    stamp_analysis_time,
)
from dicom.results.source_header import with_empty_type_2
from dicom.results.source_levels import level_index_of_map, matrix_shape
from dicom.results.written_file import WrittenFile
from dicom.wsi.slide_modules import software_version

log = logging.getLogger(__name__)

SEGMENT_NUMBER = 1
MAX_TILE_SIZE = 4096


class Compression(enum.Enum):
    """Lossless transfer syntaxes highdicom can encode a FRACTIONAL segmentation in."""

    JPEG_LS = JPEGLSLossless
    JPEG_2000 = JPEG2000Lossless


class DimensionOrganization(enum.Enum):
    """How tiles become frames (Dimension Organization Type, PS3.3 C.7.6.17.3)."""

    # Every tile, in row-major order; positions are implied, so no tile can be left out.
    FULL = "TILED_FULL"
    # Only tiles with a non-zero probability, each with its own position.
    SPARSE = "TILED_SPARSE"


@dataclass(frozen=True)
class SegmentationOptions:
    """How the segmentation is encoded; `tile_size` None takes the source level's tiles.

    Probabilities below `floor` are stored as 0, so that viewers paint nothing there instead of
    a faint halo around every lesion. The floor is not part of the UIDs: it is an
    output-affecting setting (results.probability_floor), so it enters them through the
    identity's settings digest.
    """

    compression: Compression = Compression.JPEG_LS
    layout: DimensionOrganization = DimensionOrganization.FULL
    tile_size: int | None = None
    max_fractional_value: int = 255
    pyramid: bool = True
    floor: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.floor < 1:
            raise ResultWriteError(f"floor must be at least 0 and below 1; got {self.floor}")
        if self.tile_size is not None and not 16 <= self.tile_size <= MAX_TILE_SIZE:
            raise ResultWriteError(
                f"tile_size must be 16 to {MAX_TILE_SIZE} pixels or None; got {self.tile_size}"
            )
        if not 1 <= self.max_fractional_value <= 255:
            raise ResultWriteError(
                f"max_fractional_value must be 1 to 255; got {self.max_fractional_value}"
            )

    @property
    def variant(self) -> str:
        """What changes the frames' content; part of every SEG UID (compression is not)."""
        return f"{self.layout.value}/{self.tile_size or 'source'}/{self.max_fractional_value}"


@dataclass(frozen=True)
class _Kind:
    """What a segmentation series holds: the probability, or the mask at a threshold."""

    threshold: float | None
    file_prefix: str
    series_number: int
    file_kind: ResultFileKind

    def uid_names(self) -> tuple[str, ...]:
        return () if self.threshold is None else ("binary", f"{self.threshold!r}")


_PROBABILITY = _Kind(None, "seg", SEG_SERIES_NUMBER, ResultFileKind.SEGMENTATION)


def write_segmentation(
    out_dir: Path,
    probability: np.ndarray,
    source_levels: Sequence[Dataset],
    identity: ResultIdentity,
    analysis_time: datetime.datetime,
    options: SegmentationOptions | None = None,
) -> list[WrittenFile]:
    """Writes seg-level-<i>.dcm for the source level i the map coincides with and, with
    `options.pyramid`, for every coarser level; returns what it wrote, finest first.

    `probability` is float32 or float64, values 0 to 1, shaped (rows, columns) exactly like one
    level's total pixel matrix; `source_levels` come from `read_source_levels`. Values are
    stored quantised to steps of 1 / max_fractional_value. Each file appears complete or not at
    all, and on failure none is left.
    """
    return _write_levels(
        out_dir, probability, source_levels, identity, analysis_time, options, _PROBABILITY
    )


def write_binary_segmentation(
    out_dir: Path,
    probability: np.ndarray,
    source_levels: Sequence[Dataset],
    identity: ResultIdentity,
    analysis_time: datetime.datetime,
    options: SegmentationOptions | None = None,
) -> list[WrittenFile]:
    """Writes binary-seg-level-<i>.dcm, a BINARY segmentation of the pixels at or above the
    algorithm's threshold, as its own series, for viewers that cannot show FRACTIONAL ones
    (levels, arguments and return as for `write_segmentation`; `options.floor` plays no part
    in the mask)."""
    threshold = identity.algorithm.threshold
    kind = _Kind(
        threshold, "binary-seg", BINARY_SEG_SERIES_NUMBER, ResultFileKind.BINARY_SEGMENTATION
    )
    return _write_levels(
        out_dir, probability, source_levels, identity, analysis_time, options, kind
    )


def _write_levels(
    out_dir: Path,
    probability: np.ndarray,
    source_levels: Sequence[Dataset],
    identity: ResultIdentity,
    analysis_time: datetime.datetime,
    options: SegmentationOptions | None,
    kind: _Kind,
) -> list[WrittenFile]:
    options = options or SegmentationOptions()
    _check_probability(probability)
    first = level_index_of_map(source_levels, probability.shape)
    last = len(source_levels) if options.pyramid else first + 1
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[WrittenFile] = []
    try:
        array = probability
        for number, index in enumerate(range(first, last), start=1):
            level = with_empty_type_2(source_levels[index])
            array = _resampled(array, matrix_shape(level))
            request = _LevelRequest(
                level, index, number, array, identity, analysis_time, options, kind
            )
            path = out_dir / f"{kind.file_prefix}-level-{index}.dcm"
            segmentation = _segmentation(request)
            write_dataset(segmentation, path)
            written.append(WrittenFile.of(kind.file_kind, segmentation, path))
    except BaseException:
        for file in written:
            file.path.unlink(missing_ok=True)
        raise
    log.info("wrote %d %s level(s)", len(written), kind.file_prefix)
    return written


@dataclass(frozen=True)
class _LevelRequest:
    level: Dataset
    index: int
    instance_number: int
    probability: np.ndarray
    identity: ResultIdentity
    analysis_time: datetime.datetime
    options: SegmentationOptions
    kind: _Kind

    def uid(self, *names: str | int) -> str:
        return self.identity.uid("seg", self.options.variant, *self.kind.uid_names(), *names)

    def pixels(self) -> np.ndarray:
        """What is stored: probabilities with the floor applied, or the thresholded mask."""
        if self.kind.threshold is not None:
            mask: np.ndarray = self.probability >= self.kind.threshold
            return mask
        floored: np.ndarray = np.where(
            self.probability < self.options.floor, 0.0, self.probability
        ).astype(self.probability.dtype, copy=False)
        return floored


def _check_probability(probability: np.ndarray) -> None:
    if not isinstance(probability, np.ndarray) or probability.ndim != 2:
        raise ResultWriteError(
            "the probability map must be a 2-D numpy array (rows, columns); got "
            f"{getattr(probability, 'shape', type(probability))}"
        )
    # highdicom reads integer arrays as label maps, so FRACTIONAL needs floats in [0, 1].
    if probability.dtype not in (np.float32, np.float64):
        raise ResultWriteError(
            f"the probability map must be float32 or float64; got {probability.dtype}"
        )
    low, high = float(probability.min()), float(probability.max())
    # Written so that NaN, which fails every comparison, is refused too.
    if not (low >= 0.0 and high <= 1.0):
        raise ResultWriteError(
            f"probabilities must lie in [0, 1] without NaN; found {low} to {high}"
        )


def _resampled(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The map area-averaged onto a coarser level's grid (both cover the same slide area)."""
    if array.shape == shape:
        return array
    image = Image.fromarray(np.ascontiguousarray(array, dtype=np.float32))
    resized = np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BOX))
    # Averaging in float32 can land a hair above 1.0, which highdicom refuses.
    clipped: np.ndarray = np.clip(resized, 0.0, 1.0)
    return clipped


def _segmentation(request: _LevelRequest) -> hd.seg.Segmentation:
    algorithm = request.identity.algorithm
    options = request.options
    tile = options.tile_size
    when = request.analysis_time
    binary = request.kind.threshold is not None
    segmentation = hd.seg.Segmentation(
        source_images=[request.level],
        pixel_array=request.pixels(),
        segmentation_type=(
            hd.seg.SegmentationTypeValues.BINARY
            if binary
            else hd.seg.SegmentationTypeValues.FRACTIONAL
        ),
        segment_descriptions=[_segment_description(request)],
        series_instance_uid=request.uid("series"),
        series_number=request.kind.series_number,
        sop_instance_uid=request.uid("instance", request.index),
        instance_number=request.instance_number,
        manufacturer=MANUFACTURER,
        manufacturer_model_name=algorithm.name,
        software_versions=software_version(),
        device_serial_number=algorithm.short_weights_id,
        fractional_type=hd.seg.SegmentationFractionalTypeValues.PROBABILITY,
        max_fractional_value=options.max_fractional_value,
        content_description=_content_description(request),
        content_label="MALIGNANT_MASK" if binary else "PROBABILITY_MAP",
        # A 1-bit mask is stored bit-packed, uncompressed: JPEG-LS cannot hold it.
        transfer_syntax_uid=ExplicitVRLittleEndian if binary else options.compression.value,
        # highdicom refuses TILED_FULL with omitted frames: TILED_FULL must keep every tile.
        omit_empty_frames=options.layout is DimensionOrganization.SPARSE,
        dimension_organization_type=options.layout.value,
        tile_pixel_array=True,
        tile_size=None if tile is None else (tile, tile),
        pyramid_uid=request.uid("pyramid") if options.pyramid else None,
        pyramid_label=_content_description(request) if options.pyramid else None,
        contributing_equipment=[contributing_equipment(algorithm, when)],
        series_description=_content_description(request),
        content_date=when.date(),
        content_time=when.time(),
        series_date=when.date(),
        series_time=when.time(),
    )
    _make_deterministic(segmentation, request)
    return segmentation


def _content_description(request: _LevelRequest) -> str:
    threshold = request.kind.threshold
    if threshold is None:
        return "PathSentry probability of malignancy"
    return f"PathSentry malignant at p >= {threshold:g}"


def _segment_description(request: _LevelRequest) -> hd.seg.SegmentDescription:
    """The segment, labelled with what its values mean: viewers show the label as legend."""
    threshold = request.kind.threshold
    if threshold is None:
        label = "Probability of malignancy (0-1)"
        floor = request.options.floor
        meaning = "Pixel value: the probability of malignancy, 0 to 1" + (
            f"; below {floor:g} stored as 0" if floor else ""
        )
    else:
        label = f"Malignant (p >= {threshold:g})"
        meaning = f"Pixels whose probability of malignancy is at least {threshold:g}"
    description = hd.seg.SegmentDescription(
        segment_number=SEGMENT_NUMBER,
        segment_label=label,
        segmented_property_category=MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
        segmented_property_type=MALIGNANT_NEOPLASM,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
        algorithm_identification=algorithm_identification(request.identity.algorithm),
        tracking_uid=request.uid("segment", SEGMENT_NUMBER),
        tracking_id=f"PathSentry malignancy {'probability' if threshold is None else 'mask'}",
    )
    description.SegmentDescription = meaning
    return description


def _make_deterministic(segmentation: Dataset, request: _LevelRequest) -> None:
    """Replaces the clock readings and random UIDs highdicom puts in, so that the same inputs
    give the same bytes."""
    stamp_analysis_time(segmentation, request.analysis_time)
    organization_uid = request.uid("dimension-organization", request.index)
    segmentation.DimensionOrganizationSequence[0].DimensionOrganizationUID = organization_uid
    for item in segmentation.get("DimensionIndexSequence", []):
        item.DimensionOrganizationUID = organization_uid
