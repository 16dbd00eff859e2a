"""A picture of an analysis: the probability map over the slide's thumbnail."""

import numpy as np
from matplotlib import colormaps
from PIL import Image

from inference.results import SlideInference

# How opaque the most suspicious pixels are drawn; tissue stays visible below.
_OPACITY = 0.65


def map_on_thumbnail(result: SlideInference) -> tuple[np.ndarray, np.ndarray]:
    """The map's probability and coverage at the thumbnail's pixel centres (nearest pixel)."""
    probability_map, thumbnail = result.probability_map, result.tissue.thumbnail
    ratio = thumbnail.spacing_um / probability_map.pixel_spacing_um
    height, width = thumbnail.image.shape[:2]
    rows = np.floor((np.arange(height) + 0.5) * ratio).astype(np.int64)
    cols = np.floor((np.arange(width) + 0.5) * ratio).astype(np.int64)
    rows = np.clip(rows, 0, probability_map.height - 1)
    cols = np.clip(cols, 0, probability_map.width - 1)
    grid = np.ix_(rows, cols)
    return probability_map.probabilities[grid], probability_map.coverage[grid]


def render_overlay(result: SlideInference) -> Image.Image:
    """The thumbnail with the probabilities blended on in a heat colour map."""
    probabilities, coverage = map_on_thumbnail(result)
    base = result.tissue.thumbnail.image.astype(np.float32)
    colours = colormaps["inferno"](probabilities)[..., :3] * 255
    alpha = (_OPACITY * np.sqrt(probabilities) * (coverage > 0))[..., None]
    blended = base * (1 - alpha) + colours * alpha
    return Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8))


def render_heatmap(result: SlideInference) -> Image.Image:
    """The probabilities alone, as an RGBA picture the size of the thumbnail: transparent where
    nothing was analysed or nothing is suspicious, so the dashboard can lay it over the slide."""
    probabilities, coverage = map_on_thumbnail(result)
    colours = colormaps["inferno"](probabilities)[..., :3] * 255
    alpha = 255 * np.sqrt(probabilities) * (coverage > 0)
    rgba = np.concatenate([colours, alpha[..., None]], axis=-1)
    return Image.fromarray(np.clip(rgba, 0, 255).astype(np.uint8))
