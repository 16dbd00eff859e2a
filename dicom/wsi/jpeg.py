"""JPEG baseline tiles (libjpeg-turbo through imagecodecs), chroma subsampled 4:2:2."""

from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from functools import partial

import imagecodecs
import numpy as np

from dicom.wsi.geometry import ImageGeometry

# Absent pixels (beyond the image's right and bottom edges) are white, like empty glass.
PADDING_VALUE = 255
# Horizontal 2, vertical 1: the YBR_FULL_422 the datasets declare.
_SUBSAMPLING_422 = (2, 1)


def encode_tile(tile: np.ndarray, quality: int) -> bytes:
    """One RGB uint8 tile as a JPEG baseline (ISO 10918-1 process 1) bitstream."""
    return bytes(imagecodecs.jpeg8_encode(tile, level=quality, subsampling=_SUBSAMPLING_422))


def strip_tiles(strip: np.ndarray, geometry: ImageGeometry) -> Iterator[np.ndarray]:
    """The tiles of one row of tiles, left to right, padded to full tile size at the edges."""
    full = (geometry.tile_height, geometry.tiles_across * geometry.tile_width, 3)
    if strip.shape != full:
        padded = np.full(full, PADDING_VALUE, dtype=np.uint8)
        padded[: strip.shape[0], : strip.shape[1]] = strip
        strip = padded
    for column in range(geometry.tiles_across):
        left = column * geometry.tile_width
        yield strip[:, left : left + geometry.tile_width]


class TileEncoder:
    """Encodes the tiles of a strip, in parallel when given threads (libjpeg-turbo releases
    the GIL), always returning frames in tile order."""

    def __init__(self, quality: int, executor: Executor | None = None) -> None:
        self._encode = partial(encode_tile, quality=quality)
        self._executor = executor

    def encode(self, tiles: Iterable[np.ndarray]) -> Iterator[bytes]:
        if self._executor is None:
            return map(self._encode, tiles)
        return self._executor.map(self._encode, tiles)
