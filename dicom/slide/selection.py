"""Which pyramid levels of a folder make the slide: one series, one pyramid, a power of two apart.

A folder that mixes series (a re-scan, a slide sent twice, a stray instance) opens the series
with the largest image, or the series asked for; within it, the pyramid of the largest image
(by PyramidUID and FrameOfReferenceUID where they are stated). What is left out is recorded.
"""

import math
from collections.abc import Sequence

from dicom.slide.errors import NoSlideError
from dicom.slide.instance_file import InstanceFile
from dicom.slide.repair_log import RepairLog
from dicom.slide.spacing import shared_spacing

# A level's spacing may be this far (in log2) from a power of two of the base's: the spacing of
# a small level, computed from a rounded matrix size, drifts by more than wsidicom's default.
LEVEL_SCALE_TOLERANCE = 0.05


def choose_series(
    levels: Sequence[InstanceFile], series_uid: str | None, repairs: RepairLog
) -> list[InstanceFile]:
    """The levels of series `series_uid`, or of the series holding the largest image."""
    series: dict[str, list[InstanceFile]] = {}
    for level in levels:
        series.setdefault(str(level.header.get("SeriesInstanceUID", "")), []).append(level)
    if series_uid is not None and series_uid not in series:
        raise NoSlideError(
            f"the folder holds no pyramid level (VOLUME image) of series {series_uid}; "
            f"it holds pyramid levels of {len(series)} other series"
        )
    chosen = series[series_uid] if series_uid else max(series.values(), key=_largest_pixel_count)
    others = [level.name for level in levels if level not in chosen]
    if others:
        repairs.add(
            f"another series than the one opened ({len(series)} series in the folder; "
            "the one asked for or with the largest image is opened); left out",
            *others,
        )
    return chosen


def choose_pyramid(levels: Sequence[InstanceFile], repairs: RepairLog) -> list[InstanceFile]:
    """The levels of the largest image's pyramid and frame of reference, where they say so."""
    base = largest(levels)
    kept = [level for level in levels if _same_pyramid(base, level)]
    others = [level.name for level in levels if level not in kept]
    if others:
        repairs.add("another pyramid than the largest image's (PyramidUID); left out", *others)
    without_uid = [level.name for level in kept if not level.header.get("PyramidUID")]
    if without_uid:
        repairs.add(
            "PyramidUID is missing; the levels are grouped by series and frame of reference",
            *without_uid,
        )
    return kept


def fit_scales(levels: Sequence[InstanceFile], repairs: RepairLog) -> list[InstanceFile]:
    """Levels whose pixel spacing is a power of two of the base's; others are left out."""
    base_spacing = _column_spacing(largest(levels))
    kept = []
    for level in levels:
        scale = _column_spacing(level) / base_spacing
        if abs(math.log2(scale) - round(math.log2(scale))) <= LEVEL_SCALE_TOLERANCE:
            kept.append(level)
            continue
        repairs.add(
            f"its pixels are {scale:.3f} times as large as the base level's, not a power of "
            "two; left out",
            level.name,
        )
    return kept


def largest(levels: Sequence[InstanceFile]) -> InstanceFile:
    """The level with the most pixels (the base level); the first such by file name."""
    return max(levels, key=InstanceFile.pixel_count)


def _largest_pixel_count(levels: list[InstanceFile]) -> int:
    return max(level.pixel_count() for level in levels)


def _same_pyramid(base: InstanceFile, level: InstanceFile) -> bool:
    for keyword in ("PyramidUID", "FrameOfReferenceUID"):
        stated, own = base.header.get(keyword), level.header.get(keyword)
        if stated and own and stated != own:
            return False
    return True


def _column_spacing(level: InstanceFile) -> float:
    spacing = shared_spacing(level.header)
    assert spacing is not None, "spacing is repaired before scales are compared"
    return spacing[1]
