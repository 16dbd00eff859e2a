"""A slide opened from its DICOM VL Whole Slide Microscopy instances, for reading regions.

`Slide` satisfies the engine's region-source protocol (levels finest first, each with its
size and pixel spacing in micrometres; a thread-safe `read_region` returning RGB uint8)
without importing it: the match is structural.
"""

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from wsidicom import WsiDicom
from wsidicom.errors import WsiDicomNotFoundError

from config.errors import PathSentryError

log = logging.getLogger(__name__)

# Pixels a few percent from square are scanner rounding; beyond this we say so.
_SQUARE_TOLERANCE = 0.01


class SlideError(PathSentryError):
    """A slide cannot be opened or read."""


class NoSlideError(SlideError):
    """A folder holds no readable whole-slide image."""


class SlideReadError(SlideError):
    """A region of an opened slide cannot be read."""


@dataclass(frozen=True)
class SlideLevel:
    """One pyramid level: its size in pixels and the side of its pixels in micrometres."""

    width: int
    height: int
    pixel_spacing_um: float
    pyramid_level: int


class Slide:
    """The levels of a slide's (first) pyramid, readable from several threads at once."""

    def __init__(self, wsi: WsiDicom, name: str) -> None:
        self._wsi = wsi
        self._name = name
        self._levels = tuple(_level(level, name) for level in wsi.levels)

    @classmethod
    def open(cls, folder: Path) -> "Slide":
        """Open the WSM instances in `folder`; files that are not WSM are ignored."""
        if not folder.is_dir():
            raise NoSlideError(f"{folder} is not a folder; give the folder of a slide's files")
        try:
            wsi = WsiDicom.open(folder)
        except WsiDicomNotFoundError:
            raise NoSlideError(
                f"{folder} holds no readable VL Whole Slide Microscopy image: expected DICOM "
                "files of SOP class 1.2.840.10008.5.1.4.1.1.77.1.6 with a VOLUME image"
            ) from None
        except Exception as error:  # wsidicom raises many kinds on malformed files
            raise SlideError(f"cannot open the slide in {folder}: {error}") from error
        return cls(wsi, folder.name)

    def __enter__(self) -> "Slide":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def levels(self) -> tuple[SlideLevel, ...]:
        """The pyramid's levels, finest first."""
        return self._levels

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        """RGB uint8 pixels (height, width, 3) of a region inside level `level` (an index)."""
        if not 0 <= level < len(self._levels):
            raise SlideReadError(f"level {level} does not exist; the slide has {len(self._levels)}")
        pyramid_level = self._levels[level].pyramid_level
        try:
            pixels = self._wsi.read_region((x, y), pyramid_level, (width, height), as_array=True)
        except Exception as error:  # decoding errors of any codec, out-of-bounds reads
            raise SlideReadError(
                f"cannot read region ({x}, {y}, {width}x{height}) of level {level} of slide "
                f"{self._name}: {error}"
            ) from error
        return np.ascontiguousarray(pixels[..., :3], dtype=np.uint8)

    def close(self) -> None:
        """Close the slide's files."""
        self._wsi.close()


def _level(level: Any, name: str) -> SlideLevel:
    size, mpp = level.size, level.mpp
    if mpp is None or not mpp.width or not mpp.height:
        raise SlideError(f"a level of slide {name} states no pixel spacing (PixelSpacing)")
    width_um, height_um = float(mpp.width), float(mpp.height)
    if not math.isclose(width_um, height_um, rel_tol=_SQUARE_TOLERANCE):
        log.warning(
            "slide %s has non-square pixels (%.4f x %.4f um); using their mean",
            name,
            width_um,
            height_um,
        )
    spacing = (width_um + height_um) / 2
    return SlideLevel(int(size.width), int(size.height), spacing, int(level.level))
