"""One conformant synthetic slide per session, and its levels as wsidicom reads them unaided."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from wsidicom import WsiDicom

from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide


@dataclass(frozen=True)
class ConformantSlide:
    """A fully conformant slide (level-0.dcm ... level-3.dcm, label.dcm, overview.dcm)."""

    folder: Path
    levels: tuple[np.ndarray, ...]  # every level's RGB pixels, base first
    spacings_um: tuple[float, ...]


@pytest.fixture(scope="session")
def conformant(tmp_path_factory: pytest.TempPathFactory) -> ConformantSlide:
    folder = tmp_path_factory.mktemp("conformant")
    request = SyntheticSlideRequest(
        kind="malignant", seed=7, width_um=600, height_um=500, tile_size=256
    )
    write_synthetic_slide(folder, request)
    with WsiDicom.open(folder) as wsi:
        levels = tuple(
            np.asarray(wsi.read_region((0, 0), level.level, level.size.to_tuple(), as_array=True))
            for level in wsi.levels
        )
        spacings = tuple(float(level.mpp.width) for level in wsi.levels)
    return ConformantSlide(folder, tuple(level[..., :3] for level in levels), spacings)
