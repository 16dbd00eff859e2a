"""The thumbnail as the bubble and coverslip checks see it: dark lines on a grid of about 8 µm.

Both checks look for thin dark lines hundreds of micrometres long (a bubble's rim, the
coverslip's edge). A thumbnail finer than `WORKING_SPACING_UM` is shrunk to about that first,
by a whole factor: each block's mean grey level (as a coarser pyramid level would show it; a
rim stays far darker than `_LINE_CAP` needs), and glass is a block without tissue. The
blocks' darkest grey level was tried too: it keeps the rims as dark, but also makes tissue's
own lines denser, and one clean slide of `pathsentry qc-evaluate` then showed a ring. On a
small slide's fine thumbnail this makes both checks ten times cheaper; a thumbnail at that
spacing or coarser is used as it is.
"""

import math
from dataclasses import dataclass

import numpy as np

from inference.tissue import TissueMask

WORKING_SPACING_UM = 8.0
# Line strength (grey levels darker than both sides) is capped here, so that a few very
# dark lines of tissue cannot make a ring on their own.
_LINE_CAP = 30.0
_DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


@dataclass(frozen=True)
class LineView:
    """The thumbnail shrunk by `factor` a side (float32 grey levels, bool glass)."""

    grey: np.ndarray
    lines: np.ndarray
    glass: np.ndarray
    factor: int
    spacing_um: float
    thumbnail_shape: tuple[int, int]

    def thumbnail_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the thumbnail's pixel centres lie in this view's pixels: rows (a column
        vector) and columns (a row vector)."""
        height, width = self.thumbnail_shape
        rows = (np.arange(height, dtype=np.float32) + 0.5) / self.factor - 0.5
        cols = (np.arange(width, dtype=np.float32) + 0.5) / self.factor - 0.5
        return rows[:, None], cols[None, :]


def line_view(grey: np.ndarray, tissue: TissueMask) -> LineView:
    """The view of a thumbnail's grey levels (float32, the tissue mask's shape)."""
    factor = max(1, math.floor(WORKING_SPACING_UM / tissue.spacing_um + 1e-6))
    shrunk = _pooled(grey, factor, "mean")
    return LineView(
        grey=shrunk,
        lines=line_strength(shrunk),
        glass=~_pooled(tissue.mask, factor, "max"),
        factor=factor,
        spacing_um=tissue.spacing_um * factor,
        thumbnail_shape=(grey.shape[0], grey.shape[1]),
    )


def line_strength(grey: np.ndarray) -> np.ndarray:
    """How much darker each pixel is than both its neighbours across a line, at best."""
    height, width = grey.shape
    padded = np.pad(grey, 2, mode="edge")
    best = np.zeros_like(grey)
    for distance in (1, 2):
        for dy, dx in _DIRECTIONS:
            top, left = 2 + dy * distance, 2 + dx * distance
            ahead = padded[top : top + height, left : left + width]
            top, left = 2 - dy * distance, 2 - dx * distance
            behind = padded[top : top + height, left : left + width]
            np.maximum(best, np.minimum(ahead, behind) - grey, out=best)
    return np.asarray(np.minimum(best, _LINE_CAP))


def _pooled(image: np.ndarray, factor: int, how: str) -> np.ndarray:
    """Blocks of `factor` x `factor` pixels as one, their "mean" or else their maximum (a
    partial block at the end repeats its last row or column)."""
    if factor == 1:
        return image
    height, width = image.shape
    rows, cols = math.ceil(height / factor), math.ceil(width / factor)
    padded = np.pad(image, ((0, rows * factor - height), (0, cols * factor - width)), "edge")
    blocks = padded.reshape(rows, factor, cols, factor)
    if how == "mean":
        return np.asarray(blocks.mean(axis=(1, 3), dtype=np.float32))
    return np.asarray(blocks.max(axis=(1, 3)))
