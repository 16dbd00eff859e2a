"""Where an artefact lies: ellipses and strokes in micrometres, as signed depth on a pixel grid."""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

FAR = -1e9  # depth reported beyond the reach a caller asked for


@dataclass(frozen=True)
class Ellipse:
    """An ellipse centred at (x, y) um with semi-axes (a, b) um, turned by `angle` radians."""

    x: float
    y: float
    a: float
    b: float
    angle: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) um."""
        r = max(self.a, self.b)
        return self.x - r, self.y - r, self.x + r, self.y + r

    def depth_grid(self, xs: F64, ys: F64, reach: float) -> F64:
        """About the distance (um) inside the outline at every grid point; FAR beyond `reach`."""
        out = np.full((ys.size, xs.size), FAR)
        window = _window(xs, ys, self.bounds, reach)
        if window is None:
            return out
        rows, cols = window
        dx = xs[cols][None, :] - self.x
        dy = ys[rows][:, None] - self.y
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        u = (dx * cos + dy * sin) / self.a
        v = (-dx * sin + dy * cos) / self.b
        out[rows, cols] = (1.0 - np.sqrt(u * u + v * v)) * min(self.a, self.b)
        return out


@dataclass(frozen=True)
class Path:
    """A stroke: a polyline of points (N, 2) um, `half_width` um either side of it."""

    points: F64
    half_width: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        low = self.points.min(axis=0) - self.half_width
        high = self.points.max(axis=0) + self.half_width
        return float(low[0]), float(low[1]), float(high[0]), float(high[1])

    def depth_grid(self, xs: F64, ys: F64, reach: float) -> F64:
        """half_width minus the distance to the polyline (um); FAR beyond `reach`."""
        out = np.full((ys.size, xs.size), FAR)
        margin = self.half_width + reach
        for a, b in zip(self.points[:-1], self.points[1:], strict=True):
            box = (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))
            window = _window(xs, ys, box, margin)
            if window is None:
                continue
            rows, cols = window
            px = xs[cols][None, :] - a[0]
            py = ys[rows][:, None] - a[1]
            d = b - a
            t = np.clip((px * d[0] + py * d[1]) / max(float(d @ d), 1e-12), 0.0, 1.0)
            depth = self.half_width - np.hypot(px - t * d[0], py - t * d[1])
            np.maximum(out[rows, cols], depth, out=out[rows, cols])
        return out


Shape = Ellipse | Path


def scaled(shape: Shape, factor: float) -> Shape:
    """The shape grown by `factor` about its centre (a stroke about its middle point)."""
    if isinstance(shape, Ellipse):
        return Ellipse(shape.x, shape.y, shape.a * factor, shape.b * factor, shape.angle)
    middle = shape.points[len(shape.points) // 2]
    return Path(middle + (shape.points - middle) * factor, shape.half_width * factor)


def _window(
    xs: F64, ys: F64, bounds: tuple[float, float, float, float], reach: float
) -> tuple[slice, slice] | None:
    """The rows and columns of the (sorted) grid within `reach` of `bounds`, or None."""
    left, top, right, bottom = bounds
    c0, c1 = np.searchsorted(xs, (left - reach, right + reach))
    r0, r1 = np.searchsorted(ys, (top - reach, bottom + reach))
    if c0 >= c1 or r0 >= r1:
        return None
    return slice(int(r0), int(r1)), slice(int(c0), int(c1))


def overlaps(shape: Shape, bounds: tuple[float, float, float, float], reach: float) -> bool:
    """Whether the shape comes within `reach` of the rectangle (left, top, right, bottom)."""
    left, top, right, bottom = shape.bounds
    return not (
        left - reach >= bounds[2]
        or right + reach <= bounds[0]
        or top - reach >= bounds[3]
        or bottom + reach <= bounds[1]
    )
