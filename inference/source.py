"""What the engine reads: a pyramid of levels with pixel spacing, and regions of them.

`dicom.slide.Slide` satisfies these protocols structurally (it never imports this module),
as does `inference.memory_source.ArraySource` for benchmarks and tests.
"""

from collections.abc import Sequence
from typing import Protocol

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
