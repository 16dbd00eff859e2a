"""A region source held in memory: a numpy image and its 2x pyramid (benchmarks, tests)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference.errors import TileReadError

_BAND_ROWS = 1024


@dataclass(frozen=True)
class ArrayLevel:
    """A level of an in-memory pyramid."""

    width: int
    height: int
    pixel_spacing_um: float


class ArraySource:
    """Levels held as RGB uint8 arrays; satisfies `inference.source.RegionSource`."""

    def __init__(self, images: Sequence[np.ndarray], spacings_um: Sequence[float]) -> None:
        if len(images) != len(spacings_um) or not images:
            raise ValueError("give one pixel spacing per image, and at least one image")
        for image in images:
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise ValueError(f"images must be (height, width, 3) uint8, not {image.shape}")
        self._images = list(images)
        self._levels = [
            ArrayLevel(image.shape[1], image.shape[0], float(spacing))
            for image, spacing in zip(images, spacings_um, strict=True)
        ]

    @classmethod
    def pyramid(cls, image: np.ndarray, spacing_um: float, levels: int = 1) -> "ArraySource":
        """`image` at `spacing_um` and `levels - 1` further levels, each half the last."""
        images = [image]
        while len(images) < levels and min(images[-1].shape[:2]) >= 2:
            images.append(_halve(images[-1]))
        return cls(images, [spacing_um * 2**i for i in range(len(images))])

    @property
    def levels(self) -> Sequence[ArrayLevel]:
        return self._levels

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        """A copy of a region inside the level (reads of the array are thread-safe)."""
        info = self._levels[level]
        if x < 0 or y < 0 or x + width > info.width or y + height > info.height:
            raise TileReadError(
                f"region ({x}, {y}, {width}x{height}) lies outside level {level} "
                f"({info.width}x{info.height})"
            )
        return self._images[level][y : y + height, x : x + width].copy()


def _halve(image: np.ndarray) -> np.ndarray:
    """2 x 2 means (rounded), a band of rows at a time so that memory stays small."""
    height, width = image.shape[0] // 2, image.shape[1] // 2
    halved = np.empty((height, width, 3), dtype=np.uint8)
    for top in range(0, height, _BAND_ROWS):
        band = image[2 * top : 2 * min(top + _BAND_ROWS, height), : 2 * width].astype(np.uint16)
        total = band[0::2, 0::2] + band[1::2, 0::2] + band[0::2, 1::2] + band[1::2, 1::2]
        halved[top : top + _BAND_ROWS] = (total + 2) // 4
    return halved
