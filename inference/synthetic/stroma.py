"""Connective tissue: wavy eosinophilic collagen fibres; paler, disordered desmoplasia in tumour."""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.geometry import SampleGrid
from inference.synthetic.noise import fractal_grid, noise_at, noise_grid, noise_points
from inference.synthetic.resample import at_half_resolution
from inference.synthetic.staining import StainLayers
from inference.synthetic.streams import Purpose, uniform

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]
LesionMask = Callable[[SampleGrid], Mask | None]  # the tumour samples of a grid

HALF_RESOLUTION_BELOW_UM = 0.45  # stroma is smooth enough to compute on a 2x coarser grid


@dataclass(frozen=True)
class StromaRecipe:
    """Look of one kind of stroma."""

    eosin: float
    hematoxylin: float
    fibre_contrast: float
    fibre_length_um: float
    fibre_width_um: float
    wave_um: float  # wavelength of the fibres' bending
    wave_amplitude_um: float
    patchiness: float
    salt: int


LAMINA_PROPRIA = StromaRecipe(
    eosin=0.2,
    hematoxylin=0.025,
    fibre_contrast=0.6,
    fibre_length_um=18.0,
    fibre_width_um=1.6,
    wave_um=300.0,
    wave_amplitude_um=90.0,
    patchiness=0.35,
    salt=100,
)

DESMOPLASIA = StromaRecipe(
    eosin=0.16,
    hematoxylin=0.07,
    fibre_contrast=0.9,
    fibre_length_um=9.0,
    fibre_width_um=1.4,
    wave_um=120.0,
    wave_amplitude_um=25.0,
    patchiness=0.6,
    salt=200,
)


def _fibre_axes(recipe: StromaRecipe, seed: int) -> tuple[float, float]:
    """Cosine and sine of the slide's main fibre direction for this stroma."""
    angle = math.pi * float(uniform(seed, Purpose.NOISE, recipe.salt))
    return math.cos(angle), math.sin(angle)


def _warp_at(x: F64, y: F64, recipe: StromaRecipe, seed: int) -> F64:
    """The v-warp of the fibres (fractal_grid's field) at arbitrary points, in um."""
    salt = recipe.salt + 3
    total = (noise_at(x, y, recipe.wave_um, seed, salt) - 0.5) + 0.5 * (
        noise_at(x, y, recipe.wave_um / 2, seed, salt + 1) - 0.5
    )
    return total * (2.0 * recipe.wave_amplitude_um)


def fibre_angle(x: F64, y: F64, desmoplastic: Mask, seed: int) -> F64:
    """Direction (radians) of the collagen fibres at each point, for orienting fibroblasts."""
    result = np.zeros(np.shape(x))
    for recipe, where in ((LAMINA_PROPRIA, ~desmoplastic), (DESMOPLASIA, desmoplastic)):
        if not where.any():
            continue
        px, py = x[where], y[where]
        cos, sin = _fibre_axes(recipe, seed)
        h = 1.0
        grad_x = (_warp_at(px + h, py, recipe, seed) - _warp_at(px - h, py, recipe, seed)) / (2 * h)
        grad_y = (_warp_at(px, py + h, recipe, seed) - _warp_at(px, py - h, recipe, seed)) / (2 * h)
        # Fibres run along the level lines of v = y cos - x sin + warp.
        result[where] = np.arctan2(grad_y + cos, grad_x - sin) + math.pi / 2
    return result


def _fibres(xs: F64, ys: F64, step: float, recipe: StromaRecipe, seed: int) -> F32:
    """Fibre texture around 0 (about -0.5 .. 0.5); octaves finer than a sample are left out."""
    cos, sin = _fibre_axes(recipe, seed)
    amplitude = np.float32(2.0 * recipe.wave_amplitude_um)
    warp_u = fractal_grid(xs, ys, recipe.wave_um, 2, seed, recipe.salt + 1) * amplitude
    warp_v = fractal_grid(xs, ys, recipe.wave_um, 2, seed, recipe.salt + 3) * amplitude
    # float32 keeps ~0.002 um at 20 mm: far below the finest fibre.
    warp_u += (xs * cos).astype(np.float32)[None, :]
    warp_u += (ys * sin).astype(np.float32)[:, None]
    warp_v += (ys * cos).astype(np.float32)[:, None]
    warp_v -= (xs * sin).astype(np.float32)[None, :]
    u, v = warp_u, warp_v
    texture = np.zeros(u.shape, np.float32)
    weight, length, width = 0.65, recipe.fibre_length_um, recipe.fibre_width_um
    for octave in range(2):
        if width > step:
            grain = noise_points(u, v, length, width, seed, recipe.salt + 10 + octave)
            texture += np.float32(weight) * (grain - np.float32(0.5))
        weight, length, width = weight * 0.6, length * 0.5, width * 0.5
    return texture


def _stroma(xs: F64, ys: F64, step: float, recipe: StromaRecipe, seed: int) -> tuple[F32, F32]:
    """Eosin and hematoxylin of one stroma recipe on the grid xs by ys."""
    patches = noise_grid(xs, ys, 90.0, seed, recipe.salt + 20) - np.float32(0.5)
    density = np.float32(1.0) + np.float32(recipe.patchiness) * patches
    fibres = _fibres(xs, ys, step, recipe, seed)
    eosin = np.float32(recipe.eosin) * density * (1.0 + np.float32(recipe.fibre_contrast) * fibres)
    hematoxylin = np.float32(recipe.hematoxylin) * density
    return np.maximum(eosin, np.float32(0.0)), hematoxylin


def _span(mask: Mask, axis: int) -> slice:
    """The smallest slice along `axis` that holds every True of mask."""
    hits = np.flatnonzero(mask.any(axis=axis))
    return slice(int(hits[0]), int(hits[-1]) + 1)


def stroma_stains(grid: SampleGrid, desmoplastic: Mask | None, seed: int) -> tuple[F32, F32]:
    """Eosin and hematoxylin of the stroma at every sample; `desmoplastic` marks tumour stroma."""
    rows, cols = grid.ys.size, grid.xs.size
    eosin = np.zeros((rows, cols), np.float32)
    hematoxylin = np.zeros((rows, cols), np.float32)
    if desmoplastic is None:
        desmoplastic = np.zeros((rows, cols), bool)
    for recipe, where in ((LAMINA_PROPRIA, ~desmoplastic), (DESMOPLASIA, desmoplastic)):
        if not where.any():
            continue
        r, c = _span(where, 1), _span(where, 0)
        e, h = _stroma(grid.xs[c], grid.ys[r], grid.step_um, recipe, seed)
        eosin[r, c] = np.where(where[r, c], e, eosin[r, c])
        hematoxylin[r, c] = np.where(where[r, c], h, hematoxylin[r, c])
    return eosin, hematoxylin


def add_stroma(
    grid: SampleGrid,
    stains: StainLayers,
    seed: int,
    lesion_mask: LesionMask,
) -> None:
    """Fill every sample with stroma (at half resolution where that cannot be seen)."""
    if grid.supersample == 1 and grid.step_um < HALF_RESOLUTION_BELOW_UM:

        def evaluate(coarse: SampleGrid) -> tuple[F32, ...]:
            return stroma_stains(coarse, lesion_mask(coarse), seed)

        eosin, hematoxylin = at_half_resolution(grid, evaluate)
    else:
        eosin, hematoxylin = stroma_stains(grid, lesion_mask(grid), seed)
    stains.eosin[...] = eosin
    stains.hematoxylin[...] = hematoxylin
