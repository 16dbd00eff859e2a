"""When the pyramid of a slide is complete, judged from the headers of its images alone.

A whole-slide image arrives as one instance per level (or several: focal planes, optical paths,
concatenations), in any order, with nothing that says how many are coming. The rule:

1. the base level is there: the largest volume image is an original one (Image Type value 4
   is NONE, not RESAMPLED);
2. every level is whole: each concatenation has all its parts (In-concatenation Number 1..Total);
3. the levels form an unbroken chain from the base down to a thumbnail-sized level: sorted by
   width, each level is at most MAX_LEVEL_STEP times smaller than the one above (scanners
   step by 2 or 4), and the smallest one's long side is at most THUMBNAIL_MAX_SIDE pixels.
   Thumbnail images (Image Type THUMBNAIL) count as the bottom of the chain.

The rule is applied when the association that delivered the images ends (normally when the
sender releases it, before the release is answered): a sender sends a slide, then releases,
so levels still to come in the same association never trigger it early. A slide whose images
do not satisfy it (no Image Type, a single level, a sender that keeps its association open)
is complete when nothing arrived for the configured quiet period instead.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from config.kinds import ImageHeader, ImageType

THUMBNAIL_MAX_SIDE = 4096
MAX_LEVEL_STEP = 4
_PYRAMID_TYPES = (ImageType.VOLUME, ImageType.THUMBNAIL)


@dataclass(frozen=True, order=True)
class LevelSize:
    """The total pixel matrix of a level."""

    columns: int
    rows: int

    @property
    def long_side(self) -> int:
        return max(self.columns, self.rows)


def is_pyramid_complete(images: Iterable[ImageHeader]) -> bool:
    """Whether these images of one series make a complete pyramid (the rule above); received
    images and indexed instance rows alike."""
    levels = [(image, size) for image in images if (size := _level_size(image)) is not None]
    if not levels or not _concatenations_complete([image for image, _ in levels]):
        return False
    sizes = sorted({size for _, size in levels}, reverse=True)
    base_is_original = any(size == sizes[0] and image.resampled is False for image, size in levels)
    return base_is_original and _unbroken(sizes) and sizes[-1].long_side <= THUMBNAIL_MAX_SIDE


def _level_size(image: ImageHeader) -> LevelSize | None:
    columns, rows = image.total_pixel_matrix_columns, image.total_pixel_matrix_rows
    if image.image_type not in _PYRAMID_TYPES or columns is None or rows is None:
        return None
    return LevelSize(columns, rows)


def _unbroken(sizes: list[LevelSize]) -> bool:
    """Each level at most MAX_LEVEL_STEP smaller than the one above (plus one pixel of rounding)."""
    return all(
        larger.columns <= MAX_LEVEL_STEP * (smaller.columns + 1)
        for larger, smaller in pairwise(sizes)
    )


def _concatenations_complete(levels: list[ImageHeader]) -> bool:
    """Every concatenation has parts 1..total (one without a total can never be judged whole)."""
    parts: dict[str, set[int]] = defaultdict(set)
    totals: dict[str, int | None] = {}
    for image in levels:
        if image.concatenation_uid is not None:
            parts[image.concatenation_uid].add(image.concatenation_number or 0)
            totals[image.concatenation_uid] = image.concatenation_total
    return all(
        (total := totals[uid]) is not None and numbers >= set(range(1, total + 1))
        for uid, numbers in parts.items()
    )
