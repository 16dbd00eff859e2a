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
from inference.synthetic.glands import GlandSet
from inference.synthetic.layout import SlideLayout
from inference.synthetic.streams import Purpose, uniform
from inference.synthetic.stroma import fibre_angle

F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]
Bounds = tuple[float, float, float, float]

BOX_UM = 40.0
CANDIDATES = 48  # per box: enough for the densest lymphoid aggregate
STROMA_DENSITY = 1.0 / 250.0  # cells per um^2 in lamina propria
AGGREGATE_DENSITY = 1.0 / 34.0
DESMOPLASIA_DENSITY = 1.0 / 600.0
AGGREGATE_EDGE_UM = 60.0
CLUSTER_BOX_UM = 50.0
CLUSTER_CHANCE = 0.8
CLUSTER_MEMBERS = 6
CLUSTER_STEP_UM = 11.0


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


def clear_of_glands(glands: GlandSet, x: F64, y: F64, margin: F64 | float) -> Mask:
    """Whether each point lies at least `margin` (um, per point or one for all) outside glands."""
    if x.size == 0:
        return np.ones(0, bool)
    margins = np.broadcast_to(np.asarray(margin, np.float64), x.shape)
    widest = float(margins.max())
    near = glands.near(x.min() - widest, y.min() - widest, x.max() + widest, y.max() + widest)
    clear = np.ones(x.shape, bool)
    for start in range(0, near.size, 64):
        index = near[start : start + 64]
        distance = np.hypot(x[:, None] - glands.cx[index], y[:, None] - glands.cy[index])
        point, gland = np.nonzero(distance < glands.reach[index] + margins[:, None])
        depth = glands.depth(index[gland], x[point], y[point])
        clear[point[depth >= -margins[point]]] = False
    return clear


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


def _stroma_nuclei(layout: SlideLayout, bounds: Bounds) -> Blobs:
    """Lymphocytes, plasma cells and fibroblasts, thinned by the local cell density."""
    row, col = grid_boxes(bounds, 12.0, BOX_UM)
    k = np.arange(CANDIDATES)[None, :]
    row, col = row[:, None], col[:, None]

    def draw(field: int) -> F64:
        return uniform(layout.seed, Purpose.STROMA_CELLS, row, col, k, field).ravel()

    x = (np.repeat(col, CANDIDATES, axis=1).ravel() + draw(0)) * BOX_UM
    y = (np.repeat(row, CANDIDATES, axis=1).ravel() + draw(1)) * BOX_UM
    tumour = layout.lesion_depth(x, y) > 0.0
    lymphoid = lymphoid_weight(layout.aggregate_depth(x, y))
    background = np.where(tumour, DESMOPLASIA_DENSITY, STROMA_DENSITY)
    per_candidate = BOX_UM**2 / CANDIDATES
    chance = (background + AGGREGATE_DENSITY * lymphoid) * per_candidate
    pick = draw(2)
    keep = (pick < chance) & (layout.tissue_depth(x, y) > 1.0)
    keep[keep] = clear_of_glands(layout.glands, x[keep], y[keep], 2.0)
    # Candidates drawn below the background density are ordinary stroma cells; the rest
    # exist only because of the aggregate and are lymphocytes.
    is_lymphocyte = (pick >= background * per_candidate)[keep]
    x, y, tumour = x[keep], y[keep], tumour[keep]
    nuclei = _stroma_shapes(
        [draw(f)[keep] for f in (3, 4, 5, 6, 7)], tumour, is_lymphocyte, layout.seed, x, y
    )
    return nuclei


def _stroma_shapes(
    draws: list[F64], tumour: Mask, lymphocyte: Mask, seed: int, x: F64, y: F64
) -> Blobs:
    """Nuclei of stroma cells from their random draws (kind, size, shade, wobble, phase)."""
    kind, size, shade, wobble, phase = draws
    spindle = (kind < np.where(tumour, 0.75, 0.3)) & ~lymphocyte
    round_r = np.where(lymphocyte, 2.3 + 0.6 * size, 2.4 + 0.9 * size)
    long_r = np.where(tumour, 5.0 + 2.5 * size, 4.5 + 2.5 * size)
    short_r = np.where(tumour, 1.5 + 0.5 * shade, 1.1 + 0.4 * shade)
    angle = fibre_angle(x, y, tumour, seed) if x.size else np.zeros(0)
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
    keep[keep] = clear_of_glands(layout.glands, x[keep], y[keep], 9.0)
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
def stroma_population(tumour: bool, lymphocyte: bool) -> Population:
    """Average nucleus of ordinary stroma cells (or of aggregate lymphocytes)."""
    n = 2048
    zeros = np.zeros(n)
    blobs = _stroma_shapes(
        _reference_draws(n, 5), np.full(n, tumour), np.full(n, lymphocyte), 0, zeros, zeros
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
