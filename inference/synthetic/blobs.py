"""Small rounded objects (nuclei, cell bodies, red cells, capillary lumina) stamped onto a grid.

Each blob is an ellipse with a wobbly outline. Its stamp is evaluated on absolute pixel
positions and merged with a maximum, which does not depend on drawing order, so a region
and any crop of a larger region get identical pixels.
"""

import math
from dataclasses import dataclass, field, fields
from functools import cache

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.geometry import SampleGrid
from inference.synthetic.noise import noise_points

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]

CHROMATIN_BELOW_UM = 0.6  # finer sampling shows chromatin texture inside nuclei
CHROMATIN_TEXEL_UM = 0.2
CHROMATIN_TILE = 512  # texels per side of the periodic chromatin tile (about 100 um)
SCATTER_MAX_SIZE = 24  # stamps up to this many samples wide are merged in one vectorised call
STAMP_SAMPLES = 48_000  # per vectorised batch of stamps: temporaries stay in cache


@dataclass(frozen=True, eq=False)
class Blobs:
    """A batch of blobs: centre, semi-axes (a along `angle`), outline wobble, stain and texture."""

    x: F64
    y: F64
    a: F64
    b: F64
    angle: F64
    wobble2: F64  # relative amplitude of the 2nd and 3rd outline harmonics
    wobble3: F64
    phase: F64
    value: F64  # stain amount (or opacity) inside
    texture: F64  # relative amplitude of the granular texture (chromatin)
    rim: F64  # extra stain at the outline (nuclear membrane), relative
    hollow: F64  # stain removed at the centre (biconcave red cells, vesicular nuclei), relative
    nucleolus: F64  # radius (um) of a dark nucleolus off the centre; 0 for none

    def __len__(self) -> int:
        return int(self.x.size)

    @property
    def reach(self) -> F64:
        """Largest distance from centre to outline."""
        return np.maximum(self.a, self.b) * (1.0 + np.abs(self.wobble2) + np.abs(self.wobble3))

    def take(self, keep: NDArray[np.bool_] | NDArray[np.intp]) -> "Blobs":
        """The blobs selected by `keep`."""
        return Blobs(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})

    @staticmethod
    def concatenate(parts: "list[Blobs]") -> "Blobs":
        """All blobs of several batches."""
        return Blobs(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Blobs)}
        )

    @staticmethod
    def empty() -> "Blobs":
        """No blobs."""
        return Blobs(**{f.name: np.zeros(0) for f in fields(Blobs)})


@dataclass
class StampTarget:
    """Where stamps go: a coverage map and a stain map over one sample grid."""

    grid: SampleGrid
    coverage: F32
    stain: F32
    touched: list[int] = field(default_factory=lambda: [2**62, -1, 2**62, -1])

    def window(self) -> tuple[slice, slice] | None:
        """Rows and columns that any stamp reached (None when none did)."""
        top, bottom, left, right = self.touched
        if bottom < top:
            return None
        return slice(top, bottom + 1), slice(left, right + 1)

    def touch(self, top: int, bottom: int, left: int, right: int) -> None:
        """Grow the touched window to include rows top..bottom and columns left..right."""
        box = self.touched
        box[0], box[1] = min(box[0], top), max(box[1], bottom)
        box[2], box[3] = min(box[2], left), max(box[3], right)


def stamp(blobs: Blobs, target: StampTarget, seed: int, salt: int) -> None:
    """Merge every blob into the target maps (maximum of coverage, maximum of stain)."""
    grid = target.grid
    if len(blobs) == 0:
        return
    step = grid.step_um
    left, top, right, bottom = grid.bounds_um
    margin = blobs.reach + step
    near = (
        (blobs.x + margin > left)
        & (blobs.x - margin < right)
        & (blobs.y + margin > top)
        & (blobs.y - margin < bottom)
    )
    blobs = blobs.take(near)
    size = (2.0 * blobs.reach / step).astype(np.int64) + 3
    for stamp_size in np.unique(size):
        group = blobs.take(size == stamp_size)
        per_batch = max(1, STAMP_SAMPLES // int(stamp_size) ** 2)
        for start in range(0, len(group), per_batch):
            batch = group.take(np.arange(start, min(start + per_batch, len(group))))
            _stamp_batch(batch, int(stamp_size), target, seed, salt)


def _stamp_batch(blobs: Blobs, size: int, target: StampTarget, seed: int, salt: int) -> None:
    """Evaluate equally sized stamps together, then merge them one by one."""
    step = target.grid.step_um
    first_col = np.floor(blobs.x / step).astype(np.int64) - size // 2
    first_row = np.floor(blobs.y / step).astype(np.int64) - size // 2
    offsets = np.arange(size, dtype=np.float64)
    sample_x = (first_col[:, None] + offsets + 0.5) * step  # (n, size)
    sample_y = (first_row[:, None] + offsets + 0.5) * step
    coverage, stain = _evaluate(blobs, sample_x, sample_y, step, seed, salt)
    origin_col, origin_row = target.grid.first_sample
    if size <= SCATTER_MAX_SIZE:
        _scatter(target, coverage, stain, first_col - origin_col, first_row - origin_row)
        return
    for k in range(len(blobs)):
        col, row = int(first_col[k]) - origin_col, int(first_row[k]) - origin_row
        _merge(target, coverage[k], stain[k], col, row)


def _scatter(
    target: StampTarget, coverage: F32, stain: F32, col: NDArray[np.int64], row: NDArray[np.int64]
) -> None:
    """Max-merge many small stamps at once (top-left samples at row, col of the target)."""
    rows, cols = target.coverage.shape
    offsets = np.arange(coverage.shape[1])
    r = row[:, None, None] + offsets[None, :, None]
    c = col[:, None, None] + offsets[None, None, :]
    valid = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
    if not valid.any():
        return
    hit_rows, hit_cols = (
        np.broadcast_to(r, valid.shape)[valid],
        np.broadcast_to(c, valid.shape)[valid],
    )
    target.touch(int(hit_rows.min()), int(hit_rows.max()), int(hit_cols.min()), int(hit_cols.max()))
    flat = (r * cols + c)[valid]
    np.maximum.at(target.coverage.reshape(-1), flat, coverage[valid])
    np.maximum.at(target.stain.reshape(-1), flat, stain[valid])


def _evaluate(
    blobs: Blobs, sample_x: F64, sample_y: F64, step: float, seed: int, salt: int
) -> tuple[F32, F32]:
    """Coverage and stain of each blob over its own (size x size) stamp (float32 throughout)."""

    def column(values: F64) -> F32:
        return values.astype(np.float32)[:, None, None]

    dx = (sample_x - blobs.x[:, None]).astype(np.float32)[:, None, :]
    dy = (sample_y - blobs.y[:, None]).astype(np.float32)[:, :, None]
    cos, sin = column(np.cos(blobs.angle)), column(np.sin(blobs.angle))
    u = (dx * cos + dy * sin) * column(1.0 / blobs.a)
    v = (dy * cos - dx * sin) * column(1.0 / blobs.b)
    uu, vv = u * u, v * v
    r2 = uu + vv + np.float32(1e-12)
    radius = np.sqrt(r2)
    # cos/sin of 2 and 3 times the polar angle, as polynomials in (u, v) over powers of r.
    second = (
        (uu - vv) * column(np.cos(blobs.phase)) + (u * v) * column(2.0 * np.sin(blobs.phase))
    ) / r2
    third = (
        u * (uu - np.float32(3.0) * vv) * column(np.sin(blobs.phase))
        + v * (np.float32(3.0) * uu - vv) * column(np.cos(blobs.phase))
    ) / (r2 * radius)
    outline = np.float32(1.0) + column(blobs.wobble2) * second + column(blobs.wobble3) * third
    inside_um = (outline - radius) * column(np.sqrt(blobs.a * blobs.b))
    coverage: F32 = np.clip(inside_um * np.float32(1.0 / step) + np.float32(0.5), 0.0, 1.0)
    profile = np.float32(1.0) + column(blobs.rim) * np.clip(
        np.float32(1.0) - inside_um * np.float32(1.0 / 0.9), 0.0, 1.0
    )
    profile -= column(blobs.hollow) * np.clip(
        np.float32(1.0) - radius / (np.float32(0.55) * outline), 0.0, 1.0
    )
    if step < CHROMATIN_BELOW_UM:
        # Chromatin: clumps where the granular noise is high, clear nucleoplasm elsewhere.
        # A tile of noise is looked up at the sample's own position, shifted per blob so
        # that neighbouring nuclei do not repeat each other.
        tile = chromatin_tile(seed, salt)
        size = tile.shape[0]
        shift = (blobs.x * 7.31 + blobs.y * 3.17).astype(np.int64)
        texel_x = (np.floor(sample_x / CHROMATIN_TEXEL_UM).astype(np.int64) + shift[:, None]) % size
        texel_y = (
            np.floor(sample_y / CHROMATIN_TEXEL_UM).astype(np.int64) + 3 * shift[:, None]
        ) % size
        clumps = tile[texel_y[:, :, None], texel_x[:, None, :]]
        profile *= np.float32(1.0) + column(2.0 * blobs.texture) * (clumps - np.float32(0.5))
    if blobs.nucleolus.any():
        off_u, off_v = column(0.3 * np.cos(blobs.phase)), column(0.3 * np.sin(blobs.phase))
        spot_um = np.hypot(u - off_u, v - off_v) * column(np.sqrt(blobs.a * blobs.b))
        spot = np.clip((column(blobs.nucleolus) - spot_um) * np.float32(1.0 / step) + 0.5, 0, 1)
        profile += column(np.where(blobs.nucleolus > 0, 0.9, 0.0)) * spot
    stain: F32 = coverage * column(blobs.value) * profile
    return coverage, stain


@cache
def chromatin_tile(seed: int, salt: int) -> F32:
    """A periodic tile of chromatin clumps (0 clear to 1 dense), texels CHROMATIN_TEXEL_UM wide."""
    size = CHROMATIN_TILE
    period = size * CHROMATIN_TEXEL_UM
    texels = (np.arange(size) + 0.5) * CHROMATIN_TEXEL_UM
    x, y = np.meshgrid(texels, texels)
    grain = np.zeros((size, size), np.float32)
    # The tile wraps: blend the texture with its copies one period away along each axis.
    wx, wy = (x / period).astype(np.float32), (y / period).astype(np.float32)
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        part = _granules(x - dx * period, y - dy * period, seed, salt)
        grain += (wx if dx else 1 - wx) * (wy if dy else 1 - wy) * part
    # Blending flattens the contrast in the middle of the tile; stretch it back.
    grain = (grain - grain.mean()) / grain.std() * np.float32(0.18) + np.float32(0.5)
    tile: F32 = np.clip(grain * np.float32(3.0) - np.float32(1.0), 0.0, 1.0)
    return tile


def _granules(x: F64, y: F64, seed: int, salt: int) -> F32:
    """Two octaves of value noise on rotated lattices: round granules, no visible grid."""
    total = np.zeros(x.shape, np.float32)
    for octave, (angle, cell, weight) in enumerate(((0.5, 0.8, 0.65), (-0.35, 0.45, 0.35))):
        u = x * math.cos(angle) + y * math.sin(angle)
        v = y * math.cos(angle) - x * math.sin(angle)
        total += np.float32(weight) * noise_points(u, v, cell, cell, seed, salt + octave)
    return total


def _merge(target: StampTarget, coverage: F32, stain: F32, col: int, row: int) -> None:
    """Max-merge one stamp whose top-left sample is at (row, col) of the target grid."""
    rows, cols = target.coverage.shape
    size = coverage.shape[0]
    r0, c0 = max(row, 0), max(col, 0)
    r1, c1 = min(row + size, rows), min(col + size, cols)
    if r0 >= r1 or c0 >= c1:
        return
    window = (slice(r0, r1), slice(c0, c1))
    part = (slice(r0 - row, r1 - row), slice(c0 - col, c1 - col))
    target.touch(r0, r1 - 1, c0, c1 - 1)
    np.maximum(target.coverage[window], coverage[part], out=target.coverage[window])
    np.maximum(target.stain[window], stain[part], out=target.stain[window])
