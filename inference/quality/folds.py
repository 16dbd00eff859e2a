"""Tissue folds on the thumbnail: tissue lying on itself holds twice the stain.

A fold about doubles the optical density of the tissue it covers. Dense nuclei (lymphoid
aggregates, tumour) are dark too, but with hematoxylin's share of red absorption; the
threshold rises with that share, so only density beyond what nuclei reach counts as a fold.
"""

import numpy as np

from inference.density import Density

# Eosin-rich tissue absorbs about this share of its density in red; hematoxylin about a third.
_EOSIN_RED_SHARE = 0.15
_HEMATOXYLIN_RED_SHARE = 0.32


def fold_mask(
    density: Density, tissue: np.ndarray, ratio: float, nuclear_ratio: float
) -> np.ndarray:
    """Tissue whose density exceeds the slide's median tissue density by `ratio` (eosin-rich)
    up to `nuclear_ratio` (hematoxylin-rich)."""
    total = density.total
    if not tissue.any():
        return np.zeros_like(tissue)
    typical = float(np.median(total[tissue]))
    red_share = density.red / np.maximum(total, 1e-6)
    weight = np.clip(
        (red_share - _EOSIN_RED_SHARE) / (_HEMATOXYLIN_RED_SHARE - _EOSIN_RED_SHARE), 0.0, 1.0
    )
    threshold = typical * (ratio + (nuclear_ratio - ratio) * weight)
    return np.asarray(tissue & (total > threshold), dtype=bool)
