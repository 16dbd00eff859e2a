"""Plane geometry in micrometres: where pixels sample the slide, and star-shaped outlines."""

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class SampleGrid:
    """Sample points of a pixel region: `supersample`**2 points per pixel, on physical coordinates.

    Sample positions derive from absolute pixel indices only, so a region and any crop of a
    larger region sample exactly the same points.
    """

    spacing_um: float
    x: int
    y: int
    width: int
    height: int
    supersample: int = 1

    @property
    def step_um(self) -> float:
        """Distance between neighbouring samples."""
        return self.spacing_um / self.supersample

    @cached_property
    def xs(self) -> F64:
        """Sample x coordinates (one per sample column)."""
        first = self.x * self.supersample
        indices = np.arange(first, first + self.width * self.supersample, dtype=np.float64)
        result: F64 = (indices + 0.5) * self.step_um
        return result

    @cached_property
    def ys(self) -> F64:
        """Sample y coordinates (one per sample row)."""
        first = self.y * self.supersample
        indices = np.arange(first, first + self.height * self.supersample, dtype=np.float64)
        result: F64 = (indices + 0.5) * self.step_um
        return result

    @property
    def first_sample(self) -> tuple[int, int]:
        """Absolute (column, row) sample index of the grid's first sample."""
        return self.x * self.supersample, self.y * self.supersample

    @property
    def bounds_um(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the region."""
        s = self.spacing_um
        return (
            self.x * s,
            self.y * s,
            (self.x + self.width) * s,
            (self.y + self.height) * s,
        )


@dataclass(frozen=True)
class StarShape:
    """A closed polygon whose vertices lie at equal angles around a centre (a star domain)."""

    cx: float
    cy: float
    radii: tuple[float, ...]

    @cached_property
    def _angles(self) -> F64:
        return np.arange(len(self.radii), dtype=np.float64) * (2.0 * math.pi / len(self.radii))

    @cached_property
    def vertices(self) -> F64:
        """(N, 2) polygon vertices (x, y), counter-clockwise in image axes, not closed."""
        r = np.asarray(self.radii, dtype=np.float64)
        result: F64 = np.stack(
            [self.cx + r * np.cos(self._angles), self.cy + r * np.sin(self._angles)], axis=1
        )
        return result

    @cached_property
    def _edges(self) -> tuple[F64, F64, F64]:
        """Unit normal (pointing outwards) and offset of each edge line, relative to the centre."""
        start = self.vertices - (self.cx, self.cy)
        end = np.roll(start, -1, axis=0)
        along = end - start
        normal = np.stack([along[:, 1], -along[:, 0]], axis=1)
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        offset = np.einsum("ij,ij->i", normal, start)
        return normal[:, 0], normal[:, 1], offset

    @property
    def max_radius(self) -> float:
        """Largest distance from the centre to the outline."""
        return max(self.radii)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the polygon."""
        v = self.vertices
        return (
            float(v[:, 0].min()),
            float(v[:, 1].min()),
            float(v[:, 0].max()),
            float(v[:, 1].max()),
        )

    @property
    def area(self) -> float:
        """Polygon area (shoelace formula)."""
        v = self.vertices
        return float(
            0.5 * abs(np.dot(v[:, 0], np.roll(v[:, 1], -1)) - np.dot(v[:, 1], np.roll(v[:, 0], -1)))
        )

    def signed_distance(self, x: F64, y: F64) -> F64:
        """Distance to the edge facing each point: > 0 inside, exact sign (point in polygon)."""
        dx, dy = x - self.cx, y - self.cy
        count = len(self.radii)
        sector = np.floor(np.arctan2(dy, dx) * (count / (2.0 * math.pi))).astype(np.intp) % count
        nx, ny, offset = self._edges
        result: F64 = offset[sector] - (nx[sector] * dx + ny[sector] * dy)
        return result

    def contains(self, x: F64, y: F64) -> NDArray[np.bool_]:
        """Whether each point lies inside the polygon."""
        return self.signed_distance(x, y) > 0.0

    def outline_distance(self, x: float, y: float) -> float:
        """Exact distance from one point to the polygon's outline."""
        start = self.vertices
        along = np.roll(start, -1, axis=0) - start
        t = np.clip(
            ((x - start[:, 0]) * along[:, 0] + (y - start[:, 1]) * along[:, 1])
            / np.maximum((along**2).sum(axis=1), 1e-12),
            0.0,
            1.0,
        )
        return float(
            np.hypot(start[:, 0] + t * along[:, 0] - x, start[:, 1] + t * along[:, 1] - y).min()
        )

    def grid_depth(self, xs: F64, ys: F64, margin: float) -> F64:
        """signed_distance on the grid xs by ys; far from the outline only its sign is kept.

        When the whole grid lies more than `margin` from the outline, every sample gets the
        same value of the right sign and magnitude >= margin, which skips per-sample work.
        """
        mid_x, mid_y = (xs[0] + xs[-1]) / 2, (ys[0] + ys[-1]) / 2
        half_diagonal = math.hypot(xs[-1] - xs[0], ys[-1] - ys[0]) / 2
        clearance = self.outline_distance(mid_x, mid_y) - half_diagonal
        if clearance > margin:
            inside = bool(self.contains(np.array(mid_x), np.array(mid_y)))
            return np.full((ys.size, xs.size), clearance if inside else -clearance)
        return self.signed_distance(xs[None, :], ys[:, None])


def smooth_radii(
    rng: np.random.Generator, mean_radius: float, count: int, roughness: float, harmonics: int
) -> F64:
    """A smooth random radial function: low harmonics dominate, so the outline is a soft blob."""
    angles = np.arange(count) * (2.0 * math.pi / count)
    k = np.arange(1, harmonics + 1)
    amplitude = roughness * rng.standard_normal(harmonics) / k**1.3
    phase = rng.uniform(0.0, 2.0 * math.pi, harmonics)
    wave = (amplitude[:, None] * np.cos(k[:, None] * angles[None, :] + phase[:, None])).sum(0)
    result: F64 = mean_radius * (1.0 + np.clip(wave, -0.6, 1.5))
    return result
