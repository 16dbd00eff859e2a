"""Synthetic H&E histology made in code: glandular mucosa with adenocarcinoma-like lesions.

Everything is defined in micrometres and rendered procedurally per region, so slides of any
size can be rendered tile by tile at any pixel spacing, identically wherever a tile is cut.
"""

from inference.synthetic.design import make_layout
from inference.synthetic.layout import (
    SlideKind,
    SlideLayout,
    SyntheticSlideError,
    lesion_polygons,
)
from inference.synthetic.render import render_labels, render_region

__all__ = [
    "SlideKind",
    "SlideLayout",
    "SyntheticSlideError",
    "lesion_polygons",
    "make_layout",
    "render_labels",
    "render_region",
]
