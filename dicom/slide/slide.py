"""A slide opened from its DICOM VL Whole Slide Microscopy instances, for reading regions.

`WholeSlideImage` satisfies the engine's region-source protocol (levels finest first, each with its
size and pixel spacing in micrometres; a thread-safe `read_region` returning RGB uint8)
without importing it: the match is structural.
"""

import copy
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from wsidicom.group import Level

from dicom.slide.errors import NoSlideError, SlideError, SlideReadError
from dicom.slide.frames import describe_bad_frame, frame_offset
from dicom.slide.instance_file import folder_files, matrix_size
from dicom.slide.level_reader import LevelReader, RegionBox
from dicom.slide.opening import OpenedWsi, open_wsi
from dicom.slide.reduced_decoding import reductions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlideLevel:
    """One pyramid level: its size in pixels and the side of its pixels in micrometres."""

    width: int
    height: int
    pixel_spacing_um: float
    pyramid_level: int


class WholeSlideImage:
    """The levels of a slide's pyramid, readable from several threads at once."""

    def __init__(self, opened: OpenedWsi, name: str) -> None:
        self._opened = opened
        self._wsi = opened.wsi
        self._name = name
        self._levels = tuple(_level(level) for level in self._wsi.levels)
        self._readers: dict[tuple[int, int], LevelReader] = {}
        self._readers_lock = threading.Lock()
        for repair in opened.repairs:
            log.info("slide %s: %s", name, repair)

    @classmethod
    def open(cls, folder: Path, *, series_uid: str | None = None) -> "WholeSlideImage":
        """Open the pyramid in `folder` (of series `series_uid`, or of the largest image).

        Files that are not WSM are ignored; headers that are not conformant are repaired in
        memory where their meaning is clear (see `repairs`); the files are never changed.
        """
        if not folder.is_dir():
            raise NoSlideError(f"{folder} is not a folder; give the folder of a slide's files")
        return cls._from_paths(folder_files(folder), str(folder), folder.name, series_uid)

    @classmethod
    def open_files(
        cls, paths: Sequence[Path], *, name: str, series_uid: str | None = None
    ) -> "WholeSlideImage":
        """Open the pyramid among exactly these files (what a job names), as `open` does a
        folder; other files beside them are never read. `name` names the slide in messages."""
        return cls._from_paths(
            list(paths), f"the set of {len(paths)} files of slide {name}", name, series_uid
        )

    @classmethod
    def _from_paths(
        cls, paths: Sequence[Path], place: str, name: str, series_uid: str | None
    ) -> "WholeSlideImage":
        try:
            opened = open_wsi(paths, place, series_uid)
        except SlideError:
            raise
        except Exception as error:  # wsidicom raises many kinds on malformed files
            raise SlideError(f"cannot open the slide in {place}: {error}") from error
        return cls(opened, name)

    def __enter__(self) -> "WholeSlideImage":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def levels(self) -> tuple[SlideLevel, ...]:
        """The pyramid's levels, finest first."""
        return self._levels

    @property
    def repairs(self) -> tuple[str, ...]:
        """What was repaired or left out to open the slide, one line each ('file: what')."""
        return self._opened.repairs

    @property
    def level_headers(self) -> tuple[Dataset, ...]:
        """Each level's header as repaired (no pixel data), finest first, for writing results.

        One per level (the first part of a level in several files), copies that may be changed.
        """
        headers = []
        for level in self._levels:
            parts = [
                opened.level
                for opened in self._opened.files.values()
                if matrix_size(opened.level.header) == (level.width, level.height)
            ]
            first = min(parts, key=lambda part: frame_offset(part.header))
            headers.append(copy.deepcopy(first.header))
        return tuple(headers)

    @property
    def series_uid(self) -> str:
        """The SeriesInstanceUID of the opened pyramid."""
        return self._opened.series_uid

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        """RGB uint8 pixels (height, width, 3) of a region inside level `level` (an index)."""
        return self.read_region_reduced(level, 1, x, y, width, height)

    def decode_reductions(self, level: int) -> tuple[int, ...]:
        """Factors (above 1) by which the level's frames decode directly at a smaller size."""
        wsi_level = self._wsi.levels.get(self._level(level).pyramid_level)
        return reductions(wsi_level.default_instance.image_data)

    def read_region_reduced(
        self, level: int, reduction: int, x: int, y: int, width: int, height: int
    ) -> np.ndarray:
        """A region of level `level` decoded at 1/`reduction` size (coordinates at that size)."""
        reader = self._reader(level, reduction)
        try:
            return reader.read(x, y, width, height)
        except Exception as error:  # decoding errors of any codec, out-of-bounds reads
            region = (x * reduction, y * reduction, width * reduction, height * reduction)
            raise SlideReadError(self._read_error(level, region, error)) from error

    def expect_regions(self, level: int, reduction: int, regions: Sequence[RegionBox]) -> None:
        """Announce the regions about to be read (each once): their frames are decoded once.

        An empty list ends the announcement (frames still held for it are dropped).
        """
        self._reader(level, reduction).expect(regions)

    def frames_used(self, level: int, reduction: int, regions: Sequence[RegionBox]) -> int:
        """How many distinct frames of the level the regions touch (for benchmarks)."""
        return self._reader(level, reduction).frames_used(regions)

    @property
    def decoded_frames(self) -> int:
        """Frames decoded by all reads of this slide so far (a frame decoded twice counts twice)."""
        with self._readers_lock:
            return sum(reader.frames.decoded for reader in self._readers.values())

    def close(self) -> None:
        """Close the slide's files."""
        self._wsi.close()

    def _level(self, level: int) -> SlideLevel:
        if not 0 <= level < len(self._levels):
            raise SlideReadError(f"level {level} does not exist; the slide has {len(self._levels)}")
        return self._levels[level]

    def _reader(self, level: int, reduction: int) -> LevelReader:
        pyramid_level = self._level(level).pyramid_level
        if reduction != 1 and reduction not in self.decode_reductions(level):
            raise SlideReadError(
                f"level {level} of slide {self._name} cannot be decoded at 1/{reduction} size"
            )
        with self._readers_lock:
            reader = self._readers.get((level, reduction))
            if reader is None:
                reader = LevelReader(self._wsi.levels.get(pyramid_level), reduction)
                self._readers[(level, reduction)] = reader
            return reader

    def _read_error(self, level: int, region: tuple[int, int, int, int], error: Exception) -> str:
        x, y, width, height = region
        where = f"region ({x}, {y}, {width}x{height}) of level {level} of slide {self._name}"
        inside = x >= 0 and y >= 0 and x + width <= self._levels[level].width
        if inside and y + height <= self._levels[level].height:
            wsi_level = self._wsi.levels.get(self._levels[level].pyramid_level)
            frame = describe_bad_frame(wsi_level, region, self._opened.files)
            if frame is not None:
                return f"cannot read {where}: {frame}"
        return f"cannot read {where}: {error}"


def _level(level: Level) -> SlideLevel:
    # Pixels within spacing.MAX_ANISOTROPY of square (checked at opening) use their mean side.
    spacing = (float(level.mpp.width) + float(level.mpp.height)) / 2
    return SlideLevel(int(level.size.width), int(level.size.height), spacing, int(level.level))
