"""What one synthetic slide is made of: tissue fragments, lesions, lymphoid aggregates, glands."""

import enum
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from config.errors import PathSentryError
from inference.synthetic.geometry import StarShape
from inference.synthetic.glands import GlandSet
from inference.synthetic.tissue_shapes import union_depth
from inference.synthetic.wall import Wall, layer_at, layer_weights

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


class SlideKind(enum.StrEnum):
    """Whether a slide contains adenocarcinoma."""

    MALIGNANT = "malignant"
    BENIGN = "benign"


class SyntheticSlideError(PathSentryError):
    """A synthetic slide was asked for with impossible dimensions or region."""


@dataclass(frozen=True)
class StainStyle:
    """How strongly this slide took up each stain (labs and days differ)."""

    hematoxylin: float
    eosin: float
    eosin_tint: float  # -1 more orange, +1 more magenta
    glass: float  # glass brightness, 0 darkest to 1 brightest


@dataclass(frozen=True)
class SlideLayout:
    """Everything that defines one slide; rendering any region of it is a pure function of this."""

    kind: SlideKind
    seed: int
    width_um: float
    height_um: float
    fragments: tuple[StarShape, ...]
    walls: tuple[Wall, ...]  # one per fragment
    lesions: tuple[StarShape, ...]
    aggregates: tuple[StarShape, ...]
    stain: StainStyle
    glands: GlandSet = field(compare=False, repr=False)

    def tissue_depth(self, x: F64, y: F64) -> F64:
        """Distance (um) inside the nearest tissue outline; negative on glass."""
        return union_depth(self.fragments, x, y)

    def lesion_depth(self, x: F64, y: F64) -> F64:
        """Distance (um) inside the nearest lesion outline; negative outside every lesion."""
        return union_depth(self.lesions, x, y)

    def aggregate_depth(self, x: F64, y: F64) -> F64:
        """Distance (um) inside the nearest lymphoid aggregate; negative outside."""
        return union_depth(self.aggregates, x, y)

    def tissue_grid(self, xs: F64, ys: F64, margin: float) -> F64:
        """tissue_depth on the grid xs by ys, exact within `margin` of an outline (grid_depth)."""
        return _union_grid_depth(self.fragments, xs, ys, margin)

    def lesion_grid(self, xs: F64, ys: F64, margin: float) -> F64:
        """lesion_depth on the grid xs by ys, exact within `margin` of an outline."""
        return _union_grid_depth(self.lesions, xs, ys, margin)

    def aggregate_grid(self, xs: F64, ys: F64, margin: float) -> F64:
        """aggregate_depth on the grid xs by ys, exact within `margin` of an outline."""
        return _union_grid_depth(self.aggregates, xs, ys, margin)

    def layer(self, x: F64, y: F64) -> NDArray[np.int8]:
        """Wall layer (wall.Layer) at each point, in the fragment the point is deepest in."""
        result = np.zeros(np.shape(x), np.int8)
        owner = self._owner(x, y)
        for index, wall in enumerate(self.walls):
            mine = owner == index
            if mine.any():
                result[mine] = layer_at(wall, x[mine], y[mine], self.seed)
        return result

    def layer_grid(self, xs: F64, ys: F64) -> tuple[F32, F32, F32]:
        """Weights of mucosa, submucosa and muscularis stroma on the grid xs by ys."""
        parts = self.layer_parts(xs, ys)
        if len(parts) == 1:
            return parts[0][1]
        totals = [np.zeros_like(parts[0][1][0]) for _ in range(3)]
        for _, weights in parts:
            for total, weight in zip(totals, weights, strict=True):
                total += weight
        return totals[0], totals[1], totals[2]

    def layer_parts(self, xs: F64, ys: F64) -> list[tuple[Wall, tuple[F32, F32, F32]]]:
        """Layer weights on the grid, per fragment near it (each zero outside its fragment)."""
        near = self._fragments_near(xs, ys)
        if len(near) == 1:
            return [(self.walls[near[0]], layer_weights(self.walls[near[0]], xs, ys, self.seed))]
        depths = np.stack(
            [self.fragments[i].signed_distance(xs[None, :], ys[:, None]) for i in near]
        )
        owner = np.asarray(near)[np.argmax(depths, axis=0)]
        parts = []
        for index in near:
            mine = (owner == index).astype(np.float32)
            weights = layer_weights(self.walls[index], xs, ys, self.seed)
            parts.append(
                (self.walls[index], (weights[0] * mine, weights[1] * mine, weights[2] * mine))
            )
        return parts

    def wall_along(self, x: F64, y: F64) -> F64:
        """Direction of the wall layers (see Wall.along) at each point."""
        along = np.array([wall.along for wall in self.walls])
        result: F64 = along[self._owner(x, y)]
        return result

    def _fragments_near(self, xs: F64, ys: F64) -> list[int]:
        """Fragments whose outline comes near the grid (at least the nearest one)."""
        margin = 50.0
        near = [
            index
            for index, fragment in enumerate(self.fragments)
            if fragment.bounds[0] - margin < xs[-1]
            and fragment.bounds[2] + margin > xs[0]
            and fragment.bounds[1] - margin < ys[-1]
            and fragment.bounds[3] + margin > ys[0]
        ]
        if near:
            return near
        middle = ((xs[0] + xs[-1]) / 2, (ys[0] + ys[-1]) / 2)
        return [
            min(
                range(len(self.fragments)),
                key=lambda i: self.fragments[i].outline_distance(*middle),
            )
        ]

    def _owner(self, x: F64, y: F64) -> NDArray[np.intp]:
        """Index of the fragment each point lies deepest in (or nearest to)."""
        depths = np.stack([f.signed_distance(x, y) for f in self.fragments])
        result: NDArray[np.intp] = np.argmax(depths, axis=0)
        return result


def _union_grid_depth(shapes: tuple[StarShape, ...], xs: F64, ys: F64, margin: float) -> F64:
    """Union depth on a grid, with each shape's far-field shortcut."""
    result = np.full((ys.size, xs.size), -np.inf)
    for shape in shapes:
        result = np.maximum(result, shape.grid_depth(xs, ys, margin))
    return result


def lesion_polygons(layout: SlideLayout) -> list[np.ndarray]:
    """One (N, 2) array of (x, y) vertices in um per malignant region (ring not closed)."""
    return [lesion.vertices.copy() for lesion in layout.lesions]
