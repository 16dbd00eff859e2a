"""The thumbnail as optical density: how much of each colour the tissue (or ink) absorbs.

Stains and inks multiply the light, so their densities add: a fold (two layers of tissue)
doubles the density, and a colour's hue is the ratio of its densities, whatever its amount.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from inference.tissue import TissueMask

# Colour is judged over about this much of the slide, whatever the thumbnail's spacing.
SMOOTHING_UM = 16.0
# Glass is the brightest of what is not tissue (this percentile), or this when all is tissue.
_GLASS_PERCENTILE = 95
_DEFAULT_GLASS = 245.0


@dataclass(frozen=True)
class Density:
    """Optical density (log10 of glass over pixel) per channel, each (rows, cols) float."""

    red: np.ndarray
    green: np.ndarray
    blue: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return np.asarray(self.red + self.green + self.blue)

    @property
    def least(self) -> np.ndarray:
        return np.asarray(np.minimum(np.minimum(self.red, self.green), self.blue))

    @property
    def most(self) -> np.ndarray:
        return np.asarray(np.maximum(np.maximum(self.red, self.green), self.blue))


def optical_density(tissue: TissueMask) -> Density:
    """The thumbnail's density relative to its own glass, smoothed over SMOOTHING_UM."""
    image = tissue.thumbnail.image.astype(np.float32)
    size = round(SMOOTHING_UM / tissue.spacing_um)
    if size > 1:
        image = ndimage.uniform_filter(image, size=(size, size, 1), mode="nearest")
    glass = _glass(tissue)
    density = np.log10(glass / np.maximum(image, 1.0)).clip(min=0.0)
    return Density(density[..., 0], density[..., 1], density[..., 2])


def _glass(tissue: TissueMask) -> np.ndarray:
    """The colour of bare glass on this slide (R, G, B)."""
    image = tissue.thumbnail.image
    glass = image[~tissue.mask & (image.min(axis=-1) >= tissue.threshold)]
    if len(glass) < 16:
        return np.full(3, _DEFAULT_GLASS, dtype=np.float32)
    return np.asarray(np.percentile(glass, _GLASS_PERCENTILE, axis=0), dtype=np.float32)
