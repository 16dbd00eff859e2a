"""Packing glands: one candidate per grid cell, shrunk so that it keeps clear of its neighbours."""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.glands import HARMONICS, GlandKind, GlandSet
from inference.synthetic.streams import Purpose, normal, uniform

F64 = NDArray[np.float64]
Allowed = Callable[[F64, F64, F64], NDArray[np.bool_]]

NEIGHBOURHOOD = 2  # cells each side; glands further apart than this never touch (reach < cell)


@dataclass(frozen=True)
class GlandRecipe:
    """How the glands of one kind of tissue are sized, shaped and packed."""

    kind: GlandKind
    cell_um: float
    presence: float
    radius_um: tuple[float, float]
    radius_power: float  # > 1: small glands are commoner
    stretch_max: float
    wobble: float
    wobble_decay: float
    gap_um: float
    thickness: tuple[float, float]  # epithelium height as a fraction of the gland radius
    thickness_um: tuple[float, float]  # ... kept within these limits
    min_radius_um: float
    salt: int


BENIGN_GLANDS = GlandRecipe(
    kind=GlandKind.BENIGN,
    cell_um=112.0,
    presence=0.95,
    radius_um=(28.0, 80.0),
    radius_power=1.7,
    stretch_max=1.8,
    wobble=0.035,
    wobble_decay=1.6,
    gap_um=10.0,
    thickness=(0.6, 0.85),
    thickness_um=(15.0, 42.0),
    min_radius_um=22.0,
    salt=1,
)

TUMOUR_GLANDS = GlandRecipe(
    kind=GlandKind.TUMOUR,
    cell_um=95.0,
    presence=0.98,
    radius_um=(25.0, 80.0),
    radius_power=1.0,
    stretch_max=2.0,
    wobble=0.13,
    wobble_decay=0.8,
    gap_um=-22.0,
    thickness=(0.35, 0.7),
    thickness_um=(14.0, 32.0),
    min_radius_um=16.0,
    salt=2,
)


def _neighbour(grid: F64, di: int, dj: int, fill: float) -> F64:
    """grid shifted so that each cell sees its neighbour at (column + di, row + dj)."""
    pad = NEIGHBOURHOOD
    padded: F64 = np.pad(grid, pad, constant_values=fill)
    rows, cols = grid.shape
    return padded[pad + dj : pad + dj + rows, pad + di : pad + di + cols]


def _limit_by_neighbours(
    cx: F64, cy: F64, reach: F64, rank: F64, present: NDArray[np.bool_], gap: float
) -> F64:
    """Largest reach each gland may keep: a gland yields to every higher-ranked neighbour."""
    limit = reach.copy()
    span = range(-NEIGHBOURHOOD, NEIGHBOURHOOD + 1)
    for dj in span:
        for di in span:
            if di == 0 and dj == 0:
                continue
            other_rank = _neighbour(np.where(present, rank, -1.0), di, dj, -1.0)
            other_x = _neighbour(cx, di, dj, 0.0)
            other_y = _neighbour(cy, di, dj, 0.0)
            other_reach = _neighbour(reach, di, dj, 0.0)
            room = np.hypot(cx - other_x, cy - other_y) - gap - other_reach
            limit = np.where(other_rank > rank, np.minimum(limit, room), limit)
    return limit


def place_glands(
    recipe: GlandRecipe,
    seed: int,
    bounds: tuple[float, float, float, float],
    allowed: Allowed,
) -> GlandSet:
    """Glands of one recipe over a rectangle, kept where `allowed(cx, cy, reach)` says so."""
    size = recipe.cell_um
    left, top, right, bottom = bounds
    i = np.arange(math.floor(left / size), math.ceil(right / size))
    j = np.arange(math.floor(top / size), math.ceil(bottom / size))
    col, row = np.meshgrid(i, j)

    def draw(field: int) -> F64:
        return uniform(seed, Purpose.GLAND, recipe.salt, row, col, field)

    low, high = recipe.radius_um
    cx, cy = (col + draw(0)) * size, (row + draw(1)) * size
    radius = low + (high - low) * draw(2) ** recipe.radius_power
    stretch = 1.0 + (recipe.stretch_max - 1.0) * draw(3) ** 2
    k = np.arange(2, HARMONICS + 2)
    wobble = np.stack(
        [normal(seed, Purpose.GLAND, recipe.salt, row, col, 10 + h) for h in range(HARMONICS)],
        axis=-1,
    ) * (recipe.wobble / k**recipe.wobble_decay)
    phase = np.stack([draw(20 + h) for h in range(HARMONICS)], axis=-1) * (2.0 * math.pi)
    reach = radius * np.sqrt(stretch) * (1.0 + np.abs(wobble).sum(axis=-1))

    present = draw(4) < recipe.presence
    present &= allowed(cx, cy, reach)
    limit = _limit_by_neighbours(cx, cy, reach, draw(5), present, recipe.gap_um)
    limit = np.minimum(limit, size - recipe.gap_um / 2.0)  # beyond the neighbourhood: no overlap
    radius = radius * np.clip(limit / reach, 0.0, 1.0)
    keep = present & (radius >= recipe.min_radius_um)

    t_low, t_high = recipe.thickness
    thickness = np.clip(radius * (t_low + (t_high - t_low) * draw(7)), *recipe.thickness_um)
    return GlandSet(
        ident=(recipe.salt * 2**40 + (row.astype(np.int64) << 20) + col)[keep],
        kind=np.full(int(keep.sum()), recipe.kind, np.int8),
        cx=cx[keep],
        cy=cy[keep],
        radius=radius[keep],
        stretch=stretch[keep],
        angle=(draw(6) * math.pi)[keep],
        wobble=wobble[keep],
        phase=phase[keep],
        thickness=thickness[keep],
    )
