"""One small slide (2048 x 1536, tiles of 256, label and overview), written once per session."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from dicom.wsi import (
    PyramidSpec,
    SlideIdentity,
    make_label_image,
    synthetic_identity,
    write_pyramid,
)
from tests.dicom.wsi.renderers import ShapesRenderer


@dataclass(frozen=True)
class WrittenSlide:
    folder: Path
    paths: list[Path]
    spec: PyramidSpec
    identity: SlideIdentity
    renderer: ShapesRenderer


def write_slide(folder: Path, spec: PyramidSpec, seed: int = 3) -> WrittenSlide:
    renderer = ShapesRenderer(spec.width, spec.height)
    identity = synthetic_identity(seed, case="T-1", kind="test")
    overview = renderer.region(0, 0, spec.width, spec.height)[::7, ::7].copy()
    paths = write_pyramid(
        folder,
        renderer,
        spec,
        identity,
        label=make_label_image(identity),
        overview=overview,
    )
    return WrittenSlide(folder, paths, spec, identity, renderer)


@pytest.fixture(scope="session")
def slide(tmp_path_factory: pytest.TempPathFactory) -> WrittenSlide:
    spec = PyramidSpec(2048, 1536, tile_size=256)
    return write_slide(tmp_path_factory.mktemp("slide"), spec)
