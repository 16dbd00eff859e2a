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
from inference.synthetic.wall import Wall

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]
Mix = tuple["StromaRecipe", F32, float | None]  # recipe, weight per sample, fibre direction

HALF_RESOLUTION_BELOW_UM = 0.45  # stroma is smooth enough to compute on a 2x coarser grid
EDGE_BAND_UM = 40.0  # inside a lesion's outline, desmoplasia fades in over this width ...
EDGE_JITTER_UM = 60.0  # ... starting up to this far inside (never outside: labels stay true)
EDGE_NOISE_UM = 70.0
EDGE_REACH_UM = EDGE_BAND_UM + EDGE_JITTER_UM  # desmoplasia is complete this far inside


MixOnGrid = Callable[[SampleGrid], list[Mix]]


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

SUBMUCOSA = StromaRecipe(
    eosin=0.15,
    hematoxylin=0.012,
    fibre_contrast=1.0,
    fibre_length_um=30.0,
    fibre_width_um=3.0,
    wave_um=220.0,
    wave_amplitude_um=80.0,
    patchiness=0.45,
    salt=300,
)

MUSCULARIS = StromaRecipe(
    eosin=0.27,
    hematoxylin=0.035,
    fibre_contrast=0.4,
    fibre_length_um=45.0,
    fibre_width_um=2.5,
    wave_um=600.0,
    wave_amplitude_um=70.0,
    patchiness=0.25,
    salt=400,
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


def _fibre_axes(recipe: StromaRecipe, seed: int, along: float | None) -> tuple[float, float]:
    """Cosine and sine of the main fibre direction: `along`, or the slide's for this stroma."""
    angle = math.pi * float(uniform(seed, Purpose.NOISE, recipe.salt)) if along is None else along
    return math.cos(angle), math.sin(angle)


def _warp_at(x: F64, y: F64, recipe: StromaRecipe, seed: int) -> F64:
    """The v-warp of the fibres (fractal_grid's field) at arbitrary points, in um."""
    salt = recipe.salt + 3
    total = (noise_at(x, y, recipe.wave_um, seed, salt) - 0.5) + 0.5 * (
        noise_at(x, y, recipe.wave_um / 2, seed, salt + 1) - 0.5
    )
    return total * (2.0 * recipe.wave_amplitude_um)


def fibre_angle(
    x: F64, y: F64, recipe: NDArray[np.int8], seed: int, along: F64 | None = None
) -> F64:
    """Direction (radians) of the fibres at each point (recipe: index into RECIPES).

    `along` gives the wall's direction at each point, which muscle fibres follow.
    """
    result = np.zeros(np.shape(x))
    for index, stroma in enumerate(RECIPES):
        where = recipe == index
        if not where.any():
            continue
        px, py, h = x[where], y[where], 1.0
        if stroma is MUSCULARIS and along is not None:
            main = along[where]
        else:
            main = np.full(px.shape, math.atan2(*_fibre_axes(stroma, seed, None)[::-1]))
        grad_x = (_warp_at(px + h, py, stroma, seed) - _warp_at(px - h, py, stroma, seed)) / 2
        grad_y = (_warp_at(px, py + h, stroma, seed) - _warp_at(px, py - h, stroma, seed)) / 2
        # Fibres run along the level lines of v = y cos - x sin + warp.
        result[where] = np.arctan2(grad_y + np.cos(main), grad_x - np.sin(main)) + math.pi / 2
    return result


def _fibres(
    xs: F64, ys: F64, step: float, recipe: StromaRecipe, seed: int, along: float | None
) -> F32:
    """Fibre texture around 0 (about -0.5 .. 0.5); octaves finer than a sample are left out."""
    cos, sin = _fibre_axes(recipe, seed, along)
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


def _stroma(
    xs: F64, ys: F64, step: float, recipe: StromaRecipe, seed: int, along: float | None
) -> tuple[F32, F32]:
    """Eosin and hematoxylin of one stroma recipe on the grid xs by ys."""
    # Two unrelated lattice sizes hide the square cells of value noise.
    patches = np.float32(0.6) * noise_grid(xs, ys, 110.0, seed, recipe.salt + 20)
    patches += np.float32(0.4) * noise_grid(xs, ys, 43.0, seed, recipe.salt + 21)
    patches -= np.float32(0.5)
    density = np.float32(1.0) + np.float32(recipe.patchiness) * patches
    fibres = _fibres(xs, ys, step, recipe, seed, along)
    eosin = np.float32(recipe.eosin) * density * (1.0 + np.float32(recipe.fibre_contrast) * fibres)
    hematoxylin = np.float32(recipe.hematoxylin) * density
    return np.maximum(eosin, np.float32(0.0)), hematoxylin


def _span(mask: Mask, axis: int) -> slice:
    """The smallest slice along `axis` that holds every True of mask."""
    hits = np.flatnonzero(mask.any(axis=axis))
    return slice(int(hits[0]), int(hits[-1]) + 1)


def desmoplasia_weight(lesion_depth: F64, xs: F64, ys: F64, seed: int) -> F32:
    """How much of the stroma is desmoplastic: 1 inside lesions, with a ragged inner edge."""
    ragged = noise_grid(xs, ys, EDGE_NOISE_UM, seed, 300) * np.float32(EDGE_JITTER_UM)
    t = (lesion_depth.astype(np.float32) - ragged) * np.float32(1.0 / EDGE_BAND_UM)
    weight: F32 = np.clip(t, 0.0, 1.0)
    return weight


def stroma_mix(
    layers: list[tuple[Wall, tuple[F32, F32, F32]]], desmoplasia: F32 | None
) -> list[Mix]:
    """Weight of each recipe: the wall layers' own stroma, replaced by desmoplasia in tumour."""
    mix: list[Mix] = []
    for wall, weights in layers:
        mix += [(LAMINA_PROPRIA, weights[0], None), (SUBMUCOSA, weights[1], None)]
        mix.append((MUSCULARIS, weights[2], wall.along))
    if desmoplasia is None:
        return mix
    rest = np.float32(1.0) - desmoplasia
    return [(recipe, weight * rest, along) for recipe, weight, along in mix] + [
        (DESMOPLASIA, desmoplasia, None)
    ]


def stroma_stains(grid: SampleGrid, mix: list[Mix], seed: int) -> tuple[F32, F32]:
    """Eosin and hematoxylin of the stroma at every sample of the grid."""
    rows, cols = grid.ys.size, grid.xs.size
    eosin = np.zeros((rows, cols), np.float32)
    hematoxylin = np.zeros((rows, cols), np.float32)
    for recipe, weight, along in mix:
        where = weight > 0.0
        if not where.any():
            continue
        r, c = _span(where, 1), _span(where, 0)
        e, h = _stroma(grid.xs[c], grid.ys[r], grid.step_um, recipe, seed, along)
        eosin[r, c] += e * weight[r, c]
        hematoxylin[r, c] += h * weight[r, c]
    return eosin, hematoxylin


def add_stroma(grid: SampleGrid, stains: StainLayers, seed: int, mix: MixOnGrid) -> None:
    """Fill every sample with stroma (at half resolution where that cannot be seen)."""
    if grid.supersample == 1 and grid.step_um < HALF_RESOLUTION_BELOW_UM:

        def evaluate(coarse: SampleGrid) -> tuple[F32, ...]:
            return stroma_stains(coarse, mix(coarse), seed)

        eosin, hematoxylin = at_half_resolution(grid, evaluate)
    else:
        eosin, hematoxylin = stroma_stains(grid, mix(grid), seed)
    stains.eosin[...] = eosin
    stains.hematoxylin[...] = hematoxylin


RECIPES = (LAMINA_PROPRIA, SUBMUCOSA, MUSCULARIS, DESMOPLASIA)  # by wall.Layer, then tumour
TUMOUR_STROMA = 3  # index of DESMOPLASIA in RECIPES
