"""Pen and marker ink: colours that no H&E stain makes.

Hematoxylin (blue-purple) and eosin (pink) both absorb green at least as much as red; green
and blue ink absorb red more than green. Both stains pass blue better than red unless
hematoxylin is dense; blue ink passes blue far better, red ink far worse. Black ink absorbs
every colour alike, where stains pass blue. Each rule compares densities, so it holds for
pale and dark ink alike. Tissue detection leaves these colours out of its threshold, and
the quality gate marks them as pen.
"""

from dataclasses import dataclass

import numpy as np

from inference.density import Density, density_of

# Below this density (log10) nothing is seen, ink or not.
_MIN_INK_DENSITY = 0.1
# Black ink absorbs blue about as much as its most absorbed colour; H&E at most about 2/3.
_BLACK_BLUE_SHARE = 0.75
# Before tissue is known, glass is the brightest of the slide (this percentile per colour).
_GLASS_PERCENTILE = 99


@dataclass(frozen=True)
class InkColours:
    """How far from H&E a colour must be to be ink (settings `[quality]` pen_*)."""

    green_red: float = 0.05
    blue_red: float = 0.2
    black_density: float = 0.3


def ink_mask(density: Density, colours: InkColours) -> tuple[np.ndarray, np.ndarray]:
    """Where the thumbnail shows blue, green or black ink, and where red ink (on glass or
    tissue). Red ink has the hue of dense orange eosin: the caller tells it from a fold."""
    green, blue, black = inks(density, colours)
    red = (density.blue - density.red > colours.blue_red) & (density.most > 3 * _MIN_INK_DENSITY)
    seen = density.most > _MIN_INK_DENSITY
    return green | blue | black, np.asarray(red & seen, dtype=bool)


def inks(density: Density, colours: InkColours) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the thumbnail shows green, blue and black ink (each bool, they may overlap)."""
    red_minus_green = density.red - density.green
    blue_minus_red = density.blue - density.red
    seen = density.most > _MIN_INK_DENSITY
    green = red_minus_green > colours.green_red
    blue = (blue_minus_red < -colours.blue_red) & (red_minus_green > -colours.green_red / 2)
    black = (density.least > colours.black_density) & (
        density.blue > _BLACK_BLUE_SHARE * density.most
    )
    return (
        np.asarray(green & seen, dtype=bool),
        np.asarray(blue & seen, dtype=bool),
        np.asarray(black & seen, dtype=bool),
    )


def inks_before_tissue(
    image: np.ndarray, colours: InkColours
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Green, blue and black ink on an RGB image whose tissue is not known yet (glass is its
    brightest part). Red ink is left out: alone it cannot be told from dense eosin."""
    glass = np.percentile(image.reshape(-1, 3), _GLASS_PERCENTILE, axis=0)
    return inks(density_of(image, glass), colours)
