"""Counter-based random numbers: the same keys give the same numbers wherever they are drawn.

Every random choice made while rendering is a pure function of (slide seed, purpose, object
index, ...), never of the region being rendered, so that tiles join without seams.
"""

from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

U32 = NDArray[np.uint32]
F64 = NDArray[np.float64]

_GOLDEN = np.uint32(0x9E3779B9)
_MIX_1 = np.uint32(0x85EBCA6B)
_MIX_2 = np.uint32(0xC2B2AE35)


class Purpose(IntEnum):
    """What a stream of random numbers is for; keeps unrelated choices independent."""

    LAYOUT = 1
    GLAND = 2
    GLAND_NUCLEI = 3
    STROMA_CELLS = 4
    TUMOUR_CELLS = 5
    VESSEL = 6
    RED_CELLS = 7
    NOISE = 8
    LESION_GLAND = 9
    LUMEN = 10


def _finalise(h: U32) -> U32:
    """Murmur3's finaliser: every input bit affects every output bit."""
    h = h ^ (h >> np.uint32(16))
    h = h * _MIX_1
    h = h ^ (h >> np.uint32(13))
    h = h * _MIX_2
    return h ^ (h >> np.uint32(16))


def as_u32(key: ArrayLike) -> U32:
    """Integer keys (negative ones too) wrapped to uint32."""
    return np.asarray(key).astype(np.int64).astype(np.uint32)


def hash_keys(*keys: ArrayLike) -> U32:
    """One 32-bit hash of a sequence of integer keys (numpy broadcasting applies)."""
    h = np.uint32(0x3C6EF372) * np.ones((), np.uint32)
    with np.errstate(over="ignore"):
        for key in keys:
            h = _finalise(h ^ (as_u32(key) * _GOLDEN + np.uint32(0x7F4A7C15)))
    return h


def uniform(*keys: ArrayLike) -> F64:
    """Uniform numbers in [0, 1), one per broadcast key combination."""
    return hash_keys(*keys).astype(np.float64) * (1.0 / 2**32)


def normal(*keys: ArrayLike) -> F64:
    """Standard normal numbers (Box-Muller on two hashed uniforms)."""
    u1 = uniform(*keys, 0x51)
    u2 = uniform(*keys, 0x52)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
