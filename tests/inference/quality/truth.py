"""Comparing what the gate found with where an artefact was painted (thumbnail grid)."""

import numpy as np
from scipy import ndimage

from inference.tissue import TissueMask
from tests.inference.quality.slides import SPACING_UM, THUMBNAIL_UM


def on_thumbnail(painted: np.ndarray, tissue: TissueMask) -> np.ndarray:
    """A thumbnail pixel is painted when most of its finest-level pixels are."""
    factor = round(THUMBNAIL_UM / SPACING_UM)
    rows, cols = tissue.mask.shape
    cut = painted[: rows * factor, : cols * factor]
    share = cut.reshape(rows, factor, cols, factor).mean(axis=(1, 3))
    return np.asarray(share > 0.5, dtype=bool)


def found_share(found: np.ndarray, truth: np.ndarray, tissue: TissueMask) -> float:
    """The share of the painted tissue (away from its edges) that was found."""
    inner = ndimage.binary_erosion(truth) & tissue.mask
    return float((found & inner).sum() / max(1, inner.sum()))


def found_elsewhere(found: np.ndarray, truth: np.ndarray) -> int:
    """Pixels found more than two thumbnail pixels away from the painted area."""
    return int((found & ~ndimage.binary_dilation(truth, iterations=2)).sum())
