"""Regions of one pyramid level, assembled from its frames, at full or reduced decoding size.

wsidicom finds each frame (concatenations, sparse tiling, repaired headers) and decodes it at
full size; frames reduced inside the JPEG decoder come from `reduced_decoding`. Every frame
passes through the level's `FrameStore`, so announced reads decode each frame once.
"""

from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
from wsidicom.geometry import Point
from wsidicom.group import Level

from dicom.slide.errors import SlideReadError
from dicom.slide.frame_store import FrameKey, FrameStore
from dicom.slide.reduced_decoding import decode_reduced

# Frames kept for reads that were not announced (thumbnails, training patches): about
# wsidicom's default of 100 MB of decoded 512 x 512 frames.
RECENT_BYTES = 100 * 1024 * 1024

RegionBox = tuple[int, int, int, int]  # x, y, width, height


class LevelReader:
    """Reads regions of `level` decoded at 1/`reduction` of its size (1: as stored)."""

    def __init__(self, level: Level, reduction: int) -> None:
        instance = level.default_instance
        self._image_data = instance.image_data
        self._z, self._path = instance.default_z, instance.default_path
        self._reduction = reduction
        self.tile_width = int(level.tile_size.width) // reduction
        self.tile_height = int(level.tile_size.height) // reduction
        self.width = int(level.size.width) // reduction
        self.height = int(level.size.height) // reduction
        frame_bytes = max(1, self.tile_width * self.tile_height * 3)
        self.frames = FrameStore(self._decode, RECENT_BYTES // frame_bytes)

    def read(self, x: int, y: int, width: int, height: int) -> np.ndarray:
        """RGB uint8 pixels (height, width, 3) of a region inside the level."""
        if x < 0 or y < 0 or width < 1 or height < 1:
            raise SlideReadError(f"region ({x}, {y}, {width}x{height}) is empty or negative")
        if x + width > self.width or y + height > self.height:
            raise SlideReadError(
                f"region ({x}, {y}, {width}x{height}) reaches beyond the level "
                f"({self.width}x{self.height})"
            )
        out = np.empty((height, width, 3), dtype=np.uint8)
        for column, row in self._frames_of((x, y, width, height)):
            self._paste(out, (x, y), (column, row))
        return out

    def expect(self, regions: Sequence[RegionBox]) -> None:
        """Announce the regions (clipped to the level) that will be read, each once."""
        uses: Counter[FrameKey] = Counter()
        for region in regions:
            clipped = self._clipped(region)
            if clipped is not None:
                uses.update(self._frames_of(clipped))
        self.frames.expect(uses)

    def frames_used(self, regions: Sequence[RegionBox]) -> int:
        """How many distinct frames the regions (clipped to the level) touch."""
        keys: set[FrameKey] = set()
        for region in regions:
            clipped = self._clipped(region)
            if clipped is not None:
                keys.update(self._frames_of(clipped))
        return len(keys)

    def _paste(self, out: np.ndarray, origin: tuple[int, int], key: FrameKey) -> None:
        frame = self.frames.take(key)
        left, top = key[0] * self.tile_width, key[1] * self.tile_height
        x0, y0 = max(left, origin[0]), max(top, origin[1])
        x1 = min(left + self.tile_width, origin[0] + out.shape[1])
        y1 = min(top + self.tile_height, origin[1] + out.shape[0])
        out[y0 - origin[1] : y1 - origin[1], x0 - origin[0] : x1 - origin[0]] = frame[
            y0 - top : y1 - top, x0 - left : x1 - left
        ]

    def _frames_of(self, region: RegionBox) -> Iterator[FrameKey]:
        x, y, width, height = region
        for row in range(y // self.tile_height, (y + height - 1) // self.tile_height + 1):
            for column in range(x // self.tile_width, (x + width - 1) // self.tile_width + 1):
                yield column, row

    def _clipped(self, region: RegionBox) -> RegionBox | None:
        x, y, width, height = region
        left, top = max(x, 0), max(y, 0)
        right, bottom = min(x + width, self.width), min(y + height, self.height)
        if right <= left or bottom <= top:
            return None
        return left, top, right - left, bottom - top

    def _decode(self, key: FrameKey) -> np.ndarray:
        tile = Point(*key)
        if self._reduction == 1:
            pixels = self._image_data.get_decoded_tile(tile, self._z, self._path, cache=False)
        else:
            encoded = self._image_data.get_encoded_tile(tile, self._z, self._path)
            pixels = decode_reduced(encoded, self._reduction)
        return _rgb(np.asarray(pixels), (self.tile_height, self.tile_width))


def _rgb(pixels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    pixels = pixels[..., :3]
    if pixels.shape[:2] != shape or pixels.dtype != np.uint8:
        raise SlideReadError(
            f"a frame decoded to {pixels.dtype} pixels of shape {pixels.shape}, "
            f"not the level's {shape[1]}x{shape[0]} RGB uint8 frames"
        )
    return pixels
