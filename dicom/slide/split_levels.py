"""Levels split over several instances that do not say they belong together.

Some converters write one level as several TILED_SPARSE instances, each with the tile
positions of its frames but without concatenation attributes; wsidicom would keep only one of
them. Their headers are given, in memory, the attributes of one concatenation (PS3.3
C.7.6.16.2.2.4). Identical TILED_FULL instances of one level (a slide sent twice under new
UIDs) are duplicates: the first is kept. Anything else cannot be told apart and fails.
"""

import copy
from collections.abc import Sequence

from pydicom.uid import generate_uid

from dicom.slide.errors import SlideError
from dicom.slide.instance_file import InstanceFile
from dicom.slide.level_repair import full_tiling_frames
from dicom.slide.repair_log import RepairLog

_LevelKey = tuple[object, ...]


def merge_split_levels(levels: Sequence[InstanceFile], repairs: RepairLog) -> list[InstanceFile]:
    """The levels with split ones made one concatenation and duplicates left out."""
    groups: dict[_LevelKey, list[InstanceFile]] = {}
    for level in levels:
        groups.setdefault(_level_key(level), []).append(level)
    kept: list[InstanceFile] = []
    for group in groups.values():
        kept.extend(_merged(group, repairs) if _instance_count(group) > 1 else group)
    return kept


def _merged(group: list[InstanceFile], repairs: RepairLog) -> list[InstanceFile]:
    names = [level.name for level in group]
    if any("SOPInstanceUIDOfConcatenationSource" in level.header for level in group):
        raise SlideError(
            f"{', '.join(names)}: these files hold the same level, some as a concatenation and "
            "some not (ConcatenationUID); which frames lie where cannot be told"
        )
    if all(level.has_per_frame_groups for level in group):
        _make_concatenation(sorted(group, key=_instance_order))
        repairs.add(
            "one level in several TILED_SPARSE instances without concatenation attributes; "
            "read as one concatenation",
            *names,
        )
        return group
    if all(level.frame_count() == full_tiling_frames(level.header) for level in group):
        first, *duplicates = sorted(group, key=_instance_order)
        repairs.add(
            f"the same level as {first.name} (a duplicate); left out", *[d.name for d in duplicates]
        )
        return [first]
    raise SlideError(
        f"{', '.join(names)}: these files hold the same level without concatenation attributes "
        "(ConcatenationUID) or tile positions (Per-Frame Functional Groups); which frames lie "
        "where cannot be told"
    )


def _make_concatenation(parts: list[InstanceFile]) -> None:
    source_uid = generate_uid(entropy_srcs=[str(part.header.SOPInstanceUID) for part in parts])
    concatenation_uid = generate_uid(entropy_srcs=[source_uid, "concatenation"])
    origin = parts[0].header.get("TotalPixelMatrixOriginSequence")
    offset = 0
    for number, part in enumerate(parts, start=1):
        header = part.header
        header.ConcatenationUID = concatenation_uid
        header.SOPInstanceUIDOfConcatenationSource = source_uid
        header.InConcatenationNumber = number
        header.InConcatenationTotalNumber = len(parts)
        header.ConcatenationFrameOffsetNumber = offset
        if origin is not None:
            # wsidicom joins parts only when their origins are identical.
            header.TotalPixelMatrixOriginSequence = copy.deepcopy(origin)
        offset += part.frame_count()
        part.edited = True


def _level_key(level: InstanceFile) -> _LevelKey:
    """What makes two instances the same level: matrix, tiles, optical paths and focal plane."""
    header = level.header
    paths = tuple(
        str(path.get("OpticalPathIdentifier", "")) for path in header.get("OpticalPathSequence", [])
    )
    return (
        int(header.TotalPixelMatrixColumns),
        int(header.TotalPixelMatrixRows),
        int(header.Columns),
        int(header.Rows),
        paths,
        _shared_z(header),
    )


def _shared_z(header: object) -> str:
    """The focal plane stated for all frames (Shared Functional Groups), or '' where none is."""
    shared = header.get("SharedFunctionalGroupsSequence")  # type: ignore[attr-defined]
    positions = shared[0].get("PlanePositionSlideSequence") if shared else None
    return str(positions[0].get("ZOffsetInSlideCoordinateSystem", "")) if positions else ""


def _instance_count(group: list[InstanceFile]) -> int:
    """Instances in the group, the parts of one concatenation counting once."""
    return len(
        {
            str(
                level.header.get("SOPInstanceUIDOfConcatenationSource")
                or level.header.SOPInstanceUID
            )
            for level in group
        }
    )


def _instance_order(level: InstanceFile) -> tuple[int, str]:
    return int(level.header.get("InstanceNumber", 0) or 0), level.name
