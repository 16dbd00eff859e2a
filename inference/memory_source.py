"""A region source held in memory: a numpy image and its 2x pyramid (benchmarks, tests)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional

from inference.errors import TileReadError


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
    height, width = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    tensor = torch.from_numpy(np.ascontiguousarray(image[:height, :width]))
    pooled = functional.avg_pool2d(tensor.permute(2, 0, 1).float()[None], 2)[0].permute(1, 2, 0)
    return pooled.round().to(torch.uint8).numpy()
