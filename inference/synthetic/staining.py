"""From stain amounts to RGB: Beer-Lambert absorption of hematoxylin, eosin and haemoglobin."""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.layout import StainStyle

F32 = NDArray[np.float32]

# Optical density (log10) per unit amount, for the R, G and B channels.
HEMATOXYLIN = (0.65, 0.70, 0.29)
EOSIN_MAGENTA = (0.06, 0.90, 0.36)
EOSIN_ORANGE = (0.09, 0.80, 0.64)
HAEMOGLOBIN = (0.10, 0.78, 0.66)
BAND_ROWS = 64


@dataclass
class StainLayers:
    """Amount of each stain at every sample point (arbitrary units, about 0 to 1.5)."""

    hematoxylin: F32
    eosin: F32
    blood: F32

    @staticmethod
    def empty(rows: int, cols: int) -> "StainLayers":
        """No stain anywhere."""
        return StainLayers(
            hematoxylin=np.zeros((rows, cols), np.float32),
            eosin=np.zeros((rows, cols), np.float32),
            blood=np.zeros((rows, cols), np.float32),
        )


def mixed_hematoxylin(background: F32, coverage: F32, nucleus: F32 | float) -> F32:
    """Hematoxylin that transmits as much light as nuclei covering `coverage` of a sample.

    Averaging absorbance would make sparse dark nuclei look too dark when they are smaller
    than a sample; averaging transmitted light (green channel) is what a scanner sees.
    """
    k = np.float32(HEMATOXYLIN[1] * math.log(10.0))
    light = (np.float32(1.0) - coverage) * np.exp(-k * background) + coverage * np.exp(
        -k * np.float32(nucleus)
    )
    result: F32 = -np.log(light) / k
    return result


def glass_white(style: StainStyle) -> tuple[float, float, float]:
    """Transmitted light through bare glass (R, G, B), slightly different per slide."""
    level = 240.0 + 9.0 * style.glass
    return (level - 1.0, level, level + 1.5)


def eosin_vector(style: StainStyle) -> tuple[float, float, float]:
    """The slide's eosin hue: between a magenta-pink (tint +1) and an orange-pink (tint -1)."""
    orange = 0.5 - 0.3 * style.eosin_tint  # share of the orange vector, 0.2 .. 0.8
    red, green, blue = (
        m + (o - m) * orange for m, o in zip(EOSIN_MAGENTA, EOSIN_ORANGE, strict=True)
    )
    return red, green, blue


def to_rgb(stains: StainLayers, tissue: F32, glass_od: F32, style: StainStyle) -> F32:
    """Transmitted light, planar (3, H, W) float32 in 0..255: stains absorb where tissue is."""
    out = np.empty((3, *tissue.shape), np.float32)
    has_blood = bool(stains.blood.any())
    # Bands of rows keep every temporary in cache.
    for top in range(0, tissue.shape[0], BAND_ROWS):
        rows = slice(top, top + BAND_ROWS)
        band = StainLayers(stains.hematoxylin[rows], stains.eosin[rows], stains.blood[rows])
        _absorb(band, tissue[rows], glass_od[rows], style, has_blood, out[:, rows])
    return out


def _absorb(
    stains: StainLayers, tissue: F32, glass_od: F32, style: StainStyle, blood: bool, out: F32
) -> None:
    """Beer-Lambert for one band of rows, written into out (3, rows, W)."""
    white = glass_white(style)
    eosin = eosin_vector(style)
    scale = np.float32(-math.log(10.0))
    h = stains.hematoxylin * (tissue * np.float32(style.hematoxylin))
    e = stains.eosin * (tissue * np.float32(style.eosin))
    b = stains.blood * tissue if blood else None
    base = glass_od * scale
    term = np.empty_like(tissue)
    for channel in range(3):
        od = out[channel]
        np.multiply(h, np.float32(HEMATOXYLIN[channel] * scale), out=od)
        od += np.multiply(e, np.float32(eosin[channel] * scale), out=term)
        if b is not None:
            od += np.multiply(b, np.float32(HAEMOGLOBIN[channel] * scale), out=term)
        od += base
        np.exp(od, out=od)
        od *= np.float32(white[channel])
