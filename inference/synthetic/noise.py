"""Value noise defined on physical coordinates, so any region of a slide sees the same field."""

import math

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.streams import Purpose, hash_keys, uniform

F64 = NDArray[np.float64]
F32 = NDArray[np.float32]


def _smooth(t: F64) -> F64:
    """Smoothstep weights: C1 joins between lattice cells (no visible grid)."""
    return t * t * (3.0 - 2.0 * t)


def _axis(coords: F64, cell_um: float) -> tuple[NDArray[np.int64], NDArray[np.intp], F64]:
    """Lattice indices used along one axis, and each coordinate's two neighbours and weight."""
    scaled = coords / cell_um
    low = np.floor(scaled)
    weight = _smooth(scaled - low)
    used, inverse = np.unique(np.concatenate([low, low + 1.0]), return_inverse=True)
    return used.astype(np.int64), inverse.reshape(2, -1).astype(np.intp), weight


def noise_grid(xs: F64, ys: F64, cell_um: float, seed: int, salt: int) -> F32:
    """Value noise in [0, 1) on the grid of sample columns xs by rows ys (micrometres)."""
    cols, col_pick, wx = _axis(xs, cell_um)
    rows, row_pick, wy = _axis(ys, cell_um)
    lattice = uniform(seed, Purpose.NOISE, salt, rows[:, None], cols[None, :]).astype(np.float32)
    top = lattice[row_pick[0]]
    bottom = lattice[row_pick[1]]
    along_y = top + (bottom - top) * wy.astype(np.float32)[:, None]
    left = along_y[:, col_pick[0]]
    right = along_y[:, col_pick[1]]
    result: F32 = left + (right - left) * wx.astype(np.float32)[None, :]
    return result


def noise_at(x: F64, y: F64, cell_um: float, seed: int, salt: int) -> F64:
    """The field of noise_grid evaluated at arbitrary points."""
    sx, sy = x / cell_um, y / cell_um
    fx, fy = np.floor(sx), np.floor(sy)
    wx, wy = _smooth(sx - fx), _smooth(sy - fy)
    ix, iy = fx.astype(np.int64), fy.astype(np.int64)

    def corner(dx: int, dy: int) -> F64:
        return uniform(seed, Purpose.NOISE, salt, iy + dy, ix + dx)

    left = corner(0, 0) + (corner(0, 1) - corner(0, 0)) * wy
    right = corner(1, 0) + (corner(1, 1) - corner(1, 0)) * wy
    return left + (right - left) * wx


def _lattice(ix: NDArray[np.uint32], iy: NDArray[np.uint32], key: np.uint32) -> F32:
    """A cheap hash of lattice points to [0, 1) (one multiply-xor per axis, one finaliser)."""
    with np.errstate(over="ignore"):
        h = (ix * np.uint32(0x8DA6B343)) ^ (iy * np.uint32(0xD8163841)) ^ key
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x7FEB352D)
        h ^= h >> np.uint32(15)
        h *= np.uint32(0x846CA68B)
        h ^= h >> np.uint32(16)
    return (h >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)


def noise_points(
    u: F64 | F32, v: F64 | F32, cell_u: float, cell_v: float, seed: int, salt: int
) -> F32:
    """Value noise in [0, 1) at arbitrary points, with separate cell sizes along u and v."""
    su = (u * (1.0 / cell_u)).astype(np.float32, copy=False)
    sv = (v * (1.0 / cell_v)).astype(np.float32, copy=False)
    fu, fv = np.floor(su), np.floor(sv)
    wu, wv = su - fu, sv - fv
    wu *= wu * (np.float32(3.0) - np.float32(2.0) * wu)
    wv *= wv * (np.float32(3.0) - np.float32(2.0) * wv)
    iu = fu.astype(np.int32).view(np.uint32)
    iv = fv.astype(np.int32).view(np.uint32)
    key = np.uint32(hash_keys(seed, Purpose.NOISE, salt))
    one = np.uint32(1)
    with np.errstate(over="ignore"):
        iu1, iv1 = iu + one, iv + one
    c00, c10 = _lattice(iu, iv, key), _lattice(iu1, iv, key)
    c01, c11 = _lattice(iu, iv1, key), _lattice(iu1, iv1, key)
    top = c00 + (c10 - c00) * wu
    bottom = c01 + (c11 - c01) * wu
    result: F32 = top + (bottom - top) * wv
    return result


def fractal_grid(xs: F64, ys: F64, cell_um: float, octaves: int, seed: int, salt: int) -> F32:
    """Sum of octaves of value noise (each half the size and weight of the last), centred on 0."""
    total = np.zeros((ys.size, xs.size), np.float32)
    amplitude, cell = 1.0, cell_um
    for octave in range(octaves):
        total += np.float32(amplitude) * (noise_grid(xs, ys, cell, seed, salt + octave) - 0.5)
        amplitude, cell = amplitude * 0.5, cell * 0.5
    return total


def blob_noise_grid(xs: F64, ys: F64, cell_um: float, seed: int, salt: int) -> F32:
    """Value noise on two rotated lattices, averaged: rounded blobs without the square grid."""
    total = np.zeros((ys.size, xs.size), np.float32)
    for turn, angle in enumerate((0.55, -0.75)):
        cos, sin = math.cos(angle), math.sin(angle)
        u = (xs * cos)[None, :] + (ys * sin)[:, None]
        v = (ys * cos)[:, None] - (xs * sin)[None, :]
        total += np.float32(0.5) * noise_points(u, v, cell_um, cell_um, seed, salt + turn)
    # The average of two noises is less contrasted than one; restore the spread.
    result: F32 = (total - np.float32(0.5)) * np.float32(1.4) + np.float32(0.5)
    return result
