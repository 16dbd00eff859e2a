"""Glands as data: outline (a wobbly ellipse around a centre) and epithelium thickness per gland."""

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
Index = NDArray[np.intp] | np.intp

HARMONICS = 6  # wobble harmonics k = 2 .. HARMONICS + 1
OUTLINE_TABLE = 2048  # samples of the outline per turn when drawing
CLEAR_TILE_UM = 500.0


class GlandKind(IntEnum):
    """Benign glands, tubular adenocarcinoma glands and cribriform tumour nests."""

    BENIGN = 0
    TUMOUR = 1
    CRIBRIFORM = 2


@dataclass(frozen=True, eq=False)
class GlandSet:
    """All glands of a slide, one row per gland; ids key each gland's own random stream."""

    ident: NDArray[np.int64]
    kind: NDArray[np.int8]
    cx: F64
    cy: F64
    radius: F64
    stretch: F64
    angle: F64
    wobble: F64  # (n, HARMONICS) relative amplitude of harmonic k = 2, 3, ...
    phase: F64  # (n, HARMONICS)
    thickness: F64

    def __len__(self) -> int:
        return int(self.ident.size)

    @property
    def reach(self) -> F64:
        """Largest possible distance from a gland's centre to its outline."""
        result: F64 = self.radius * np.sqrt(self.stretch) * (1.0 + np.abs(self.wobble).sum(axis=-1))
        return result

    def near(self, left: float, top: float, right: float, bottom: float) -> NDArray[np.intp]:
        """Indices of the glands whose outline may reach into the rectangle."""
        reach = self.reach
        hit = (
            (self.cx + reach > left)
            & (self.cx - reach < right)
            & (self.cy + reach > top)
            & (self.cy - reach < bottom)
        )
        return np.flatnonzero(hit)

    def outline(self, index: Index, theta: F64) -> F64:
        """Distance from centre to outline of glands `index` at polar angles theta (broadcast)."""
        alpha = theta - self.angle[index]
        root = np.sqrt(self.stretch[index])
        major, minor = self.radius[index] * root, self.radius[index] / root
        ellipse = major * minor / np.hypot(minor * np.cos(alpha), major * np.sin(alpha))
        wobble = np.ones_like(ellipse)
        for h in range(HARMONICS):
            k = h + 2
            wobble += self.wobble[index, h] * np.cos(k * theta - self.phase[index, h])
        result: F64 = ellipse * wobble
        return result

    def outline_lookup(self, index: int, theta: F32) -> F32:
        """outline() of one gland by interpolation in a table: cheap for whole pixel windows."""
        count = OUTLINE_TABLE
        table = self.outline(np.intp(index), np.linspace(-math.pi, math.pi, count + 1))
        table32 = table.astype(np.float32)
        t = (theta + np.float32(math.pi)) * np.float32(count / (2.0 * math.pi))
        k = np.clip(t.astype(np.intp), 0, count - 1)
        low = table32[k]
        result: F32 = low + (table32[k + 1] - low) * (t - k)
        return result

    def depth(self, index: Index, x: F64, y: F64) -> F64:
        """Radial depth (um) of points inside glands `index`: > 0 inside, 0 on the outline."""
        dx, dy = x - self.cx[index], y - self.cy[index]
        result: F64 = self.outline(index, np.arctan2(dy, dx)) - np.hypot(dx, dy)
        return result

    def clear_of(self, x: F64, y: F64, margin: F64 | float) -> NDArray[np.bool_]:
        """Whether each point is at least `margin` um (per point, or one for all) outside glands."""
        shape = x.shape
        x, y = x.ravel(), y.ravel()
        margins = np.broadcast_to(np.asarray(margin, np.float64), shape).ravel()
        clear = np.ones(x.shape, bool)
        if x.size == 0 or len(self) == 0:
            return clear.reshape(shape)
        # Points far apart are checked tile by tile, each against the glands near its tile.
        tile = np.floor(x / CLEAR_TILE_UM) * 1e6 + np.floor(y / CLEAR_TILE_UM)
        order = np.argsort(tile, kind="stable")
        bounds = np.flatnonzero(np.diff(tile[order])) + 1
        for members in np.split(order, bounds):
            clear[members] = self._clear_tile(x[members], y[members], margins[members])
        return clear.reshape(shape)

    def _clear_tile(self, x: F64, y: F64, margin: F64) -> NDArray[np.bool_]:
        """clear_of for points close together."""
        widest = float(margin.max())
        near = self.near(x.min() - widest, y.min() - widest, x.max() + widest, y.max() + widest)
        clear = np.ones(x.shape, bool)
        for start in range(0, near.size, 64):
            index = near[start : start + 64]
            distance = np.hypot(x[:, None] - self.cx[index], y[:, None] - self.cy[index])
            point, gland = np.nonzero(distance < self.reach[index] + margin[:, None])
            depth = self.depth(index[gland], x[point], y[point])
            clear[point[depth >= -margin[point]]] = False
        return clear

    def subset(self, keep: Index | NDArray[np.bool_]) -> "GlandSet":
        """The glands selected by `keep`."""
        return GlandSet(
            ident=self.ident[keep],
            kind=self.kind[keep],
            cx=self.cx[keep],
            cy=self.cy[keep],
            radius=self.radius[keep],
            stretch=self.stretch[keep],
            angle=self.angle[keep],
            wobble=self.wobble[keep],
            phase=self.phase[keep],
            thickness=self.thickness[keep],
        )

    @staticmethod
    def concatenate(parts: "list[GlandSet]") -> "GlandSet":
        """All glands of several sets, in order."""
        return GlandSet(
            ident=np.concatenate([p.ident for p in parts]),
            kind=np.concatenate([p.kind for p in parts]),
            cx=np.concatenate([p.cx for p in parts]),
            cy=np.concatenate([p.cy for p in parts]),
            radius=np.concatenate([p.radius for p in parts]),
            stretch=np.concatenate([p.stretch for p in parts]),
            angle=np.concatenate([p.angle for p in parts]),
            wobble=np.concatenate([p.wobble for p in parts]).reshape(-1, HARMONICS),
            phase=np.concatenate([p.phase for p in parts]).reshape(-1, HARMONICS),
            thickness=np.concatenate([p.thickness for p in parts]),
        )
