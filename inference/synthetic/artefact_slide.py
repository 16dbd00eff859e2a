"""A synthetic slide with scan artefacts, ready to render or to hold in memory as a pyramid."""

import math
from dataclasses import dataclass

import numpy as np

from inference.memory_source import ArraySource
from inference.synthetic.artefact_render import artefact_masks, render_with_artefacts
from inference.synthetic.artefacts import Artefact, ArtefactKind, ArtefactSpec, place_artefacts
from inference.synthetic.design import make_layout
from inference.synthetic.layout import SlideKind, SlideLayout


@dataclass(frozen=True)
class ArtefactSlide:
    """A slide layout and the artefacts placed on it; rendering is a pure function of both."""

    layout: SlideLayout
    specs: tuple[ArtefactSpec, ...]
    artefacts: tuple[Artefact, ...]

    def render(self, spacing_um: float, x: int, y: int, width: int, height: int) -> np.ndarray:
        """RGB uint8 pixels of a region, artefacts included (see `render_region`)."""
        return render_with_artefacts(self.layout, self.artefacts, spacing_um, x, y, width, height)

    def size_at(self, spacing_um: float) -> tuple[int, int]:
        """(width, height) in pixels of the whole slide at this spacing."""
        return (
            math.ceil(self.layout.width_um / spacing_um),
            math.ceil(self.layout.height_um / spacing_um),
        )

    def truth(self, spacing_um: float) -> dict[ArtefactKind, np.ndarray]:
        """A bool mask per kind drawn, of the whole slide at this spacing."""
        width, height = self.size_at(spacing_um)
        return artefact_masks(self.layout, self.artefacts, spacing_um, width, height)

    def source(self, spacing_um: float, levels: int = 4) -> ArraySource:
        """The whole slide rendered at `spacing_um`, with `levels` halvings, held in memory."""
        width, height = self.size_at(spacing_um)
        return ArraySource.pyramid(self.render(spacing_um, 0, 0, width, height), spacing_um, levels)


def make_artefact_slide(
    kind: SlideKind | str,
    seed: int,
    width_um: float,
    height_um: float,
    specs: tuple[ArtefactSpec, ...] = (),
) -> ArtefactSlide:
    """The slide `make_layout` draws for these arguments, with the artefacts of `specs` on it."""
    layout = make_layout(SlideKind(kind), seed, width_um, height_um)
    return ArtefactSlide(layout, specs, place_artefacts(layout, specs))
