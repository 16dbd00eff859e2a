"""The pyramid rule: complete from the headers alone, never before the base and the chain."""

from dataclasses import replace

from config.kinds import ImageType
from dicom.scp.pyramid import THUMBNAIL_MAX_SIDE, is_pyramid_complete
from dicom.scp.received import ImageFields


def _level(
    width: int, height: int, *, resampled: bool | None = True, **extra: object
) -> ImageFields:
    return ImageFields(
        image_type=ImageType.VOLUME,
        resampled=resampled,
        total_pixel_matrix_columns=width,
        total_pixel_matrix_rows=height,
        number_of_frames=1,
        **extra,  # type: ignore[arg-type]
    )


BASE = _level(40_000, 30_000, resampled=False)
HALVINGS = [_level(40_000 // 2**n, 30_000 // 2**n) for n in range(1, 6)]  # down to 1250 wide


def test_base_and_every_level_down_to_a_thumbnail_is_complete() -> None:
    assert is_pyramid_complete([BASE, *HALVINGS])


def test_order_of_arrival_does_not_matter() -> None:
    assert is_pyramid_complete([*reversed(HALVINGS), BASE])


def test_without_the_base_it_is_not_complete() -> None:
    assert not is_pyramid_complete(HALVINGS)


def test_a_gap_larger_than_the_level_step_is_not_complete() -> None:
    assert not is_pyramid_complete([BASE, HALVINGS[0], HALVINGS[4]])  # 20000 -> 1250: 16x


def test_levels_four_times_apart_are_complete() -> None:
    assert is_pyramid_complete([BASE, HALVINGS[1], HALVINGS[3]])  # 40000, 10000, 2500


def test_until_a_thumbnail_sized_level_arrives_it_is_not_complete() -> None:
    assert not is_pyramid_complete([BASE, *HALVINGS[:2]])  # smallest 10000 wide
    assert HALVINGS[2].total_pixel_matrix_columns == 5000 > THUMBNAIL_MAX_SIDE


def test_a_thumbnail_image_ends_the_chain() -> None:
    thumbnail = replace(_level(2500, 1875), image_type=ImageType.THUMBNAIL)
    assert is_pyramid_complete([BASE, *HALVINGS[:3], thumbnail])


def test_labels_and_overviews_do_not_count() -> None:
    label = replace(_level(500, 500), image_type=ImageType.LABEL)
    assert not is_pyramid_complete([BASE, *HALVINGS[:3], label])


def test_without_image_type_origin_only_the_quiet_period_completes_it() -> None:
    unknown = replace(BASE, resampled=None)
    assert not is_pyramid_complete([unknown, *HALVINGS])


def test_a_concatenated_level_needs_all_its_parts() -> None:
    parts = [
        _level(
            40_000,
            30_000,
            resampled=False,
            concatenation_uid="1.2.3",
            concatenation_number=n,
            concatenation_total=3,
        )
        for n in (1, 2, 3)
    ]
    assert not is_pyramid_complete([parts[0], parts[2], *HALVINGS])
    assert is_pyramid_complete([*parts, *HALVINGS])


def test_a_concatenation_without_a_total_is_never_judged_whole() -> None:
    part = _level(
        40_000, 30_000, resampled=False, concatenation_uid="1.2.3", concatenation_number=1
    )
    assert not is_pyramid_complete([part, *HALVINGS])


def test_nothing_is_not_a_pyramid() -> None:
    assert not is_pyramid_complete([])
