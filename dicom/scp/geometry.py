"""Whether an image's geometry is one the analysis can use, checked when it is received.

An instance accepted with success and found unusable later fails its whole slide; so what the
analysis relies on is checked here and refused with 0xA900 and the reason: Bits Allocated and
Samples per Pixel present and ordinary, frames and Total Pixel Matrix of sane sizes, and for
tiled images (TILED_FULL) enough frames to tile the Total Pixel Matrix.
"""

import math
from dataclasses import dataclass

from pydicom.dataset import Dataset

from dicom.scp.attributes import named, optional_int, values
from dicom.scp.pixel_data import FrameLayout
from dicom.scp.status import InstanceRefusedError, StoreStatus

BITS_ALLOCATED = frozenset({1, 8, 16, 32})
SAMPLES_PER_PIXEL = frozenset({1, 3, 4})
# 2^21 pixels is half a metre at 0.25 um per pixel: no glass slide is larger.
MAX_MATRIX_SIDE = 2**21
# A frame of 16384 x 16384 pixels; tiles are 256 to 4096 pixels wide in practice.
MAX_FRAME_PIXELS = 2**28
MAX_FRAMES = 2**24


@dataclass(frozen=True)
class TotalPixelMatrix:
    """The size of the whole image, as the header declares it."""

    columns: int
    rows: int


def check_frame_layout(layout: FrameLayout) -> None:
    """Refuse frames the analysis cannot decode: odd bit depths, samples or sizes."""
    if layout.bits_allocated not in BITS_ALLOCATED:
        raise _refuse(
            f"{named('BitsAllocated')} is {layout.bits_allocated}; expected 1, 8, 16 or 32"
        )
    if layout.samples_per_pixel not in SAMPLES_PER_PIXEL:
        raise _refuse(f"{named('SamplesPerPixel')} is {layout.samples_per_pixel}")
    if layout.rows * layout.columns > MAX_FRAME_PIXELS:
        raise _refuse(
            f"frames of {layout.columns} x {layout.rows} pixels are larger than "
            f"{MAX_FRAME_PIXELS} pixels"
        )
    if layout.frames > MAX_FRAMES:
        raise _refuse(f"{named('NumberOfFrames')} is {layout.frames}, more than {MAX_FRAMES}")


def check_tiling(header: Dataset, matrix: TotalPixelMatrix | None, layout: FrameLayout) -> None:
    """Refuse a Total Pixel Matrix of absurd size, or one its TILED_FULL frames cannot cover."""
    if matrix is None:
        return
    sides = {"TotalPixelMatrixColumns": matrix.columns, "TotalPixelMatrixRows": matrix.rows}
    for keyword, side in sides.items():
        if side > MAX_MATRIX_SIDE:
            raise _refuse(f"{named(keyword)} is {side}, more than {MAX_MATRIX_SIDE}")
    if not _tiled_full(header):
        return
    needed = _tiles(matrix, layout) * _planes(header)
    if layout.frames < needed:
        raise _refuse(
            f"{named('NumberOfFrames')} is {layout.frames}: a Total Pixel Matrix of "
            f"{matrix.columns} x {matrix.rows} in tiles of {layout.columns} x {layout.rows} "
            f"needs {needed}"
        )


def _tiles(matrix: TotalPixelMatrix, layout: FrameLayout) -> int:
    return math.ceil(matrix.columns / layout.columns) * math.ceil(matrix.rows / layout.rows)


def _planes(header: Dataset) -> int:
    focal_planes = optional_int(header, "TotalPixelMatrixFocalPlanes") or 1
    optical_paths = optional_int(header, "NumberOfOpticalPaths") or 1
    return focal_planes * optical_paths


def _tiled_full(header: Dataset) -> bool:
    """TILED_FULL as declared, or implied: no declaration and no per-frame positions."""
    declared = values(header, "DimensionOrganizationType")
    if declared:
        return declared[0] == "TILED_FULL"
    return "PerFrameFunctionalGroupsSequence" not in header


def _refuse(reason: str) -> InstanceRefusedError:
    return InstanceRefusedError(StoreStatus.DATA_SET_DOES_NOT_MATCH, reason)
