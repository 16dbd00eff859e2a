"""The thumbnail as optical density (inference.density) against this slide's own glass."""

import cv2
import numpy as np

from inference.density import Density, density_of
from inference.tissue import TissueMask

# Colour is judged over about this much of the slide, whatever the thumbnail's spacing.
SMOOTHING_UM = 16.0
# Glass is the brightest of what is not tissue (this percentile), or this when all is tissue.
_GLASS_PERCENTILE = 95
_DEFAULT_GLASS = 245.0


def optical_density(tissue: TissueMask) -> Density:
    """The thumbnail's density relative to its own glass, smoothed over SMOOTHING_UM."""
    image = tissue.thumbnail.image.astype(np.float32)
    size = round(SMOOTHING_UM / tissue.spacing_um)
    if size > 1:
        # A box mean per colour, the border repeated (scipy's uniform_filter, "nearest").
        image = np.asarray(cv2.blur(image, (size, size), borderType=cv2.BORDER_REPLICATE))
    return density_of(image, _glass(tissue))


def _glass(tissue: TissueMask) -> np.ndarray:
    """The colour of bare glass on this slide (R, G, B)."""
    image = tissue.thumbnail.image
    glass = image[~tissue.mask & (image.min(axis=-1) >= tissue.threshold)]
    if len(glass) < 16:
        return np.full(3, _DEFAULT_GLASS, dtype=np.float32)
    return np.asarray(np.percentile(glass, _GLASS_PERCENTILE, axis=0), dtype=np.float32)
