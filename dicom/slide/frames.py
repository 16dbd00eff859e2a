"""The frames of opened levels: all present (a truncated file fails at opening) and, when a
region cannot be read, which frame of which file is to blame."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.uid import UID
from wsidicom.errors import WsiDicomError
from wsidicom.file import OffsetTableType, WsiDicomFileSource
from wsidicom.geometry import Point
from wsidicom.group import Level

from dicom.slide.errors import SlideError
from dicom.slide.instance_file import InstanceFile
from dicom.slide.repair_log import RepairLog

_INDEX_ERRORS = (WsiDicomError, EOFError, OSError, ValueError)
_SCANNED = (OffsetTableType.EMPTY, OffsetTableType.TIFF)
_SCANNED_NOTE = (
    "the Basic Offset Table is empty and there is no Extended Offset Table; the frames were "
    "found by scanning the Pixel Data"
)


@dataclass(frozen=True)
class OpenedFile:
    """A level file as opened: its header as read, and the size of the stream wsidicom reads."""

    level: InstanceFile
    stream_size: int


def check_frames(
    source: WsiDicomFileSource, files: Mapping[str, OpenedFile], repairs: RepairLog
) -> None:
    """Fail, naming the file, when a level's frames cannot be found or reach past its end."""
    for reader in source.readers:
        opened = files[str(reader.filepath)]
        try:
            ends = [position + length for position, length in reader.frame_index]
            scanned = reader.offset_table_type in _SCANNED
        except _INDEX_ERRORS as error:
            raise SlideError(
                f"{opened.level.name}: the frames in its Pixel Data cannot be found ({error}); "
                "the file is damaged or truncated: send the slide again"
            ) from error
        if ends and max(ends) > opened.stream_size:
            raise SlideError(
                f"{opened.level.name} is truncated: its {len(ends)} frames need "
                f"{max(ends) - opened.stream_size} bytes more than the file holds; "
                "send the slide again"
            )
        if scanned:
            repairs.add(_SCANNED_NOTE, opened.level.name)


def describe_bad_frame(
    level: Level, region: tuple[int, int, int, int], files: Mapping[str, OpenedFile]
) -> str | None:
    """'file: frame N ... cannot be decoded (syntax): error' for the region's first bad tile."""
    instance = level.default_instance
    image_data = instance.image_data
    z, optical_path = instance.default_z, instance.default_path
    for tile in _tiles(level, region):
        try:
            image_data.get_decoded_tile(tile, z, optical_path, cache=False)
        except Exception as error:  # noqa: BLE001 - any decoder's error is what we report
            frame = image_data.tiles.get_frame_index(tile, z, optical_path)
            paths = [str(path) for path in image_data.files]
            return _frame_message(frame, tile, error, files, paths)
    return None


def _frame_message(
    frame: int, tile: Point, error: Exception, files: Mapping[str, OpenedFile], paths: list[str]
) -> str:
    for path in paths:
        level = files[path].level
        offset = frame_offset(level.header)
        if offset <= frame < offset + level.frame_count():
            syntax = UID(level.header.file_meta.TransferSyntaxUID).name
            return (
                f"{level.name}: frame {frame - offset + 1} of {level.frame_count()} (tile "
                f"{tile.x}, {tile.y}) cannot be decoded ({syntax}): {error}"
            )
    return f"frame {frame + 1} (tile {tile.x}, {tile.y}) cannot be decoded: {error}"


def frame_offset(header: Dataset) -> int:
    """The index of a file's first frame in its instance (0 unless it is a later part)."""
    return int(header.get("ConcatenationFrameOffsetNumber", 0) or 0)


def _tiles(level: Level, region: tuple[int, int, int, int]) -> Iterator[Point]:
    x, y, width, height = region
    tile_width, tile_height = level.tile_size.width, level.tile_size.height
    for row in range(y // tile_height, (y + height - 1) // tile_height + 1):
        for column in range(x // tile_width, (x + width - 1) // tile_width + 1):
            yield Point(column, row)
