"""Smooth fields evaluated on a coarser grid and interpolated: same values whatever the region."""

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.geometry import SampleGrid

F32 = NDArray[np.float32]


def coarse_cover(grid: SampleGrid, factor: int) -> SampleGrid:
    """The grid `factor` times coarser whose samples surround every sample of `grid`."""
    first_x = math.floor((grid.x + 0.5) / factor - 0.5)
    last_x = math.floor((grid.x + grid.width - 0.5) / factor - 0.5) + 1
    first_y = math.floor((grid.y + 0.5) / factor - 0.5)
    last_y = math.floor((grid.y + grid.height - 0.5) / factor - 0.5) + 1
    return SampleGrid(
        grid.spacing_um * factor,
        first_x,
        first_y,
        last_x - first_x + 1,
        last_y - first_y + 1,
    )


def _axis(first: int, count: int, coarse_first: int, factor: int) -> tuple[NDArray[np.intp], F32]:
    """For each fine sample: the coarse sample before it and the weight of the one after."""
    t = (np.arange(first, first + count) + 0.5) / factor - 0.5
    low = np.floor(t)
    return (low - coarse_first).astype(np.intp), (t - low).astype(np.float32)


def upsample(values: F32, coarse: SampleGrid, grid: SampleGrid, factor: int) -> F32:
    """Bilinear interpolation of values on `coarse` at the samples of `grid`."""
    rows, wy = _axis(grid.y, grid.height, coarse.y, factor)
    cols, wx = _axis(grid.x, grid.width, coarse.x, factor)
    top, bottom = values[rows], values[rows + 1]
    along_y = top + (bottom - top) * wy[:, None]
    left, right = along_y[:, cols], along_y[:, cols + 1]
    result: F32 = left + (right - left) * wx[None, :]
    return result


def at_half_resolution(
    grid: SampleGrid, evaluate: Callable[[SampleGrid], tuple[F32, ...]]
) -> tuple[F32, ...]:
    """evaluate() on a grid twice as coarse, interpolated back onto `grid` (single samples only)."""
    coarse = coarse_cover(grid, 2)
    return tuple(upsample(values, coarse, grid, 2) for values in evaluate(coarse))
