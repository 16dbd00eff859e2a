"""The quality gate: every check on the slide's tissue, as one QualityMap."""

import numpy as np

from inference.ink import ink_mask
from inference.quality.bubbles import bubble_mask, with_tissue_under
from inference.quality.colour import optical_density
from inference.quality.coverslip import coverslip_mask
from inference.quality.focus import blurred_blocks
from inference.quality.folds import fold_mask
from inference.quality.lines import line_view
from inference.quality.outcome import Defect, QualityMap
from inference.quality.parameters import QualityParameters
from inference.source import RegionSource
from inference.tissue import TissueMask, component_labels, grey_levels

# A dark patch at least this red throughout is red ink, not a fold.
_RED_INK_SHARE = 0.6


def assess_quality(
    source: RegionSource, tissue: TissueMask, parameters: QualityParameters
) -> QualityMap:
    """Where the tissue of `source` is unfit for judging, and why (none when disabled)."""
    if not parameters.enabled:
        nothing = np.zeros_like(tissue.mask)
        return QualityMap(tissue, {defect: nothing for defect in Defect})
    density = optical_density(tissue)
    ink, red = ink_mask(density, parameters.ink)
    fold = fold_mask(
        density, tissue.mask, parameters.fold_density_ratio, parameters.fold_nuclear_ratio
    )
    pen = ink | _mostly(red, fold | red)
    grey = grey_levels(tissue.thumbnail.image).astype(np.float32)
    view = line_view(grey, tissue)
    found = {
        # Ink darkens and flattens what it covers: that is ink, not a fold or a focus fault.
        Defect.BLUR: blur_mask(source, tissue, parameters) & ~pen,
        Defect.PEN: pen,
        Defect.FOLD: fold & ~pen,
        Defect.BUBBLE: bubble_mask(
            view,
            (parameters.bubble_min_radius_um, parameters.bubble_max_radius_um),
            parameters.bubble_rim_contrast,
            parameters.bubble_brightening,
        )
        | coverslip_mask(
            view,
            parameters.coverslip_min_length_um,
            parameters.coverslip_rim_contrast,
            parameters.bubble_brightening,
        ),
    }
    # Tissue under air is too pale for the tissue threshold: count it, as under air.
    tissue = with_tissue_under(tissue, found[Defect.BUBBLE], grey)
    return QualityMap(
        tissue, {defect: _cleaned(mask, tissue, parameters) for defect, mask in found.items()}
    )


def blur_mask(
    source: RegionSource, tissue: TissueMask, parameters: QualityParameters
) -> np.ndarray:
    """Out-of-focus tissue on the thumbnail grid."""
    block = max(1, round(parameters.focus_block_um / tissue.spacing_um))
    blocks = blurred_blocks(
        source, tissue, block, parameters.min_sharpness, parameters.focus_spacing_um
    )
    height, width = tissue.mask.shape
    mask = np.repeat(np.repeat(blocks, block, axis=0), block, axis=1)[:height, :width]
    return np.asarray(mask & tissue.mask, dtype=bool)


def _mostly(red: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """The connected parts of `dark` that are mostly `red`: red ink is one solid colour, a fold
    of orange-pink tissue is red only in patches (its nuclei stay purple)."""
    labels = component_labels(dark)
    red_share = np.bincount(labels[red], minlength=int(labels.max()) + 1) / np.maximum(
        np.bincount(labels.ravel()), 1
    )
    solid = red_share >= _RED_INK_SHARE
    solid[0] = False
    return np.asarray(solid[labels] & dark, dtype=bool)


def _cleaned(mask: np.ndarray, tissue: TissueMask, parameters: QualityParameters) -> np.ndarray:
    """The defect on tissue, without patches smaller than the minimum defect area."""
    on_tissue = mask & tissue.mask
    labels = component_labels(on_tissue)
    sizes = np.bincount(labels.ravel())
    keep = sizes * (tissue.spacing_um / 1000) ** 2 >= parameters.min_defect_area_mm2
    keep[0] = False
    return np.asarray(keep[labels], dtype=bool)
