"""Stamped layers (vessels, goblet mucin, tumour cytoplasm, nuclei) composited over the tissue.

At scanning resolutions every cell is stamped; once a sample is wider than a nucleus the
cells are replaced by their expected contribution, so coarse levels look like averaged
fine ones instead of aliasing noise.
"""

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.blobs import Blobs, StampTarget, stamp
from inference.synthetic.cells import (
    AGGREGATE_DENSITY,
    AGGREGATE_EDGE_UM,
    STROMA_CELLS,
    free_cells,
    lymphoid_weight,
    stroma_population,
    tumour_cell_populations,
)
from inference.synthetic.geometry import SampleGrid
from inference.synthetic.gland_cells import gland_cells
from inference.synthetic.layout import SlideLayout
from inference.synthetic.staining import StainLayers, mixed_hematoxylin
from inference.synthetic.stroma import TUMOUR_STROMA
from inference.synthetic.vessels import vessels

F32 = NDArray[np.float32]
Window = tuple[slice, slice]

STAMP_MAX_STEP_UM = 2.0
NEAR_UM = 14.0  # farthest a gland's cells reach outside its outline
TUMOUR_CYTOPLASM = (0.2, 0.13)  # eosin, hematoxylin


def stamps_drawn(grid: SampleGrid) -> bool:
    """Whether cells are drawn one by one at this sampling (else as averages)."""
    return grid.step_um <= STAMP_MAX_STEP_UM


def _target(grid: SampleGrid, blobs: Blobs, seed: int, salt: int) -> StampTarget:
    """A fresh pair of maps with the blobs stamped in."""
    shape = (grid.ys.size, grid.xs.size)
    target = StampTarget(grid, np.zeros(shape, np.float32), np.zeros(shape, np.float32))
    stamp(blobs, target, seed, salt)
    return target


def _over(stains: StainLayers, window: Window, alpha: F32, eosin: F32, hematoxylin: F32) -> None:
    """Paint stain amounts (already multiplied by alpha) with opacity alpha over a window."""
    keep = np.float32(1.0) - alpha
    stains.eosin[window] *= keep
    stains.eosin[window] += eosin
    stains.hematoxylin[window] *= keep
    stains.hematoxylin[window] += hematoxylin


def _cytoplasm(alpha: F32) -> tuple[F32, F32]:
    """Eosin and hematoxylin of tumour cell cytoplasm (amphophilic) at opacity alpha."""
    eosin, hematoxylin = TUMOUR_CYTOPLASM
    return alpha * np.float32(eosin), alpha * np.float32(hematoxylin)


def add_cell_layers(
    grid: SampleGrid, layout: SlideLayout, stains: StainLayers, gland_cover: F32
) -> None:
    """Cells one by one where they can be resolved, else as averages."""
    if stamps_drawn(grid):
        _add_stamped(grid, layout, stains)
    else:
        _add_averaged(grid, layout, stains, gland_cover)


def _add_averaged(
    grid: SampleGrid, layout: SlideLayout, stains: StainLayers, gland_cover: F32
) -> None:
    """Free cells of the stroma as their expected contribution to each sample."""
    xs, ys = grid.xs, grid.ys
    margin = 4.0 * grid.step_um + AGGREGATE_EDGE_UM
    shape = (ys.size, xs.size)
    tumour = layout.lesion_grid(xs, ys, margin) > 0.0 if layout.lesions else np.zeros(shape, bool)
    area, stain = np.zeros(shape), np.zeros(shape)
    weights = (*layout.layer_grid(xs, ys), np.ones(shape, np.float32))
    for context, weight in enumerate(weights):
        here = np.where(tumour, context == TUMOUR_STROMA, weight if context != TUMOUR_STROMA else 0)
        own = stroma_population(context, False)
        density = STROMA_CELLS[context].density * here
        area += density * own.area_um2
        stain += density * own.stain_area_um2
    if layout.aggregates:
        lymphoid = lymphoid_weight(layout.aggregate_grid(xs, ys, margin)) * AGGREGATE_DENSITY
        lymphocyte = stroma_population(0, True)
        area += lymphoid * lymphocyte.area_um2
        stain += lymphoid * lymphocyte.stain_area_um2
    stroma = np.float32(1.0) - gland_cover
    if layout.lesions:
        invading, nuclei, bodies = tumour_cell_populations()
        invaded = np.where(tumour, invading, 0.0)
        body_cover = (-np.expm1(-invaded * bodies.area_um2)).astype(np.float32) * stroma
        everywhere = (slice(None), slice(None))
        _over(stains, everywhere, body_cover, *_cytoplasm(body_cover))
        area += invaded * nuclei.area_um2
        stain += invaded * nuclei.stain_area_um2
    cover = (-np.expm1(-area)).astype(np.float32) * stroma
    value = (stain / np.maximum(area, 1e-9)).astype(np.float32)
    stains.eosin *= np.float32(1.0) - np.float32(0.8) * cover
    stains.eosin += np.float32(0.06) * cover
    stains.hematoxylin[...] = mixed_hematoxylin(stains.hematoxylin, cover, value)


def _add_stamped(grid: SampleGrid, layout: SlideLayout, stains: StainLayers) -> None:
    """Stamp every cell near the grid, bottom layer first.

    Each layer is composited only where its stamps reached: elsewhere compositing with zero
    coverage would leave the values exactly as they are.
    """
    left, top, right, bottom = grid.bounds_um
    near = layout.glands.near(left - NEAR_UM, top - NEAR_UM, right + NEAR_UM, bottom + NEAR_UM)
    epithelial = gland_cells(layout.glands, near, layout.seed)
    free = free_cells(layout, grid.bounds_um)
    vascular = vessels(layout, grid.bounds_um)
    seed = layout.seed

    clear = _target(grid, Blobs.concatenate([vascular.lumina, epithelial.mucin]), seed, 30)
    if (window := clear.window()) is not None:
        alpha, mucin = clear.coverage[window], clear.stain[window]
        # stain is 0 in vessel lumina and 1 in mucin: mucin keeps a grey-blue tinge.
        eosin = np.float32(0.015) * alpha + np.float32(0.02) * mucin
        _over(stains, window, alpha, eosin, np.float32(0.06) * mucin)
    blood = _target(grid, vascular.red_cells, seed, 31)
    if (window := blood.window()) is not None:
        stains.eosin[window] *= np.float32(1.0) - np.float32(0.7) * blood.coverage[window]
        stains.blood[window] += blood.stain[window]
    body = _target(grid, free.bodies, seed, 32)
    if (window := body.window()) is not None:
        alpha = body.coverage[window]
        _over(stains, window, alpha, *_cytoplasm(alpha))
    nuclei = Blobs.concatenate([epithelial.nuclei, free.nuclei, vascular.nuclei])
    nucleus = _target(grid, nuclei, seed, 33)
    if (window := nucleus.window()) is not None:
        cover = nucleus.coverage[window]
        eosin, hematoxylin = stains.eosin[window], stains.hematoxylin[window]
        eosin *= np.float32(1.0) - np.float32(0.8) * cover
        eosin += np.float32(0.06) * cover
        hematoxylin *= np.float32(1.0) - cover
        hematoxylin += nucleus.stain[window]
