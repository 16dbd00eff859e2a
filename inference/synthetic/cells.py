"""Free cells in the stroma: lymphocytes, plasma cells, fibroblasts, infiltrating tumour cells.

Cells come from a grid of boxes; each box draws its candidates from its own random stream,
so the same cells appear whichever region asks for them.
"""

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.blobs import Blobs
from inference.synthetic.layout import SlideLayout
from inference.synthetic.streams import Purpose, uniform
from inference.synthetic.stroma import TUMOUR_STROMA, fibre_angle

F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]
Bounds = tuple[float, float, float, float]

BOX_UM = 40.0
CANDIDATES = 72  # per box: enough for the densest lymphoid aggregate
AGGREGATE_DENSITY = 1.0 / 24.0  # extra lymphocytes per um^2 in a lymphoid aggregate
AGGREGATE_EDGE_UM = 60.0
CLUSTER_BOX_UM = 50.0
CLUSTER_CHANCE = 0.8
CLUSTER_MEMBERS = 6
CLUSTER_STEP_UM = 11.0


@dataclass(frozen=True)
class StromaCells:
    """Resident cells of one kind of stroma: how many, and how many are spindle-shaped."""

    density: float  # cells per um^2
    spindle: float  # fraction of fibroblasts or smooth muscle cells; the rest are lymphoid
    long_um: tuple[float, float]  # semi-axes of the spindle nuclei
    short_um: tuple[float, float]


# Indexed like stroma.RECIPES: lamina propria, submucosa, muscularis propria, desmoplasia.
STROMA_CELLS = (
    StromaCells(1.0 / 250.0, 0.3, (4.5, 7.0), (1.1, 1.5)),
    StromaCells(1.0 / 1100.0, 0.85, (5.0, 8.0), (1.0, 1.4)),
    StromaCells(1.0 / 330.0, 1.0, (7.0, 11.0), (1.3, 1.8)),
    StromaCells(1.0 / 600.0, 0.75, (5.0, 7.5), (1.5, 2.0)),
)


@dataclass(frozen=True)
class FreeCells:
    """Nuclei and (tumour) cell bodies of the free cells near a region."""

    nuclei: Blobs
    bodies: Blobs


@dataclass(frozen=True)
class Population:
    """Average nucleus of a cell population, for drawing it as an average at coarse sampling."""

    area_um2: float
    stain_area_um2: float  # mean of (stain amount x area)

    @staticmethod
    def of(blobs: Blobs) -> "Population":
        """Averages over a sample of blobs."""
        area = math.pi * blobs.a * blobs.b
        return Population(float(area.mean()), float((area * blobs.value).mean()))


def grid_boxes(bounds: Bounds, margin: float, box: float) -> tuple[F64, F64]:
    """Row and column indices of the boxes that can hold a cell reaching into bounds."""
    left, top, right, bottom = bounds
    cols = np.arange(math.floor((left - margin) / box), math.floor((right + margin) / box) + 1)
    rows = np.arange(math.floor((top - margin) / box), math.floor((bottom + margin) / box) + 1)
    col, row = np.meshgrid(cols, rows)
    return row.ravel().astype(np.float64), col.ravel().astype(np.float64)


def lymphoid_weight(aggregate_depth: F64) -> F64:
    """How much of the lymphoid aggregate's extra cell density applies at a given depth."""
    return np.asarray(np.clip(aggregate_depth / AGGREGATE_EDGE_UM + 0.5, 0.0, 1.0) ** 1.5)


def free_cells(layout: SlideLayout, bounds: Bounds) -> FreeCells:
    """Every free cell whose nucleus or body may reach into bounds."""
    nuclei = _stroma_nuclei(layout, bounds)
    if not layout.lesions:
        return FreeCells(nuclei, Blobs.empty())
    tumour_nuclei, bodies = _tumour_cells(layout, bounds)
    return FreeCells(Blobs.concatenate([nuclei, tumour_nuclei]), bodies)


def stroma_context(layout: SlideLayout, x: F64, y: F64) -> NDArray[np.int8]:
    """Which STROMA_CELLS (and stroma.RECIPES) entry applies at each point."""
    context = layout.layer(x, y)
    if layout.lesions:
        context[layout.lesion_depth(x, y) > 0.0] = TUMOUR_STROMA
    return context


def _stroma_nuclei(layout: SlideLayout, bounds: Bounds) -> Blobs:
    """Lymphocytes, plasma cells, fibroblasts and muscle cells, thinned to the local density."""
    row, col = grid_boxes(bounds, 12.0, BOX_UM)
    k = np.arange(CANDIDATES)[None, :]
    row, col = row[:, None], col[:, None]

    def draw(field: int) -> F64:
        return uniform(layout.seed, Purpose.STROMA_CELLS, row, col, k, field).ravel()

    x = (np.repeat(col, CANDIDATES, axis=1).ravel() + draw(0)) * BOX_UM
    y = (np.repeat(row, CANDIDATES, axis=1).ravel() + draw(1)) * BOX_UM
    inside = layout.tissue_depth(x, y) > 1.0
    x, y = x[inside], y[inside]
    context = stroma_context(layout, x, y)
    lymphoid = lymphoid_weight(layout.aggregate_depth(x, y))
    background = np.array([cells.density for cells in STROMA_CELLS])[context]
    per_candidate = BOX_UM**2 / CANDIDATES
    pick = draw(2)[inside]
    keep = pick < (background + AGGREGATE_DENSITY * lymphoid) * per_candidate
    keep[keep] = layout.glands.clear_of(x[keep], y[keep], 2.0)
    # Candidates drawn below the background density are the stroma's own cells; the rest
    # exist only because of the aggregate and are lymphocytes.
    is_lymphocyte = (pick >= background * per_candidate)[keep]
    draws = [draw(f)[inside][keep] for f in (3, 4, 5, 6, 7)]
    x, y, context = x[keep], y[keep], context[keep]
    angle = fibre_angle(x, y, context, layout.seed, layout.wall_along(x, y))
    return _stroma_shapes(draws, context, is_lymphocyte, x, y, angle)


def _stroma_shapes(
    draws: list[F64], context: NDArray[np.int8], lymphocyte: Mask, x: F64, y: F64, angle: F64
) -> Blobs:
    """Nuclei of stroma cells from their random draws (kind, size, shade, wobble, phase)."""
    kind, size, shade, wobble, phase = draws

    def column(values: list[float]) -> F64:
        return np.array(values)[context]

    spindle = (kind < column([c.spindle for c in STROMA_CELLS])) & ~lymphocyte
    long_low, long_high = (column([c.long_um[i] for c in STROMA_CELLS]) for i in (0, 1))
    short_low, short_high = (column([c.short_um[i] for c in STROMA_CELLS]) for i in (0, 1))
    round_r = np.where(lymphocyte, 2.3 + 0.6 * size, 2.4 + 0.9 * size)
    long_r = long_low + (long_high - long_low) * size
    short_r = short_low + (short_high - short_low) * shade
    return Blobs(
        x=x,
        y=y,
        a=np.where(spindle, long_r, round_r),
        b=np.where(spindle, short_r, round_r * (0.85 + 0.15 * shade)),
        angle=np.where(spindle, angle + 0.3 * (phase - 0.5), 2 * math.pi * phase),
        wobble2=0.06 * (wobble - 0.5),
        wobble3=0.04 * (shade - 0.5),
        phase=2 * math.pi * wobble,
        value=np.where(spindle, 0.46, np.where(lymphocyte, 0.7, 0.6)) + 0.14 * shade,
        texture=np.full(x.shape, 0.2),
        rim=np.full(x.shape, 0.15),
        hollow=np.zeros(x.shape),
        nucleolus=np.zeros(x.shape),
    )


def _tumour_cells(layout: SlideLayout, bounds: Bounds) -> tuple[Blobs, Blobs]:
    """Single cells and small cords of tumour cells infiltrating the desmoplastic stroma."""
    reach = CLUSTER_MEMBERS * CLUSTER_STEP_UM + 15.0
    row, col = grid_boxes(bounds, reach, CLUSTER_BOX_UM)
    k = np.arange(CLUSTER_MEMBERS)[None, :]
    seed = layout.seed

    def box_draw(field: int) -> F64:
        return uniform(seed, Purpose.TUMOUR_CELLS, row, col, field)

    def cell_draw(field: int) -> F64:
        return uniform(seed, Purpose.TUMOUR_CELLS, row[:, None], col[:, None], k, field).ravel()

    count = _cluster_size(box_draw(2), box_draw(3))
    heading = 2 * math.pi * box_draw(4)
    turn = heading[:, None] + 1.2 * (cell_draw(5).reshape(-1, CLUSTER_MEMBERS) - 0.5)
    walk = np.cumsum(CLUSTER_STEP_UM * np.stack([np.cos(turn), np.sin(turn)]), axis=2)
    x = ((col + box_draw(0)) * CLUSTER_BOX_UM)[:, None] + walk[0] - walk[0][:, :1]
    y = ((row + box_draw(1)) * CLUSTER_BOX_UM)[:, None] + walk[1] - walk[1][:, :1]
    x, y = x.ravel(), y.ravel()
    keep = (k < count[:, None]).ravel()
    keep &= layout.lesion_depth(x, y) > 4.0
    keep &= layout.tissue_depth(x, y) > 4.0
    keep[keep] = layout.glands.clear_of(x[keep], y[keep], 9.0)
    draws = [cell_draw(f)[keep] for f in (6, 7, 8, 9)]
    return _tumour_cell_shapes(x[keep], y[keep], draws)


def _cluster_size(present: F64, size: F64) -> NDArray[np.int64]:
    """Cells per cluster box: none, a single cell or a short cord (geometric, capped)."""
    count = 1 + np.floor(-np.log1p(-size) * 1.8).astype(np.int64)
    return np.where(present < CLUSTER_CHANCE, np.minimum(count, CLUSTER_MEMBERS), 0)


def _tumour_cell_shapes(x: F64, y: F64, draws: list[F64]) -> tuple[Blobs, Blobs]:
    """Nuclei and amphophilic cell bodies of infiltrating tumour cells."""
    size, shape, shade, spin = draws
    nuclei = tumour_nuclei(x, y, size, shape, shade, spin)
    body_r = nuclei.a * (1.35 + 0.3 * shade)
    bodies = Blobs(
        x=x + 0.3 * nuclei.a * np.cos(spin * 7.0),
        y=y + 0.3 * nuclei.a * np.sin(spin * 7.0),
        a=body_r,
        b=body_r * (0.8 + 0.2 * shape),
        angle=2 * math.pi * spin,
        wobble2=0.12 * (shape - 0.5),
        wobble3=0.1 * (size - 0.5),
        phase=2 * math.pi * shade,
        value=np.ones(x.shape),
        texture=np.zeros(x.shape),
        rim=np.zeros(x.shape),
        hollow=np.zeros(x.shape),
        nucleolus=np.zeros(x.shape),
    )
    return nuclei, bodies


def tumour_nuclei(x: F64, y: F64, size: F64, shape: F64, shade: F64, spin: F64) -> Blobs:
    """Large (8-16 um), pleomorphic, hyperchromatic nuclei with coarse chromatin and nucleoli."""
    a = 4.0 + 3.6 * size**1.5
    return Blobs(
        x=x,
        y=y,
        a=a,
        b=a * (0.62 + 0.3 * shape),
        angle=2 * math.pi * spin,
        wobble2=0.2 * (shape - 0.5) + 0.06,
        wobble3=0.18 * (shade - 0.5),
        phase=2 * math.pi * (spin * 3.0 % 1.0),
        value=0.52 + 0.26 * shade,
        texture=np.full(x.shape, 0.4),
        rim=np.full(x.shape, 0.3),
        hollow=np.where(shade < 0.3, 0.3, 0.0),
        nucleolus=np.where(size > 0.45, 0.7 + 0.5 * shade, 0.0),
    )


def _reference_draws(count: int, fields: int) -> list[F64]:
    """A fixed set of random draws standing in for 'all cells' when averaging shapes."""
    return [uniform(0, Purpose.STROMA_CELLS, np.arange(count), 1000 + f) for f in range(fields)]


@cache
def stroma_population(context: int, lymphocyte: bool) -> Population:
    """Average nucleus of one stroma's own cells (or of aggregate lymphocytes)."""
    n = 2048
    zeros = np.zeros(n)
    kinds = np.full(n, context, np.int8)
    blobs = _stroma_shapes(
        _reference_draws(n, 5), kinds, np.full(n, lymphocyte), zeros, zeros, zeros
    )
    return Population.of(blobs)


@cache
def tumour_cell_populations() -> tuple[float, Population, Population]:
    """Infiltrating tumour cells per um^2 of tumour stroma, their nuclei and their bodies."""
    n = 2048
    present, size = _reference_draws(n, 2)
    density = float(_cluster_size(present, size).mean()) / CLUSTER_BOX_UM**2
    zeros = np.zeros(n)
    nuclei, bodies = _tumour_cell_shapes(zeros, zeros, _reference_draws(n, 4))
    return density, Population.of(nuclei), Population.of(bodies)
