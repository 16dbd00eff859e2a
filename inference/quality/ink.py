"""Pen and marker ink on the thumbnail: colours that no H&E stain makes.

Hematoxylin (blue-purple) and eosin (pink) both absorb green at least as much as red; green
and blue ink absorb red more than green. Both stains pass blue better than red unless
hematoxylin is dense; blue ink passes blue far better, red ink far worse. Black ink absorbs
every colour alike, where stains pass blue. Each rule compares densities, so it holds for
pale and dark ink alike.
"""

import numpy as np

from inference.quality.colour import Density

# Below this density (log10) nothing is seen, ink or not.
_MIN_INK_DENSITY = 0.1
# Black ink absorbs blue about as much as its most absorbed colour; H&E at most about 2/3.
_BLACK_BLUE_SHARE = 0.75


def ink_mask(
    density: Density, green_red: float, blue_red: float, black_density: float
) -> tuple[np.ndarray, np.ndarray]:
    """Where the thumbnail shows blue, green or black ink, and where red ink (on glass or
    tissue). Red ink has the hue of dense orange eosin: the caller tells it from a fold."""
    red_minus_green = density.red - density.green
    blue_minus_red = density.blue - density.red
    seen = density.most > _MIN_INK_DENSITY
    green = red_minus_green > green_red
    blue = (blue_minus_red < -blue_red) & (red_minus_green > -green_red / 2)
    black = (density.least > black_density) & (density.blue > _BLACK_BLUE_SHARE * density.most)
    red = (blue_minus_red > blue_red) & (density.most > 3 * _MIN_INK_DENSITY)
    return np.asarray((green | blue | black) & seen, dtype=bool), np.asarray(red & seen, dtype=bool)
