"""Synthetic H&E histology made in code: glandular mucosa with adenocarcinoma-like lesions.

Everything is defined in micrometres and rendered procedurally per region, so slides of any
size can be rendered tile by tile at any pixel spacing, identically wherever a tile is cut.
"""

from inference.synthetic.artefact_render import artefact_masks, render_with_artefacts
from inference.synthetic.artefact_slide import ArtefactSlide, make_artefact_slide
from inference.synthetic.artefacts import Artefact, ArtefactKind, ArtefactSpec, place_artefacts
from inference.synthetic.design import make_layout
from inference.synthetic.layout import (
    SlideKind,
    SlideLayout,
    SyntheticSlideError,
    lesion_polygons,
)
from inference.synthetic.render import render_labels, render_region

__all__ = [
    "Artefact",
    "ArtefactKind",
    "ArtefactSlide",
    "ArtefactSpec",
    "SlideKind",
    "SlideLayout",
    "SyntheticSlideError",
    "artefact_masks",
    "lesion_polygons",
    "make_artefact_slide",
    "make_layout",
    "place_artefacts",
    "render_labels",
    "render_region",
    "render_with_artefacts",
]
