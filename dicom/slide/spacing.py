"""Pixel spacing of pyramid levels, found where converters put it when it is not where it belongs.

PixelSpacing belongs in Shared Functional Groups > Pixel Measures Sequence. When it is not
there it is taken, in this order, from the top-level dataset, from the first per-frame
functional group, from ImagedVolumeWidth/Height and the matrix size, or from another level of
the pyramid (the levels image the same area). ImagedVolumeWidth/Height, which wsidicom needs,
follow from the spacing when they are missing.
"""

import math
from collections.abc import Callable, Sequence

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.valuerep import DSfloat

from dicom.slide.errors import SlideError
from dicom.slide.instance_file import PER_FRAME_GROUPS, InstanceFile
from dicom.slide.repair_log import RepairLog

# Pixels this far from square are scanner rounding; up to the limit the mean side is used.
SQUARE_TOLERANCE = 0.01
MAX_ANISOTROPY = 0.10
# A level whose matrix ratio to another is this close to a power of two is that power.
_ROUNDING_DRIFT = 0.05
_WHERE = "(Shared Functional Groups > Pixel Measures Sequence)"

Spacing = tuple[float, float]  # (between rows, between columns) in mm, as PixelSpacing


def repair_spacing(levels: Sequence[InstanceFile], repairs: RepairLog) -> None:
    """Give every level a PixelSpacing where it belongs, and ImagedVolumeWidth/Height."""
    stated: list[InstanceFile] = []
    missing: list[InstanceFile] = []
    for level in levels:
        (stated if _repair_from_own_file(level, repairs) else missing).append(level)
    for level in missing:
        _repair_from_other_level(level, stated, repairs)
    for level in levels:
        _repair_imaged_volume(level, repairs)
    _check_square(max(levels, key=InstanceFile.pixel_count), repairs)


def shared_spacing(header: Dataset) -> Spacing | None:
    """PixelSpacing of the shared functional groups, when it is there and positive."""
    shared = header.get("SharedFunctionalGroupsSequence")
    measures = shared[0].get("PixelMeasuresSequence") if shared else None
    return _positive(measures[0].get("PixelSpacing") if measures else None)


def _repair_from_own_file(level: InstanceFile, repairs: RepairLog) -> bool:
    if shared_spacing(level.header) is not None:
        return True
    for find, source in _ELSEWHERE:
        spacing = find(level)
        if spacing is not None:
            _set_spacing(level, spacing)
            repairs.add(f"PixelSpacing is missing {_WHERE}; taken {source}", level.name)
            return True
    return False


def _repair_from_other_level(
    level: InstanceFile, stated: Sequence[InstanceFile], repairs: RepairLog
) -> None:
    if not stated:
        raise SlideError(
            f"{level.name}: PixelSpacing is missing {_WHERE} and cannot be derived: the file has "
            "no PixelSpacing elsewhere and no ImagedVolumeWidth/Height, and no other level of the "
            "slide states a pixel spacing; the slide must state its pixel size to be analysed"
        )
    reference = max(stated, key=InstanceFile.pixel_count)
    row_spacing, column_spacing = shared_spacing(reference.header) or (0.0, 0.0)
    scale = _scale(
        int(reference.header.TotalPixelMatrixColumns), int(level.header.TotalPixelMatrixColumns)
    )
    _set_spacing(level, (row_spacing * scale, column_spacing * scale))
    repairs.add(
        f"PixelSpacing is missing {_WHERE}; derived from {reference.name} and the ratio of the "
        "matrix sizes",
        level.name,
    )


def _scale(reference_columns: int, columns: int) -> float:
    """How many times larger a level's pixels are: the matrix ratio, a power of two when near one.

    Levels are made by halving with the size rounded, so the ratio of small levels drifts from
    the power of two their pixels really are.
    """
    ratio = reference_columns / columns
    power = 2.0 ** round(math.log2(ratio))
    return power if abs(ratio / power - 1) < _ROUNDING_DRIFT else ratio


def _repair_imaged_volume(level: InstanceFile, repairs: RepairLog) -> None:
    header = level.header
    if "ImagedVolumeWidth" in header and "ImagedVolumeHeight" in header:
        return
    row_spacing, column_spacing = shared_spacing(header) or (0.0, 0.0)
    header.ImagedVolumeWidth = column_spacing * int(header.TotalPixelMatrixColumns)
    header.ImagedVolumeHeight = row_spacing * int(header.TotalPixelMatrixRows)
    level.edited = True
    repairs.add("ImagedVolumeWidth/Height are missing; computed from PixelSpacing", level.name)


def _check_square(base: InstanceFile, repairs: RepairLog) -> None:
    row_spacing, column_spacing = shared_spacing(base.header) or (1.0, 1.0)
    anisotropy = abs(column_spacing / row_spacing - 1)
    sides = f"{column_spacing * 1000:.4f} x {row_spacing * 1000:.4f} um (wide x high)"
    if anisotropy > MAX_ANISOTROPY:
        raise SlideError(
            f"{base.name}: PixelSpacing states pixels of {sides}, {anisotropy:.0%} from square; "
            f"the analysis needs pixels within {MAX_ANISOTROPY:.0%} of square"
        )
    if anisotropy > SQUARE_TOLERANCE:
        repairs.add(f"pixels are not square ({sides}); the mean side is used", base.name)


def _top_level_spacing(level: InstanceFile) -> Spacing | None:
    return _positive(level.header.get("PixelSpacing"))


def _per_frame_spacing(level: InstanceFile) -> Spacing | None:
    """PixelSpacing of the first per-frame functional group (read only in this rare case)."""
    if not level.has_per_frame_groups:
        return None
    dataset = dcmread(level.path, stop_before_pixels=True, specific_tags=[PER_FRAME_GROUPS])
    groups = dataset.get("PerFrameFunctionalGroupsSequence")
    measures = groups[0].get("PixelMeasuresSequence") if groups else None
    return _positive(measures[0].get("PixelSpacing") if measures else None)


def _imaged_volume_spacing(level: InstanceFile) -> Spacing | None:
    header = level.header
    width, height = header.get("ImagedVolumeWidth"), header.get("ImagedVolumeHeight")
    if width is None or height is None:
        return None
    return _positive(
        [
            float(height) / int(header.TotalPixelMatrixRows),
            float(width) / int(header.TotalPixelMatrixColumns),
        ]
    )


# Where converters put the spacing, in the order looked at, and how the repair says so.
_ELSEWHERE: tuple[tuple[Callable[[InstanceFile], Spacing | None], str], ...] = (
    (_top_level_spacing, "from the top-level PixelSpacing"),
    (_per_frame_spacing, "from the first Per-Frame Functional Group"),
    (_imaged_volume_spacing, "from ImagedVolumeWidth/Height and the matrix size"),
)


def _set_spacing(level: InstanceFile, spacing: Spacing) -> None:
    header = level.header
    if not header.get("SharedFunctionalGroupsSequence"):
        header.SharedFunctionalGroupsSequence = DicomSequence([Dataset()])
    shared = header.SharedFunctionalGroupsSequence[0]
    if not shared.get("PixelMeasuresSequence"):
        shared.PixelMeasuresSequence = DicomSequence([Dataset()])
    shared.PixelMeasuresSequence[0].PixelSpacing = [
        DSfloat(value, auto_format=True) for value in spacing
    ]
    level.edited = True


def _positive(value: object) -> Spacing | None:
    try:
        row, column = (float(item) for item in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    if not (row > 0 and column > 0 and math.isfinite(row) and math.isfinite(column)):
        return None
    return row, column
