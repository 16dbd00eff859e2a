"""Drawing glands: columnar epithelium around a lumen, or a cribriform nest with round lumina."""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.geometry import SampleGrid
from inference.synthetic.glands import GlandKind, GlandSet
from inference.synthetic.noise import blob_noise_grid
from inference.synthetic.staining import StainLayers, mixed_hematoxylin
from inference.synthetic.streams import Purpose, uniform

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class EpitheliumLook:
    """Stain amounts of one kind of glandular epithelium and its lumen."""

    basal_eosin: float
    basal_hematoxylin: float
    apical_eosin: float
    apical_hematoxylin: float
    lumen_eosin: float
    membrane_eosin: float
    cell_width_um: float
    border_contrast: float


BENIGN_LOOK = EpitheliumLook(
    basal_eosin=0.16,
    basal_hematoxylin=0.075,
    apical_eosin=0.11,
    apical_hematoxylin=0.05,
    lumen_eosin=0.012,
    membrane_eosin=0.18,
    cell_width_um=6.5,
    border_contrast=0.15,
)

TUMOUR_LOOK = EpitheliumLook(
    basal_eosin=0.2,
    basal_hematoxylin=0.17,
    apical_eosin=0.17,
    apical_hematoxylin=0.14,
    lumen_eosin=0.02,
    membrane_eosin=0.05,
    cell_width_um=9.0,
    border_contrast=0.12,
)


# Epithelial nuclei as averages: benign ones in a basal band, tumour ones everywhere.
BENIGN_NUCLEAR_BAND_UM = (1.4, 8.6)
BENIGN_NUCLEAR_COVERAGE = 0.4
BENIGN_NUCLEAR_STAIN = 0.55
TUMOUR_NUCLEAR_COVERAGE = 0.6
TUMOUR_NUCLEAR_STAIN = 0.72
NECROSIS_CHANCE = 0.4
DEBRIS_EOSIN = 0.2
DEBRIS_CLUMP_UM = 6.0


@dataclass(frozen=True)
class Holes:
    """The round lumina of one cribriform nest."""

    x: F64
    y: F64
    radius: F64


def cribriform_holes(glands: GlandSet, index: int, seed: int) -> Holes:
    """Lumina punched through a cribriform nest: a pure function of the gland's id."""
    ident = glands.ident[index]
    radius = glands.radius[index]
    count = 3 + int(radius * radius / 500.0)
    k = np.arange(count)
    angle = 2.0 * math.pi * uniform(seed, Purpose.LUMEN, ident, k, 0)
    where = 0.62 * np.sqrt(uniform(seed, Purpose.LUMEN, ident, k, 1))
    theta = np.asarray(angle)
    reach = glands.outline(np.full(count, index), theta) * where
    return Holes(
        x=glands.cx[index] + reach * np.cos(theta),
        y=glands.cy[index] + reach * np.sin(theta),
        radius=5.0 + 9.0 * uniform(seed, Purpose.LUMEN, ident, k, 2),
    )


def _window(grid: SampleGrid, glands: GlandSet, index: int) -> tuple[slice, slice]:
    """Sample rows and columns that the gland can cover."""
    reach = float(glands.reach[index]) + 2.0 * grid.step_um
    cx, cy = glands.cx[index], glands.cy[index]
    cols = slice(*np.searchsorted(grid.xs, [cx - reach, cx + reach]))
    rows = slice(*np.searchsorted(grid.ys, [cy - reach, cy + reach]))
    return rows, cols


def _coverage(distance: F32, footprint: float) -> F32:
    """Fraction of a sample's footprint on the positive side of a boundary (box filter)."""
    result: F32 = np.clip(distance * np.float32(1.0 / footprint) + np.float32(0.5), 0.0, 1.0)
    return result


def draw_glands(
    grid: SampleGrid, glands: GlandSet, stains: StainLayers, seed: int, averaged: bool
) -> F32:
    """Paint every gland that reaches the grid over the stroma; returns gland coverage.

    With `averaged`, epithelial nuclei are painted as their average (coarse sampling).
    """
    covered = np.zeros(stains.eosin.shape, np.float32)
    left, top, right, bottom = grid.bounds_um
    for index in glands.near(left, top, right, bottom):
        rows, cols = _window(grid, glands, int(index))
        if rows.start >= rows.stop or cols.start >= cols.stop:
            continue
        gland = _Gland(grid, glands, int(index), rows, cols, seed)
        eosin, hematoxylin = gland.stains(averaged)
        keep = np.float32(1.0) - gland.inside
        e = stains.eosin[rows, cols]
        h = stains.hematoxylin[rows, cols]
        e[...] = e * keep + eosin
        h[...] = h * keep + hematoxylin
        np.maximum(covered[rows, cols], gland.inside, out=covered[rows, cols])
    return covered


class _Gland:
    """One gland's geometry over its window of samples."""

    def __init__(
        self, grid: SampleGrid, glands: GlandSet, index: int, rows: slice, cols: slice, seed: int
    ) -> None:
        self.kind = GlandKind(int(glands.kind[index]))
        self.look = BENIGN_LOOK if self.kind is GlandKind.BENIGN else TUMOUR_LOOK
        self.footprint = grid.step_um
        self.thickness = float(glands.thickness[index])
        self.radius = float(glands.radius[index])
        dx = (grid.xs[cols] - glands.cx[index]).astype(np.float32)[None, :]
        dy = (grid.ys[rows] - glands.cy[index]).astype(np.float32)[:, None]
        self.theta = np.arctan2(dy, dx)
        self.depth = glands.outline_lookup(index, self.theta) - np.hypot(dx, dy)
        self.inside = _coverage(self.depth, self.footprint)
        if self.kind is GlandKind.CRIBRIFORM:
            holes = cribriform_holes(glands, index, seed)
            self.lumen = _holes(dx, dy, holes, glands, index, self.footprint)
        else:
            self.lumen = _coverage(self.depth - np.float32(self.thickness), self.footprint)
        self.lumen_eosin = _lumen_content(grid, glands, index, rows, cols, seed)

    def stains(self, averaged: bool) -> tuple[F32, F32]:
        """Eosin and hematoxylin of the gland, already weighted by its coverage."""
        look, depth = self.look, self.depth
        epithelium = self.inside - self.lumen
        apical = np.clip(depth * np.float32(1.0 / self.thickness), 0.0, 1.0) ** 2
        cells = _cell_borders(self.theta, self.radius, look, self.footprint)
        membrane = _coverage(np.float32(1.2) - depth, self.footprint)
        cyto_e = (look.basal_eosin + (look.apical_eosin - look.basal_eosin) * apical) * cells
        cyto_e += np.float32(look.membrane_eosin) * membrane
        cyto_h = (
            look.basal_hematoxylin + (look.apical_hematoxylin - look.basal_hematoxylin) * apical
        ) * cells
        if averaged:
            coverage, value = self._average_nuclei()
            cyto_e = (
                cyto_e * (np.float32(1.0) - np.float32(0.8) * coverage)
                + np.float32(0.06) * coverage
            )
            cyto_h = mixed_hematoxylin(cyto_h, coverage, value)
        eosin = epithelium * cyto_e + self.lumen * self.lumen_eosin
        hematoxylin = epithelium * cyto_h + self.lumen * np.float32(0.004)
        return eosin, hematoxylin

    def _average_nuclei(self) -> tuple[F32, float]:
        """Nuclear coverage and stain of the epithelium when nuclei are smaller than a sample."""
        if self.kind is GlandKind.BENIGN:
            low, high = BENIGN_NUCLEAR_BAND_UM
            band = _coverage(self.depth - np.float32(low), self.footprint) - _coverage(
                self.depth - np.float32(high), self.footprint
            )
            return band * np.float32(BENIGN_NUCLEAR_COVERAGE), BENIGN_NUCLEAR_STAIN
        return np.full(self.depth.shape, TUMOUR_NUCLEAR_COVERAGE, np.float32), TUMOUR_NUCLEAR_STAIN


def has_necrosis(glands: GlandSet, index: int, seed: int) -> bool:
    """Whether a tumour gland's lumen holds necrotic debris ('dirty necrosis')."""
    if glands.kind[index] == GlandKind.BENIGN:
        return False
    return bool(uniform(seed, Purpose.LUMEN, glands.ident[index], 99) < NECROSIS_CHANCE)


def _lumen_content(
    grid: SampleGrid, glands: GlandSet, index: int, rows: slice, cols: slice, seed: int
) -> F32 | np.float32:
    """Eosin in the lumen: clear secretion, or clumps of eosinophilic necrotic debris."""
    look = BENIGN_LOOK if glands.kind[index] == GlandKind.BENIGN else TUMOUR_LOOK
    clear = np.float32(look.lumen_eosin)
    if not has_necrosis(glands, index, seed):
        return clear
    if grid.step_um > DEBRIS_CLUMP_UM:
        return clear + np.float32(0.5 * DEBRIS_EOSIN)
    clumps = blob_noise_grid(grid.xs[cols], grid.ys[rows], DEBRIS_CLUMP_UM, seed, 400)
    debris: F32 = clear + np.float32(DEBRIS_EOSIN) * np.clip(clumps * 1.6 - 0.45, 0.0, 1.0)
    return debris


def _cell_borders(theta: F32, radius: float, look: EpitheliumLook, footprint: float) -> F32:
    """Faint lateral cell membranes: a periodic pattern around the gland, gone when unresolved."""
    width = look.cell_width_um
    if footprint > 0.35 * width:
        return np.ones(theta.shape, np.float32)
    count = max(6, round(2.0 * math.pi * radius / width))
    phase = theta * np.float32(count / (2.0 * math.pi))
    edge = (np.abs(phase - np.floor(phase) - np.float32(0.5)) * np.float32(2.0)) ** 8
    result: F32 = np.float32(1.0) + np.float32(look.border_contrast) * (edge - np.float32(1 / 9))
    return result


def _holes(dx: F32, dy: F32, holes: Holes, glands: GlandSet, index: int, footprint: float) -> F32:
    """Coverage of a set of round lumina (dx, dy: sample offsets from the gland's centre)."""
    result = np.zeros((dy.shape[0], dx.shape[1]), np.float32)
    column, row = dx[0], dy[:, 0]
    for hx, hy, hr in zip(holes.x, holes.y, holes.radius, strict=True):
        ox = np.float32(hx - glands.cx[index])
        oy = np.float32(hy - glands.cy[index])
        reach = np.float32(hr + footprint)
        # Only the hole's own box of samples can be covered by it.
        cols = slice(*np.searchsorted(column, [ox - reach, ox + reach]))
        rows = slice(*np.searchsorted(row, [oy - reach, oy + reach]))
        distance = np.float32(hr) - np.hypot(dx[:, cols] - ox, dy[rows] - oy)
        np.maximum(result[rows, cols], _coverage(distance, footprint), out=result[rows, cols])
    return result
