"""Small synthetic slides shared by the tests (layouts are cheap, but renders are not)."""

import pytest

from inference.synthetic import SlideKind, SlideLayout, make_layout

WIDTH_UM, HEIGHT_UM = 4_000.0, 3_000.0


@pytest.fixture(scope="package")
def malignant() -> SlideLayout:
    return make_layout(SlideKind.MALIGNANT, 3, WIDTH_UM, HEIGHT_UM)


@pytest.fixture(scope="package")
def benign() -> SlideLayout:
    return make_layout(SlideKind.BENIGN, 3, WIDTH_UM, HEIGHT_UM)
