"""Drawing placed artefacts into a rendered region, and their truth masks.

Work is done on transmittance (light over the glass white, per channel), as a microscope
sees it: ink and doubled tissue multiply it, a bubble lets more light through, defocus
spreads it. Every effect is a function of absolute positions in micrometres only, so a
region renders the same however the slide is cut into tiles.
"""

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from inference.synthetic.artefact_shapes import overlaps
from inference.synthetic.artefacts import Artefact, ArtefactKind
from inference.synthetic.geometry import SampleGrid
from inference.synthetic.layout import SlideLayout
from inference.synthetic.noise import noise_grid
from inference.synthetic.render import render_labels, render_region
from inference.synthetic.staining import glass_white

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]

BLUR_EDGE_UM = 40.0  # focus fades in and out over this distance
EDGE_UM = 3.0  # edges of ink, folds and bubbles
TRUNCATE = 4.0  # Gaussian taps reach this many sigmas
MIN_SIGMA_PX = 0.25  # below this the defocus is invisible at that pixel size
_PEN_GRAIN_SALT = 950


def render_with_artefacts(
    layout: SlideLayout,
    artefacts: tuple[Artefact, ...],
    spacing_um: float,
    x: int,
    y: int,
    width: int,
    height: int,
) -> np.ndarray:
    """As `render_region`, with the artefacts drawn in (RGB uint8, height x width x 3)."""
    box = (x * spacing_um, y * spacing_um, (x + width) * spacing_um, (y + height) * spacing_um)
    near = [a for a in artefacts if overlaps(a.shape, box, _reach(a, spacing_um))]
    if not near:
        return render_region(layout, spacing_um, x, y, width, height)
    blurs = [a for a in near if a.kind is ArtefactKind.BLUR and _sigma_px(a, spacing_um)]
    halo = max((_radius(a, spacing_um) for a in blurs), default=0)
    grid = SampleGrid(spacing_um, x - halo, y - halo, width + 2 * halo, height + 2 * halo)
    white = np.asarray(glass_white(layout.stain), np.float32)[:, None, None]
    pixels = render_region(layout, spacing_um, grid.x, grid.y, grid.width, grid.height)
    light = np.moveaxis(pixels, -1, 0).astype(np.float32) / white
    for artefact in near:
        if artefact.kind is not ArtefactKind.BLUR:
            _DRAW[artefact.kind](artefact, light, grid, layout)
    inner = light[:, halo : halo + height, halo : halo + width].copy()
    for artefact in blurs:
        _defocus(artefact, light, inner, grid, halo)
    rgb = np.clip(np.rint(inner * white), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.moveaxis(rgb, 0, -1))


def artefact_masks(
    layout: SlideLayout,
    artefacts: tuple[Artefact, ...],
    spacing_um: float,
    width: int,
    height: int,
) -> dict[ArtefactKind, np.ndarray]:
    """Where each kind of artefact lies (bool, at pixel centres), for every kind drawn.

    Folds exist only in tissue; ink, bubbles and defocus are marked on glass too.
    """
    grid = SampleGrid(spacing_um, 0, 0, width, height)
    masks: dict[ArtefactKind, np.ndarray] = {}
    tissue = None
    for artefact in artefacts:
        inside = artefact.shape.depth_grid(grid.xs, grid.ys, 0.0) > 0.0
        if artefact.kind is ArtefactKind.FOLD:
            if tissue is None:
                tissue = render_labels(layout, spacing_um, 0, 0, width, height) > 0
            inside &= tissue
        masks[artefact.kind] = masks.get(artefact.kind, np.zeros_like(inside)) | inside
    return masks


def _reach(artefact: Artefact, spacing_um: float) -> float:
    """How far beyond its outline an artefact changes pixels (um)."""
    if artefact.kind is ArtefactKind.BLUR:
        return BLUR_EDGE_UM
    if artefact.kind is ArtefactKind.BUBBLE:
        return 3.0 * _rim_um(artefact, spacing_um) + spacing_um
    return EDGE_UM + spacing_um


def _edge(depth: F64, edge_um: float, spacing_um: float) -> F32:
    """0 outside, 1 inside, a linear ramp over the edge (never narrower than a pixel)."""
    ramp = max(edge_um, spacing_um)
    return np.clip(depth / ramp + 0.5, 0.0, 1.0).astype(np.float32)


def _window(depth: F64) -> tuple[slice, slice] | None:
    """The bounding rows and columns of the grid points an artefact touches."""
    rows = np.flatnonzero((depth > -1e8).any(axis=1))
    cols = np.flatnonzero((depth > -1e8).any(axis=0))
    if rows.size == 0:
        return None
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def _pen(artefact: Artefact, light: F32, grid: SampleGrid, layout: SlideLayout) -> None:
    """Marker ink: semi-transparent, a little uneven, over tissue and glass alike."""
    s = grid.spacing_um
    depth = artefact.shape.depth_grid(grid.xs, grid.ys, EDGE_UM + s)
    window = _window(depth)
    if window is None:
        return
    rows, cols = window
    cover = _edge(depth[rows, cols], EDGE_UM, s)
    grain = noise_grid(grid.xs[cols], grid.ys[rows], 60.0, layout.seed, _PEN_GRAIN_SALT)
    density = cover * (0.45 + 0.55 * artefact.strength) * (0.75 + 0.5 * grain)
    ink = np.asarray(artefact.ink, np.float32)[:, None, None]
    light[:, rows, cols] *= np.power(np.float32(10.0), -ink * density)


def _fold(artefact: Artefact, light: F32, grid: SampleGrid, layout: SlideLayout) -> None:
    """Tissue lying on itself: twice the stain in the light path, so darker and more saturated."""
    s = grid.spacing_um
    depth = artefact.shape.depth_grid(grid.xs, grid.ys, EDGE_UM + s)
    window = _window(depth)
    if window is None:
        return
    rows, cols = window
    xs, ys = grid.xs[cols], grid.ys[rows]
    tissue = _edge(layout.tissue_grid(xs, ys, 4.0 * s + 20.0), 0.0, s)
    extra = _edge(depth[rows, cols], EDGE_UM, s) * tissue * (0.6 + 1.0 * artefact.strength)
    region = np.clip(light[:, rows, cols], 1e-3, None)
    light[:, rows, cols] = np.power(region, 1.0 + extra)


def _bubble(artefact: Artefact, light: F32, grid: SampleGrid, layout: SlideLayout) -> None:
    """Air under the coverslip: a thin dark rim, and a washed-out, brighter inside."""
    s = grid.spacing_um
    rim = _rim_um(artefact, s)
    depth = artefact.shape.depth_grid(grid.xs, grid.ys, 3.0 * rim + s)
    window = _window(depth)
    if window is None:
        return
    rows, cols = window
    d = depth[rows, cols]
    inside = _edge(d, EDGE_UM, s)
    wash = inside * (0.3 + 0.5 * artefact.strength)
    region = light[:, rows, cols]
    region += (1.0 - region) * wash
    # The rim keeps its darkness per micrometre when pixels are coarser than it.
    line = np.exp(-(((d - rim) / rim) ** 2)).astype(np.float32)
    darkness = (0.35 + 0.4 * artefact.strength) * min(1.0, (3.0 + 5.0 * artefact.strength) / rim)
    region *= 1.0 - darkness * line
    light[:, rows, cols] = region


def _rim_um(artefact: Artefact, spacing_um: float) -> float:
    return max(3.0 + 5.0 * artefact.strength, spacing_um)


def _sigma_px(artefact: Artefact, spacing_um: float) -> float:
    sigma = artefact.blur_sigma_um / spacing_um
    return sigma if sigma >= MIN_SIGMA_PX else 0.0


def _radius(artefact: Artefact, spacing_um: float) -> int:
    return int(TRUNCATE * _sigma_px(artefact, spacing_um) + 0.5)


def _defocus(artefact: Artefact, light: F32, inner: F32, grid: SampleGrid, halo: int) -> None:
    """Blend the Gaussian-blurred light into `inner` (the region without its halo)."""
    s = grid.spacing_um
    xs, ys = grid.xs[halo : grid.width - halo], grid.ys[halo : grid.height - halo]
    depth = artefact.shape.depth_grid(xs, ys, BLUR_EDGE_UM)
    weight = _edge(depth, BLUR_EDGE_UM, s)
    rows = np.flatnonzero(weight.any(axis=1))
    cols = np.flatnonzero(weight.any(axis=0))
    if rows.size == 0:
        return
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    radius = _radius(artefact, s)
    # Inner (r, c) is light (r + halo, c + halo); take `radius` more on each side.
    source = light[
        :, r0 + halo - radius : r1 + halo + radius, c0 + halo - radius : c1 + halo + radius
    ]
    sigma = _sigma_px(artefact, s)
    blurred = ndimage.gaussian_filter1d(source, sigma, axis=1, truncate=TRUNCATE, mode="nearest")
    blurred = ndimage.gaussian_filter1d(blurred, sigma, axis=2, truncate=TRUNCATE, mode="nearest")
    blurred = blurred[:, radius : radius + r1 - r0, radius : radius + c1 - c0]
    w = weight[r0:r1, c0:c1]
    target = inner[:, r0:r1, c0:c1]
    target += (blurred - target) * w


_DRAW = {ArtefactKind.PEN: _pen, ArtefactKind.FOLD: _fold, ArtefactKind.BUBBLE: _bubble}
