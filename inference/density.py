"""Optical density: how much of each colour a pixel absorbs, relative to bare glass.

Stains and inks multiply the light, so their densities add: a fold (two layers of tissue)
doubles the density, and a colour's hue is the ratio of its densities, whatever its amount.
"""

from dataclasses import dataclass

import numpy as np


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


def density_of(image: np.ndarray, glass: np.ndarray) -> Density:
    """The density of an RGB image (rows, cols, 3) against the glass colour (R, G, B)."""
    light = np.maximum(image.astype(np.float32), 1.0)
    density = np.log10(np.asarray(glass, dtype=np.float32) / light).clip(min=0.0)
    return Density(density[..., 0], density[..., 1], density[..., 2])
