from pathlib import Path

import pytest

from plugin.tools.synthetic_slide import SyntheticSlide
from tests.dicom.scp.instances import small_slide


@pytest.fixture(scope="module")
def slide(tmp_path_factory: pytest.TempPathFactory) -> SyntheticSlide:
    return small_slide(tmp_path_factory.mktemp("slide"))


@pytest.fixture
def level0(slide: SyntheticSlide) -> Path:
    return slide.levels[0]
