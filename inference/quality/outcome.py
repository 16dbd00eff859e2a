"""What the quality gate found: a defect mask per kind on the tissue thumbnail's grid."""

import enum
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from inference.tissue import TissueMask


class Defect(enum.StrEnum):
    """A kind of defect that makes tissue unfit for judging; values are the words people read."""

    BLUR = "out of focus"
    PEN = "pen ink"
    FOLD = "tissue fold"
    BUBBLE = "air bubble"


# How a finding reads after "12% of the tissue ...".
_PHRASES = {
    Defect.BLUR: "out of focus",
    Defect.PEN: "under pen ink",
    Defect.FOLD: "folded",
    Defect.BUBBLE: "under an air bubble or the coverslip edge",
}


@dataclass(frozen=True)
class QualityMap:
    """Defects (True) per kind, each a bool mask of the tissue thumbnail's shape."""

    tissue: TissueMask
    defects: Mapping[Defect, np.ndarray]

    def __post_init__(self) -> None:
        for defect, mask in self.defects.items():
            if mask.shape != self.tissue.mask.shape or mask.dtype != np.bool_:
                raise ValueError(
                    f"the {defect.value} mask is {mask.dtype} {mask.shape}; it must be bool "
                    f"of the tissue mask's shape {self.tissue.mask.shape}"
                )

    @property
    def excluded(self) -> np.ndarray:
        """Tissue left out of the analysis: tissue under any defect."""
        excluded = np.zeros_like(self.tissue.mask)
        for mask in self.defects.values():
            excluded |= mask
        return np.asarray(excluded & self.tissue.mask, dtype=bool)

    @property
    def evaluable(self) -> np.ndarray:
        """Tissue fit for judging."""
        return np.asarray(self.tissue.mask & ~self.excluded, dtype=bool)

    def fraction(self, defect: Defect) -> float:
        """The share of the tissue area under `defect` (0 when it was not checked)."""
        mask = self.defects.get(defect)
        return 0.0 if mask is None else self._share(mask & self.tissue.mask)

    @property
    def evaluable_fraction(self) -> float:
        """The share of the tissue area fit for judging."""
        return self._share(self.evaluable)

    @property
    def evaluable_area_mm2(self) -> float:
        """The tissue area fit for judging, in square millimetres."""
        return float(self.evaluable.sum()) * (self.tissue.spacing_um / 1000) ** 2

    def findings(self) -> list[str]:
        """One sentence per defect found, largest first: "12% of the tissue out of focus"."""
        found = [(self.fraction(defect), defect) for defect in Defect]
        found.sort(key=lambda item: -item[0])
        return [
            f"{_percent(share)} of the tissue {_PHRASES[defect]}"
            for share, defect in found
            if share
        ]

    def _share(self, mask: np.ndarray) -> float:
        tissue = int(self.tissue.mask.sum())
        return float(mask.sum()) / tissue if tissue else 0.0


def _percent(share: float) -> str:
    """A share as a whole percentage; a non-zero share never reads as 0% (nor 100%)."""
    if share < 0.005:
        return "<1%"
    if share < 1 and round(share * 100) == 100:
        return ">99%"
    return f"{round(share * 100)}%"
