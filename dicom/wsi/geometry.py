"""Pyramid geometry: the requested slide and the tiled images (levels) it becomes."""

import math
from dataclasses import dataclass

from dicom.wsi.errors import SlideWriteError

MIN_LEVELS = 4
# JPEG codes 16 x 8 pixel blocks in 4:2:2; tiles that are multiples of 16 have no partial block.
TILE_MULTIPLE = 16


@dataclass(frozen=True)
class ImageGeometry:
    """One tiled image: its total pixel matrix, tile (frame) size and pixel spacing."""

    width: int
    height: int
    tile_width: int
    tile_height: int
    spacing_um: float

    @property
    def tiles_across(self) -> int:
        return math.ceil(self.width / self.tile_width)

    @property
    def tiles_down(self) -> int:
        return math.ceil(self.height / self.tile_height)

    @property
    def frame_count(self) -> int:
        return self.tiles_across * self.tiles_down

    @property
    def width_mm(self) -> float:
        return self.width * self.spacing_um / 1000

    @property
    def height_mm(self) -> float:
        return self.height * self.spacing_um / 1000

    def halved(self) -> "ImageGeometry":
        """The next pyramid level: half the size (rounded up), twice the spacing, same tiles."""
        return ImageGeometry(
            width=math.ceil(self.width / 2),
            height=math.ceil(self.height / 2),
            tile_width=self.tile_width,
            tile_height=self.tile_height,
            spacing_um=self.spacing_um * 2,
        )


@dataclass(frozen=True)
class PyramidSpec:
    """What to write: base size and spacing, tiling, JPEG quality and how far down to go."""

    width: int
    height: int
    spacing_um: float = 0.238
    tile_size: int = 512
    jpeg_quality: int = 90
    min_level_size: int = 512

    def __post_init__(self) -> None:
        if min(self.width, self.height) < 2 ** (MIN_LEVELS - 1):
            raise SlideWriteError(
                f"width and height must be at least {2 ** (MIN_LEVELS - 1)} pixels so that "
                f"{MIN_LEVELS} levels fit; got {self.width} x {self.height}"
            )
        if not 0.01 <= self.spacing_um <= 100:
            raise SlideWriteError(f"spacing_um must be 0.01 to 100 µm; got {self.spacing_um}")
        if self.tile_size < TILE_MULTIPLE or self.tile_size % TILE_MULTIPLE:
            raise SlideWriteError(
                f"tile_size must be a positive multiple of {TILE_MULTIPLE}; got {self.tile_size}"
            )
        if not 1 <= self.jpeg_quality <= 100:
            raise SlideWriteError(f"jpeg_quality must be 1 to 100; got {self.jpeg_quality}")
        if self.min_level_size < 1:
            raise SlideWriteError(f"min_level_size must be positive; got {self.min_level_size}")

    @property
    def base(self) -> ImageGeometry:
        return ImageGeometry(
            self.width, self.height, self.tile_size, self.tile_size, self.spacing_um
        )

    @property
    def levels(self) -> tuple[ImageGeometry, ...]:
        """Levels 2x apart, at least MIN_LEVELS, the last with long side <= min_level_size."""
        levels = [self.base]
        while len(levels) < MIN_LEVELS or max(levels[-1].width, levels[-1].height) > (
            self.min_level_size
        ):
            levels.append(levels[-1].halved())
        return tuple(levels)
