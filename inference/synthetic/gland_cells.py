"""Epithelial nuclei: one basal row in benign glands; crowded, stratified, atypical in tumour."""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.blobs import Blobs
from inference.synthetic.cells import tumour_nuclei
from inference.synthetic.epithelium import cribriform_holes, has_necrosis
from inference.synthetic.glands import GlandKind, GlandSet
from inference.synthetic.streams import Purpose, uniform

F64 = NDArray[np.float64]
Index = NDArray[np.intp]
Draw = Callable[[int], F64]

BENIGN_CELL_UM = 6.6
TUMOUR_LATTICE_UM = 8.5
OUTLINE_SAMPLES = 512


@dataclass(frozen=True)
class GlandCells:
    """Epithelial nuclei and goblet-cell mucin vacuoles of some glands."""

    nuclei: Blobs
    mucin: Blobs


def gland_cells(glands: GlandSet, indices: Index, seed: int) -> GlandCells:
    """The epithelial nuclei (and goblet cells of benign glands) of the given glands."""
    nuclei, mucin = [Blobs.empty()], [Blobs.empty()]
    for index in indices:
        if glands.kind[index] == GlandKind.BENIGN:
            row, goblets = _basal_row(glands, int(index), seed)
            nuclei.append(row)
            mucin.append(goblets)
        else:
            nuclei.append(_stratified(glands, int(index), seed))
            if has_necrosis(glands, int(index), seed):
                nuclei.append(_nuclear_dust(glands, int(index), seed))
    return GlandCells(Blobs.concatenate(nuclei), Blobs.concatenate(mucin))


def _basal_row(glands: GlandSet, index: int, seed: int) -> tuple[Blobs, Blobs]:
    """Small regular oval nuclei at equal steps along the basement membrane, long axis radial.

    About a quarter of the cells are goblet cells: a mucin vacuole above a smaller nucleus.
    """
    theta = np.linspace(0.0, 2.0 * math.pi, OUTLINE_SAMPLES + 1)
    radius = glands.outline(np.intp(index), theta)
    step = np.hypot(np.diff(radius * np.cos(theta)), np.diff(radius * np.sin(theta)))
    arc = np.concatenate([[0.0], np.cumsum(step)])
    count = max(8, round(arc[-1] / BENIGN_CELL_UM))
    j = np.arange(count)

    def draw(field: int) -> F64:
        return uniform(seed, Purpose.GLAND_NUCLEI, glands.ident[index], j, field)

    where = (j + 0.5 + 0.35 * (draw(0) - 0.5)) * (arc[-1] / count)
    at = np.interp(where, arc, theta)
    outline = glands.outline(np.intp(index), at)
    goblet = draw(10) < 0.25
    along = np.where(goblet, 2.2, 2.9) + 0.9 * draw(2)  # semi-axis perpendicular to the membrane
    across = np.where(goblet, 1.5, 1.7) + 0.5 * draw(3)
    centre = outline - (1.4 + 1.0 * draw(4) + along)
    keep = (draw(1) > 0.07) & (centre > 2.0)
    n = int(keep.sum())
    nuclei = Blobs(
        x=(glands.cx[index] + centre * np.cos(at))[keep],
        y=(glands.cy[index] + centre * np.sin(at))[keep],
        a=along[keep],
        b=across[keep],
        angle=(at + 0.18 * (draw(5) - 0.5))[keep],
        wobble2=(0.04 * (draw(6) - 0.5))[keep],
        wobble3=(0.04 * (draw(7) - 0.5))[keep],
        phase=(2 * math.pi * draw(8))[keep],
        value=(np.where(goblet, 0.6, 0.48) + 0.1 * draw(9))[keep],
        texture=np.full(n, 0.2),
        rim=np.full(n, 0.2),
        hollow=np.zeros(n),
        nucleolus=np.zeros(n),
    )
    return nuclei, _goblets(glands, index, at, outline, goblet & keep, draw)


def _goblets(
    glands: GlandSet, index: int, at: F64, outline: F64, goblet: NDArray[np.bool_], draw: Draw
) -> Blobs:
    """Mucin vacuoles in the apical part of the goblet cells."""
    thickness = glands.thickness[index]
    along = 4.0 + 2.0 * draw(11)
    centre = outline - np.maximum(thickness - along - 0.8, 9.0 + along)
    keep = goblet & (centre > along)
    n = int(keep.sum())
    return Blobs(
        x=(glands.cx[index] + centre * np.cos(at))[keep],
        y=(glands.cy[index] + centre * np.sin(at))[keep],
        a=along[keep],
        b=(2.8 + 1.0 * draw(12))[keep],
        angle=at[keep],
        wobble2=np.full(n, 0.05),
        wobble3=(0.05 * (draw(13) - 0.5))[keep],
        phase=at[keep],
        value=np.ones(n),
        texture=np.zeros(n),
        rim=np.zeros(n),
        hollow=np.zeros(n),
        nucleolus=np.zeros(n),
    )


def _stratified(glands: GlandSet, index: int, seed: int) -> Blobs:
    """Nuclei filling the whole thickness of tumour epithelium on a jittered lattice."""
    reach = float(glands.reach[index])
    steps = np.arange(
        -math.ceil(reach / TUMOUR_LATTICE_UM), math.ceil(reach / TUMOUR_LATTICE_UM) + 1
    )
    i, j = (g.ravel() for g in np.meshgrid(steps, steps))
    ident = glands.ident[index]

    def draw(field: int) -> F64:
        return uniform(seed, Purpose.GLAND_NUCLEI, ident, i, j, field)

    x = glands.cx[index] + (i + 0.8 * (draw(0) - 0.5)) * TUMOUR_LATTICE_UM
    y = glands.cy[index] + (j + 0.8 * (draw(1) - 0.5)) * TUMOUR_LATTICE_UM
    depth = glands.depth(np.intp(index), x, y)
    if glands.kind[index] == GlandKind.CRIBRIFORM:
        holes = cribriform_holes(glands, index, seed)
        gap = np.hypot(x[:, None] - holes.x, y[:, None] - holes.y) - holes.radius
        keep = (depth > 3.0) & (gap.min(axis=1) > 3.0)
    else:
        keep = (depth > 3.0) & (depth < glands.thickness[index] - 3.5)
    keep &= draw(2) > 0.06
    size, shape, shade, spin = (draw(f)[keep] for f in (3, 4, 5, 6))
    return tumour_nuclei(x[keep], y[keep], size, shape, shade, spin)


def _nuclear_dust(glands: GlandSet, index: int, seed: int) -> Blobs:
    """Fragments of dead cells' nuclei scattered in a necrotic lumen."""
    count = 24
    k = np.arange(count)
    ident = glands.ident[index]

    def draw(field: int) -> F64:
        return uniform(seed, Purpose.LUMEN, ident, k, 50 + field)

    theta = 2 * math.pi * draw(0)
    reach = glands.outline(np.intp(index), theta) * np.sqrt(draw(1))
    x, y = glands.cx[index] + reach * np.cos(theta), glands.cy[index] + reach * np.sin(theta)
    depth = glands.depth(np.intp(index), x, y)
    if glands.kind[index] == GlandKind.CRIBRIFORM:
        holes = cribriform_holes(glands, index, seed)
        gap = np.hypot(x[:, None] - holes.x, y[:, None] - holes.y) - holes.radius
        keep = gap.min(axis=1) < -2.0
    else:
        keep = depth > glands.thickness[index] + 2.0
    n = int(keep.sum())
    size = 0.6 + 1.0 * draw(2)[keep]
    return Blobs(
        x=x[keep],
        y=y[keep],
        a=size,
        b=size * (0.6 + 0.4 * draw(3)[keep]),
        angle=2 * math.pi * draw(4)[keep],
        wobble2=np.zeros(n),
        wobble3=np.zeros(n),
        phase=np.zeros(n),
        value=0.7 + 0.3 * draw(5)[keep],
        texture=np.zeros(n),
        rim=np.zeros(n),
        hollow=np.zeros(n),
        nucleolus=np.zeros(n),
    )
