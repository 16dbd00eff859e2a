"""Pyramid levels: at least four, two-fold apart, down to a thumbnail-sized one."""

import itertools

import pytest

from dicom.wsi import PyramidSpec, SlideWriteError


def test_a_scanner_sized_slide_goes_down_to_a_thumbnail() -> None:
    levels = PyramidSpec(100_000, 80_000).levels
    assert len(levels) == 9
    assert max(levels[-1].width, levels[-1].height) <= 512
    assert max(levels[-2].width, levels[-2].height) > 512
    assert levels[1].spacing_um == pytest.approx(0.476)
    for above, below in itertools.pairwise(levels):
        assert below.width == (above.width + 1) // 2
        assert below.spacing_um == pytest.approx(2 * above.spacing_um)


def test_a_small_slide_still_gets_four_levels() -> None:
    levels = PyramidSpec(600, 300).levels
    assert [(level.width, level.height) for level in levels] == [
        (600, 300),
        (300, 150),
        (150, 75),
        (75, 38),
    ]


def test_frames_cover_the_level() -> None:
    base = PyramidSpec(1000, 513, tile_size=256).base
    assert (base.tiles_across, base.tiles_down, base.frame_count) == (4, 3, 12)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"width": 4, "height": 100}, "at least 8 pixels"),
        ({"width": 100, "height": 100, "tile_size": 100}, "multiple of 16"),
        ({"width": 100, "height": 100, "jpeg_quality": 0}, "jpeg_quality"),
        ({"width": 100, "height": 100, "spacing_um": 0}, "spacing_um"),
        ({"width": 100, "height": 100, "min_level_size": 0}, "min_level_size"),
    ],
)
def test_impossible_specs_are_refused(arguments: dict[str, int], message: str) -> None:
    with pytest.raises(SlideWriteError, match=message):
        PyramidSpec(**arguments)
