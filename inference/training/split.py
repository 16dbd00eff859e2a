"""The validation split: whole slides held out, drawn separately from each kind of slide."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference.training.slides import PreparedSlide

SPLIT_STREAM = 3


@dataclass(frozen=True)
class Split:
    """Slides to learn from and slides to validate on (never patches of the same slide)."""

    training: tuple[PreparedSlide, ...]
    validation: tuple[PreparedSlide, ...]

    def names(self) -> dict[str, list[str]]:
        return {
            "training": [slide.slide.name for slide in self.training],
            "validation": [slide.slide.name for slide in self.validation],
        }


def split_slides(slides: Sequence[PreparedSlide], fraction: float, seed: int) -> Split:
    """Hold out `fraction` of the slides with malignant tissue and of those without.

    Each group keeps at least one training slide; a group of two or more gives at least
    one validation slide when `fraction` is above zero.
    """
    rng = np.random.default_rng([seed, SPLIT_STREAM])
    held: set[int] = set()
    for malignant in (True, False):
        group = [i for i, slide in enumerate(slides) if slide.has_malignant == malignant]
        count = _held_count(len(group), fraction)
        if count:
            held.update(int(i) for i in rng.choice(group, size=count, replace=False))
    return Split(
        training=tuple(slide for i, slide in enumerate(slides) if i not in held),
        validation=tuple(slide for i, slide in enumerate(slides) if i in held),
    )


def _held_count(size: int, fraction: float) -> int:
    if fraction <= 0 or size < 2:
        return 0
    return min(size - 1, max(1, math.floor(size * fraction + 0.5)))
