"""What the engine reads: a pyramid of levels with pixel spacing, and regions of them.

`dicom.slide.Slide` satisfies these protocols structurally (it never imports this module),
as does `inference.memory_source.ArraySource` (a plain `RegionSource`) for benchmarks and tests.
"""

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


class SourceLevel(Protocol):
    """One pyramid level: its size in pixels and the side of its (square) pixels."""

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def pixel_spacing_um(self) -> float: ...


class RegionSource(Protocol):
    """A whole-slide image: levels finest first, all sharing one origin (the top-left corner)."""

    @property
    def levels(self) -> Sequence[SourceLevel]: ...

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        """RGB uint8 pixels, shape (height, width, 3), of a region inside level `level`.

        The engine asks only for regions inside the level and calls this from several
        threads at once: implementations must be thread-safe.
        """
        ...


RegionBox = tuple[int, int, int, int]  # x, y, width, height


@runtime_checkable
class ReducingSource(RegionSource, Protocol):
    """A source whose levels can be decoded at a fraction of their size (JPEG DCT scaling)."""

    def decode_reductions(self, level: int) -> Sequence[int]:
        """Factors above 1 by which `level` decodes directly at a smaller size (maybe none)."""
        ...

    def read_region_reduced(
        self, level: int, reduction: int, x: int, y: int, width: int, height: int
    ) -> np.ndarray:
        """As `read_region`, of `level` decoded at 1/`reduction` size (coordinates at that size;
        the reduced level is `width // reduction` x `height // reduction` pixels)."""
        ...


@runtime_checkable
class AnnouncedReadsSource(RegionSource, Protocol):
    """A source that decodes each stored frame once when told the regions it will be asked for."""

    def expect_regions(self, level: int, reduction: int, regions: Sequence[RegionBox]) -> None:
        """The regions (inside the level) about to be read, each once; [] ends the announcement."""
        ...


class PlainSource:
    """Another source's levels and full-size reads only, without decoder reductions or
    announced reads: how the engine read every slide before (benchmarks, comparisons)."""

    def __init__(self, source: RegionSource) -> None:
        self._source = source

    @property
    def levels(self) -> Sequence[SourceLevel]:
        return self._source.levels

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        return self._source.read_region(level, x, y, width, height)
