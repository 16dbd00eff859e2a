"""Layers of the gut wall across a tissue fragment: mucosa, submucosa, muscularis propria.

Each fragment is a strip of wall: the mucosa lies along one side, the muscle along the other.
Layer boundaries run straight across the fragment, made wavy by smooth noise.
"""

import enum
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.geometry import StarShape
from inference.synthetic.noise import noise_at, noise_grid

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]

WAVE_UM = 450.0  # wavelength of the layer boundaries' waviness ...
WAVE_AMPLITUDE_UM = 90.0  # ... and how far they stray
BLEND_UM = 20.0  # stroma changes from one layer to the next over this width
MUSCULARIS_MUCOSAE_UM = 45.0  # the thin muscle layer under the mucosa
ALL_MUCOSA_BELOW_UM = 1800.0  # fragments thinner than this (biopsies) are mucosa only


class Layer(enum.IntEnum):
    """Layers of the wall, from the lumen outwards."""

    MUCOSA = 0
    SUBMUCOSA = 1
    MUSCULARIS = 2


@dataclass(frozen=True)
class Wall:
    """Orientation and layer thicknesses of the wall in one fragment."""

    nx: float  # unit vector from the mucosal surface into the wall
    ny: float
    surface: float  # projection of the mucosal surface on (nx, ny)
    mucosa_um: float
    submucosa_um: float

    @property
    def along(self) -> float:
        """Direction (radians) in which the layers run: muscle fibres follow it."""
        return math.atan2(self.nx, -self.ny)

    def depth(self, x: F64, y: F64) -> F64:
        """Distance (um) from the mucosal side, measured across the fragment."""
        result: F64 = x * self.nx + y * self.ny - self.surface
        return result


def make_wall(rng: np.random.Generator, fragment: StarShape) -> Wall:
    """A random orientation; about half mucosa, a fifth submucosa, the rest muscle."""
    angle = rng.uniform(0.0, 2.0 * math.pi)
    nx, ny = math.cos(angle), math.sin(angle)
    across = fragment.vertices @ np.array([nx, ny])
    surface, extent = float(across.min()), float(np.ptp(across))
    if extent < ALL_MUCOSA_BELOW_UM:
        return Wall(nx, ny, surface, extent + 2 * WAVE_AMPLITUDE_UM, 0.0)
    mucosa = extent * rng.uniform(0.45, 0.6)
    return Wall(nx, ny, surface, mucosa, extent * rng.uniform(0.15, 0.22))


def _boundaries(wall: Wall, wave_first: F64, wave_second: F64) -> tuple[F64, F64, F64]:
    """Depths where the mucosa, its thin muscle layer and the submucosa end, given the waviness."""
    mucosa = wall.mucosa_um + WAVE_AMPLITUDE_UM * 2.0 * (wave_first - 0.5)
    muscularis_mucosae = mucosa + MUSCULARIS_MUCOSAE_UM
    submucosa = muscularis_mucosae + wall.submucosa_um + WAVE_AMPLITUDE_UM * (wave_second - 0.5)
    return mucosa, muscularis_mucosae, submucosa


def layer_at(wall: Wall, x: F64, y: F64, seed: int) -> NDArray[np.int8]:
    """The layer (Layer value) at each point; the muscularis mucosae counts as muscle."""
    mucosa, thin_muscle, submucosa = _boundaries(
        wall, noise_at(x, y, WAVE_UM, seed, 600), noise_at(x, y, WAVE_UM, seed, 601)
    )
    depth = wall.depth(x, y)
    layer = np.full(depth.shape, Layer.MUSCULARIS, np.int8)
    layer[depth < submucosa] = Layer.SUBMUCOSA
    layer[depth < thin_muscle] = Layer.MUSCULARIS
    layer[depth < mucosa] = Layer.MUCOSA
    return layer


def layer_weights(wall: Wall, xs: F64, ys: F64, seed: int) -> tuple[F32, F32, F32]:
    """How much of each layer's stroma each sample of the grid xs by ys shows (sums to 1)."""
    mucosa, thin_muscle, submucosa = _boundaries(
        wall,
        noise_grid(xs, ys, WAVE_UM, seed, 600).astype(np.float64),
        noise_grid(xs, ys, WAVE_UM, seed, 601).astype(np.float64),
    )
    depth = wall.depth(xs[None, :], ys[:, None])

    def beyond(boundary: F64) -> F32:
        return np.clip((depth - boundary) / BLEND_UM + 0.5, 0.0, 1.0).astype(np.float32)

    past_mucosa, past_thin, past_submucosa = beyond(mucosa), beyond(thin_muscle), beyond(submucosa)
    submucosal = np.clip(past_thin - past_submucosa, 0.0, 1.0)
    muscle = np.float32(1.0) - (np.float32(1.0) - past_mucosa) - submucosal
    return np.float32(1.0) - past_mucosa, submucosal, np.clip(muscle, 0.0, 1.0)
