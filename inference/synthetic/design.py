"""Drawing a random slide: tissue, wall layers, lesions, aggregates, stain style and glands."""

import dataclasses
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.gland_placement import (
    BENIGN_FILL,
    BENIGN_GLANDS,
    TUMOUR_FILL,
    TUMOUR_GLANDS,
    GlandRecipe,
    place_glands,
)
from inference.synthetic.glands import HARMONICS, GlandKind, GlandSet
from inference.synthetic.layout import SlideKind, SlideLayout, StainStyle, SyntheticSlideError
from inference.synthetic.streams import Purpose, uniform
from inference.synthetic.tissue_shapes import aggregates, fragments, lesions
from inference.synthetic.wall import Layer, make_wall

F64 = NDArray[np.float64]

MIN_SIDE_UM = 500.0
MAX_SIDE_UM = 60_000.0


def make_layout(kind: SlideKind, seed: int, width_um: float, height_um: float) -> SlideLayout:
    """A random but reproducible slide: the same arguments always give the same slide."""
    for name, value in (("width_um", width_um), ("height_um", height_um)):
        if not MIN_SIDE_UM <= value <= MAX_SIDE_UM:
            raise SyntheticSlideError(
                f"{name}={value} is out of range: give {MIN_SIDE_UM:g} to {MAX_SIDE_UM:g} um"
            )
    if seed < 0:
        raise SyntheticSlideError(f"seed={seed} is negative: give a seed of 0 or more")
    kind = SlideKind(kind)
    rng = np.random.default_rng([seed, Purpose.LAYOUT, 1 if kind is SlideKind.MALIGNANT else 0])
    tissue = fragments(rng, width_um, height_um)
    walls = tuple(make_wall(rng, fragment) for fragment in tissue)
    tumours = lesions(rng, tissue) if kind is SlideKind.MALIGNANT else ()
    lymphoid = aggregates(rng, tissue, tumours)
    stain = StainStyle(
        hematoxylin=float(rng.uniform(0.85, 1.15)),
        eosin=float(rng.uniform(0.85, 1.15)),
        eosin_tint=float(rng.uniform(-1.0, 1.0)),
        glass=float(rng.uniform(0.0, 1.0)),
    )
    skeleton = SlideLayout(
        kind, seed, width_um, height_um, tissue, walls, tumours, lymphoid, stain, _no_glands()
    )
    return dataclasses.replace(skeleton, glands=_glands(skeleton))


def _no_glands() -> GlandSet:
    """An empty gland set (used while the glands themselves are being placed)."""
    empty = np.zeros(0)
    return GlandSet(
        ident=np.zeros(0, np.int64),
        kind=np.zeros(0, np.int8),
        cx=empty,
        cy=empty,
        radius=empty,
        stretch=empty,
        angle=empty,
        wobble=np.zeros((0, HARMONICS)),
        phase=np.zeros((0, HARMONICS)),
        thickness=empty,
    )


def _glands(layout: SlideLayout) -> GlandSet:
    """Benign glands in the mucosa outside lesions; packed, angulated tumour glands inside them.

    Each kind is packed twice: large glands first, then smaller ones in the gaps left.
    """
    bounds = (0.0, 0.0, layout.width_um, layout.height_um)

    def benign_allowed(cx: F64, cy: F64, reach: F64) -> NDArray[np.bool_]:
        return (
            (layout.tissue_depth(cx, cy) > 0.3 * reach)
            & (layout.lesion_depth(cx, cy) < -(reach + 30.0))
            & (layout.aggregate_depth(cx, cy) < -0.4 * reach)
            & _in_mucosa(layout, cx, cy, reach)
        )

    def tumour_allowed(cx: F64, cy: F64, reach: F64) -> NDArray[np.bool_]:
        return (layout.lesion_depth(cx, cy) > reach + 2.0) & (layout.tissue_depth(cx, cy) > reach)

    benign = _packed(layout.seed, BENIGN_GLANDS, BENIGN_FILL, bounds, benign_allowed)
    if not layout.lesions:
        return benign
    boxes = np.array([lesion.bounds for lesion in layout.lesions])
    lesion_bounds = (*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0))
    tumour = _packed(layout.seed, TUMOUR_GLANDS, TUMOUR_FILL, lesion_bounds, tumour_allowed)
    draw = uniform(layout.seed, Purpose.GLAND, tumour.ident)
    cribriform = (tumour.radius > 38.0) & (draw < 0.35)
    kind = np.where(cribriform, GlandKind.CRIBRIFORM, GlandKind.TUMOUR).astype(np.int8)
    return GlandSet.concatenate([benign, dataclasses.replace(tumour, kind=kind)])


def _in_mucosa(layout: SlideLayout, cx: F64, cy: F64, reach: F64) -> NDArray[np.bool_]:
    """Whether a gland's centre and its four extreme points lie in the mucosa."""
    inside: NDArray[np.bool_] = layout.layer(cx, cy) == Layer.MUCOSA
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        inside &= layout.layer(cx + dx * reach, cy + dy * reach) == Layer.MUCOSA
    return inside


def _packed(
    seed: int,
    large: GlandRecipe,
    small: GlandRecipe,
    bounds: tuple[float, float, float, float],
    allowed: Callable[[F64, F64, F64], NDArray[np.bool_]],
) -> GlandSet:
    """Large glands, then small glands where they keep clear of the large ones."""
    first = place_glands(large, seed, bounds, allowed)

    def in_gaps(cx: F64, cy: F64, reach: F64) -> NDArray[np.bool_]:
        fits = allowed(cx, cy, reach)
        fits[fits] = first.clear_of(cx[fits], cy[fits], reach[fits] + small.gap_um)
        return fits

    return GlandSet.concatenate([first, place_glands(small, seed, bounds, in_gaps)])
