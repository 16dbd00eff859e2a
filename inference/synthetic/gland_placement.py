"""Packing glands: one candidate per grid cell, shrunk so that it keeps clear of its neighbours."""

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.glands import HARMONICS, GlandKind, GlandSet
from inference.synthetic.streams import Purpose, normal, uniform

F64 = NDArray[np.float64]
Allowed = Callable[[F64, F64, F64], NDArray[np.bool_]]
Draw = Callable[[int], F64]

NEIGHBOURHOOD = 2  # cells each side; glands further apart than this never touch (reach < cell)
OUTLINE_SAFETY = 1.12  # outlines bulge off the line between centres


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
    cell_um=120.0,
    presence=0.95,
    radius_um=(28.0, 85.0),
    radius_power=1.2,
    stretch_max=1.8,
    wobble=0.035,
    wobble_decay=1.6,
    gap_um=8.0,
    thickness=(0.6, 0.85),
    thickness_um=(15.0, 42.0),
    min_radius_um=22.0,
    salt=1,
)

# Smaller glands filling the gaps that the first, coarser packing left.
BENIGN_FILL = GlandRecipe(
    kind=GlandKind.BENIGN,
    cell_um=55.0,
    presence=0.95,
    radius_um=(22.0, 42.0),
    radius_power=1.0,
    stretch_max=1.5,
    wobble=0.035,
    wobble_decay=1.6,
    gap_um=10.0,
    thickness=(0.6, 0.85),
    thickness_um=(15.0, 42.0),
    min_radius_um=20.0,
    salt=3,
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


TUMOUR_FILL = GlandRecipe(
    kind=GlandKind.TUMOUR,
    cell_um=52.0,
    presence=0.95,
    radius_um=(16.0, 36.0),
    radius_power=1.0,
    stretch_max=2.0,
    wobble=0.13,
    wobble_decay=0.8,
    gap_um=-6.0,
    thickness=(0.35, 0.7),
    thickness_um=(12.0, 30.0),
    min_radius_um=14.0,
    salt=4,
)


def _neighbour(grid: NDArray[np.intp], di: int, dj: int) -> NDArray[np.intp]:
    """Index grid shifted: each cell sees its neighbour at (column + di, row + dj); -1 off."""
    pad = NEIGHBOURHOOD
    padded: NDArray[np.intp] = np.pad(grid, pad, constant_values=-1)
    rows, cols = grid.shape
    return padded[pad + dj : pad + dj + rows, pad + di : pad + di + cols]


def _scale_for_neighbours(
    candidates: GlandSet, rank: F64, present: NDArray[np.bool_], gap: float
) -> F64:
    """Largest size factor each gland may keep: it yields to every higher-ranked neighbour.

    The room is measured along the line between the two centres, with each outline's own
    radius in that direction, so elongated glands can lie side by side.
    """
    cells = np.arange(rank.size).reshape(rank.shape)
    scale = np.ones(rank.shape)
    span = range(-NEIGHBOURHOOD, NEIGHBOURHOOD + 1)
    for dj in span:
        for di in span:
            other = _neighbour(cells, di, dj)
            yields = (other >= 0) & present.ravel()[other] & (rank.ravel()[other] > rank)
            if not yields.any():
                continue
            me, them = cells[yields], other[yields]
            dx = candidates.cx[them] - candidates.cx[me]
            dy = candidates.cy[them] - candidates.cy[me]
            theta = np.arctan2(dy, dx)
            mine = candidates.outline(me, theta) * OUTLINE_SAFETY
            theirs = candidates.outline(them, theta + math.pi) * OUTLINE_SAFETY
            room = (np.hypot(dx, dy) - gap - theirs) / mine
            scale[yields] = np.minimum(scale[yields], room)
    return scale


def _candidates(
    recipe: GlandRecipe, seed: int, bounds: tuple[float, float, float, float]
) -> tuple[GlandSet, Draw]:
    """One candidate gland per grid cell over bounds (grid-shaped arrays), and its draws."""
    size = recipe.cell_um
    left, top, right, bottom = bounds
    i = np.arange(math.floor(left / size), math.ceil(right / size))
    j = np.arange(math.floor(top / size), math.ceil(bottom / size))
    col, row = np.meshgrid(i, j)

    def draw(field: int) -> F64:
        return uniform(seed, Purpose.GLAND, recipe.salt, row, col, field)

    low, high = recipe.radius_um
    radius = low + (high - low) * draw(2) ** recipe.radius_power
    k = np.arange(2, HARMONICS + 2)
    wobble = np.stack(
        [normal(seed, Purpose.GLAND, recipe.salt, row, col, 10 + h) for h in range(HARMONICS)],
        axis=-1,
    ) * (recipe.wobble / k**recipe.wobble_decay)
    t_low, t_high = recipe.thickness
    candidates = GlandSet(
        ident=recipe.salt * 2**40 + (row.astype(np.int64) << 20) + col,
        kind=np.full(row.shape, recipe.kind, np.int8),
        cx=(col + draw(0)) * size,
        cy=(row + draw(1)) * size,
        radius=radius,
        stretch=1.0 + (recipe.stretch_max - 1.0) * draw(3) ** 2,
        angle=draw(6) * math.pi,
        wobble=wobble,
        phase=np.stack([draw(20 + h) for h in range(HARMONICS)], axis=-1) * (2.0 * math.pi),
        thickness=t_low + (t_high - t_low) * draw(7),  # relative until sized
    )
    return candidates, draw


def place_glands(
    recipe: GlandRecipe,
    seed: int,
    bounds: tuple[float, float, float, float],
    allowed: Allowed,
) -> GlandSet:
    """Glands of one recipe over a rectangle, kept where `allowed(cx, cy, reach)` says so."""
    grid, draw = _candidates(recipe, seed, bounds)
    present = (draw(4) < recipe.presence) & allowed(grid.cx, grid.cy, grid.reach)
    flat = grid.subset(np.ones(grid.cx.shape, bool))  # (n,) arrays for outline()
    scale = _scale_for_neighbours(flat, draw(5), present, recipe.gap_um)
    # Glands further apart than the neighbourhood must not touch whatever their sizes.
    scale = np.minimum(scale, (recipe.cell_um - recipe.gap_um / 2.0) / grid.reach)
    radius = grid.radius * np.clip(scale, 0.0, 1.0)
    keep = present & (radius >= recipe.min_radius_um)
    thickness = np.clip(radius * grid.thickness, *recipe.thickness_um)
    sized = dataclasses.replace(grid, radius=radius, thickness=thickness)
    return sized.subset(keep)
