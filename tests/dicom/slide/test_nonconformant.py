"""Files as real scanners and converters write them: repaired and read like the conformant slide,
or refused with a message that names the file and the attribute."""

import hashlib
import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset

from dicom.slide import NoSlideError, SlideError, SlideReadError, WholeSlideImage
from tests.dicom.slide import nonconformant as nc
from tests.dicom.slide.conftest import ConformantSlide

Variant = nc.Variant
ALL_LEVELS = r"level-0\.dcm, level-1\.dcm, level-2\.dcm, level-3\.dcm: "
OMITTED_TILES = ((0, 0), (3, 2))


def _scale_spacing(factor: float) -> nc.Edit:
    def edit(_: str, dataset: Dataset) -> None:
        measures = dataset.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
        measures.PixelSpacing = [float(value) * factor for value in measures.PixelSpacing]

    return edit


OPENS: list[tuple[str, Variant, list[str]]] = [
    (
        "image-type-missing",
        lambda s, o: nc.with_image_type(s, o, lambda _: None, keep_frame_type=False),
        [ALL_LEVELS + r"ImageType is missing; read as VOLUME \(a tiled image without the slide"],
    ),
    (
        "image-type-missing-frame-type-kept",
        lambda s, o: nc.with_image_type(s, o, lambda _: None),
        [ALL_LEVELS + r"ImageType is missing; read as VOLUME from FrameType"],
    ),
    (
        "image-type-two-values",
        lambda s, o: nc.with_image_type(s, o, lambda v: v[:2], keep_frame_type=False),
        [r"level-0\.dcm: ImageType \['ORIGINAL', 'PRIMARY'\] does not state the flavour"],
    ),
    (
        "image-type-flavour-fourth",
        lambda s, o: nc.with_image_type(
            s, o, lambda v: [*v[:2], v[3], v[2]], keep_frame_type=False
        ),
        [r"level-1\.dcm.*: ImageType .* read as VOLUME from the other values of ImageType"],
    ),
    (
        "image-type-unknown-flavour",
        lambda s, o: nc.with_image_type(
            s, o, lambda v: [*v[:2], "WSI", v[3]], keep_frame_type=False
        ),
        [r"level-0\.dcm: ImageType \['ORIGINAL', 'PRIMARY', 'WSI', 'NONE'\] .* read as VOLUME"],
    ),
    (
        "label-and-overview-without-image-type",
        lambda s, o: nc.with_image_type(
            s, o, lambda _: None, names=nc.LABEL_AND_OVERVIEW, keep_frame_type=False
        ),
        [r"label\.dcm: ImageType is missing; read as LABEL", r"overview\.dcm: .* as OVERVIEW"],
    ),
    (
        "pyramid-uid-missing",
        nc.without_pyramid_uid,
        [ALL_LEVELS + "PyramidUID is missing; the levels are grouped by series and frame"],
    ),
    (
        "offset-tables-missing",
        nc.without_offset_tables,
        [ALL_LEVELS + "the Basic Offset Table is empty .* found by scanning the Pixel Data"],
    ),
    (
        "dimension-organization-type-missing",
        nc.without_dimension_organization_type,
        [r"level-0\.dcm: DimensionOrganizationType is missing; read as TILED_FULL"],
    ),
    (
        "sparse-without-dimension-organization-type",
        lambda s, o: nc.sparse(s, o, organization_type=None),
        [r"level-0\.dcm: DimensionOrganizationType is missing; read as TILED_SPARSE"],
    ),
    ("concatenation", nc.concatenated, []),
    (
        "level-split-without-concatenation",
        nc.split_without_concatenation,
        [r"level-0-part1\.dcm, level-0-part2\.dcm: one level in several TILED_SPARSE instances"],
    ),
    (
        "origin-missing",
        nc.without_origin,
        [ALL_LEVELS + "TotalPixelMatrixOriginSequence is missing; the default is used"],
    ),
    (
        "origin-missing-on-one-level",
        lambda s, o: nc.without_origin(s, o, names=["level-1.dcm"]),
        [r"level-1\.dcm: TotalPixelMatrixOriginSequence is missing; that of level-0\.dcm"],
    ),
    (
        "imaged-volume-missing",
        nc.without_imaged_volume,
        [ALL_LEVELS + "ImagedVolumeWidth/Height are missing; computed from PixelSpacing"],
    ),
    (
        "spacing-from-imaged-volume",
        nc.without_pixel_spacing,
        [ALL_LEVELS + r"PixelSpacing is missing .*; taken from ImagedVolumeWidth/Height"],
    ),
    (
        "spacing-at-top-level",
        lambda s, o: nc.without_pixel_spacing(s, o, keep_imaged_volume=False, at_top_level=True),
        [ALL_LEVELS + "PixelSpacing is missing .*; taken from the top-level PixelSpacing"],
    ),
    (
        "spacing-in-per-frame-groups",
        lambda s, o: nc.sparse(s, o, spacing_per_frame=True),
        [r"level-0\.dcm: PixelSpacing is missing .*; taken from the first Per-Frame"],
    ),
    (
        "spacing-missing-on-one-level",
        lambda s, o: nc.without_pixel_spacing(
            s, o, names=["level-2.dcm"], keep_imaged_volume=False
        ),
        [r"level-2\.dcm: PixelSpacing is missing .*; derived from level-0\.dcm"],
    ),
    ("foreign-files", nc.with_foreign_files, []),
    (
        "second-series",
        lambda s, o: nc.with_copies(s, o, ["level-2.dcm", "level-3.dcm"]),
        [r"copy-level-2\.dcm, copy-level-3\.dcm: another series than the one opened"],
    ),
    (
        "duplicate-level",
        lambda s, o: nc.with_copies(s, o, ["level-1.dcm"], new_series=False),
        [r"level-1\.dcm: the same level as copy-level-1\.dcm \(a duplicate\); left out"],
    ),
    (
        "level-not-a-power-of-two",
        lambda s, o: nc.with_copies(
            s, o, ["level-1.dcm"], new_series=False, edit=_scale_spacing(1.5)
        ),
        [r"copy-level-1\.dcm: its pixels are 3\.000 times .* not a power of two; left out"],
    ),
    ("native-implicit-vr", nc.as_native_implicit_vr, []),
]

FAILS: list[tuple[str, Variant, type[SlideError], str]] = [
    (
        "spacing-missing-everywhere",
        lambda s, o: nc.without_pixel_spacing(s, o, keep_imaged_volume=False),
        SlideError,
        r"^level-0\.dcm: PixelSpacing is missing \(Shared Functional Groups > Pixel Measures "
        r"Sequence\) and cannot be derived: .*no ImagedVolumeWidth/Height",
    ),
    (
        "truncated-in-pixel-data",
        lambda s, o: nc.truncated(s, o, "level-1.dcm", keep=0.6),
        SlideError,
        r"^level-1\.dcm: the frames in its Pixel Data cannot be found .* truncated",
    ),
    (
        "truncated-in-last-frame",
        lambda s, o: nc.truncated(s, o, "level-1.dcm", keep=0.995),
        SlideError,
        r"^level-1\.dcm is truncated: its 25 frames need \d+ bytes more than the file holds",
    ),
    (
        "truncated-in-header",
        lambda s, o: nc.truncated(s, o, "level-1.dcm", keep=0.005),
        SlideError,
        r"^level-1\.dcm ends after \d+ bytes, before its Pixel Data: the file is truncated",
    ),
    (
        "pixels-far-from-square",
        lambda s, o: nc.with_non_square_pixels(s, o, ratio=1.5),
        SlideError,
        r"^level-0\.dcm: PixelSpacing states pixels of 0\.3570 x 0\.2380 um .*, 50% from square",
    ),
    (
        "tiling-undetermined",
        lambda s, o: nc.sparse(
            s, o, omitted=OMITTED_TILES, organization_type=None, per_frame_groups=False
        ),
        SlideError,
        r"^level-0\.dcm: DimensionOrganizationType is missing and cannot be derived: its 88 "
        r"frames \(NumberOfFrames\) are not the 90 tiles",
    ),
    (
        "tiled-full-level-split-without-concatenation",
        lambda s, o: nc.concatenated(s, o, attributes=False),
        SlideError,
        r"^level-0-part1\.dcm: DimensionOrganizationType is TILED_FULL, but its 45 frames "
        r"\(NumberOfFrames\) are not the 90 tiles",
    ),
    (
        "rows-missing",
        lambda s, o: nc.copy_slide(s, o, lambda _, d: delattr(d, "Rows"), ["level-2.dcm"]),
        SlideError,
        r"^level-2\.dcm: Rows is missing \(a Type 1 attribute\) and cannot be derived",
    ),
    (
        "labels-only",
        lambda s, o: nc.only(s, o, nc.LABEL_AND_OVERVIEW),
        NoSlideError,
        r"holds 2 VL Whole Slide Microscopy files but no readable .* pyramid level",
    ),
]


def _ids(cases: Sequence[tuple[object, ...]]) -> list[str]:
    return [str(case[0]) for case in cases]


@pytest.mark.parametrize(("name", "make", "expected"), OPENS, ids=_ids(OPENS))
def test_variant_opens_with_its_repairs_listed_and_reads_the_same_pixels(
    name: str, make: Variant, expected: list[str], conformant: ConformantSlide, tmp_path: Path
) -> None:
    make(conformant.folder, tmp_path)
    with WholeSlideImage.open(tmp_path) as slide:
        _assert_same_pyramid(slide, conformant)
        repairs = "\n".join(slide.repairs)
    for pattern in expected:
        assert re.search(pattern, repairs), f"{pattern!r} not in:\n{repairs}"
    if not expected:
        assert repairs == ""


@pytest.mark.parametrize(("name", "make", "error", "message"), FAILS, ids=_ids(FAILS))
def test_variant_that_cannot_be_read_fails_naming_file_and_attribute(
    name: str,
    make: Variant,
    error: type[SlideError],
    message: str,
    conformant: ConformantSlide,
    tmp_path: Path,
) -> None:
    make(conformant.folder, tmp_path)
    with pytest.raises(error, match=message):
        WholeSlideImage.open(tmp_path)


def test_sparse_level_reads_omitted_tiles_as_blank(
    conformant: ConformantSlide, tmp_path: Path
) -> None:
    nc.sparse(conformant.folder, tmp_path, omitted=OMITTED_TILES)
    with WholeSlideImage.open(tmp_path) as slide:
        base = slide.read_region(0, 0, 0, slide.levels[0].width, slide.levels[0].height)
        assert slide.repairs == ()
    expected = conformant.levels[0].copy()
    for column, row in OMITTED_TILES:
        expected[row * 256 : (row + 1) * 256, column * 256 : (column + 1) * 256] = 255
    assert np.array_equal(base, expected)


def test_non_square_pixels_use_their_mean_side(conformant: ConformantSlide, tmp_path: Path) -> None:
    nc.with_non_square_pixels(conformant.folder, tmp_path, ratio=1.04)
    with WholeSlideImage.open(tmp_path) as slide:
        spacings = [level.pixel_spacing_um for level in slide.levels]
        assert np.array_equal(
            slide.read_region(1, 0, 0, 500, 400), conformant.levels[1][:400, :500]
        )
        repairs = slide.repairs
    assert spacings == pytest.approx([s * 1.02 for s in conformant.spacings_um], rel=1e-3)
    assert repairs == (
        "level-0.dcm: pixels are not square (0.2475 x 0.2380 um (wide x high)); "
        "the mean side is used",
    )


def test_a_series_can_be_asked_for(conformant: ConformantSlide, tmp_path: Path) -> None:
    other = nc.with_copies(conformant.folder, tmp_path, ["level-2.dcm", "level-3.dcm"])
    with WholeSlideImage.open(tmp_path, series_uid=other) as slide:
        assert slide.series_uid == other
        assert [level.width for level in slide.levels] == [631, 316]
        assert np.array_equal(slide.read_region(0, 0, 0, 631, 526), conformant.levels[2])
    with pytest.raises(NoSlideError, match=r"no pyramid level .* of series 1\.2\.3"):
        WholeSlideImage.open(tmp_path, series_uid="1.2.3")


def test_undecodable_frame_is_named_when_its_region_is_read(
    conformant: ConformantSlide, tmp_path: Path
) -> None:
    nc.with_corrupt_frame(conformant.folder, tmp_path, "level-1.dcm", frame=5)
    with WholeSlideImage.open(tmp_path) as slide:
        assert np.array_equal(
            slide.read_region(1, 0, 0, 256, 256), conformant.levels[1][:256, :256]
        )
        with pytest.raises(
            SlideReadError,
            match=r"level-1\.dcm: frame 6 of 25 \(tile 0, 1\) cannot be decoded \(JPEG Baseline",
        ):
            slide.read_region(1, 100, 200, 200, 200)


def test_received_files_are_never_changed(conformant: ConformantSlide, tmp_path: Path) -> None:
    nc.without_pixel_spacing(conformant.folder, tmp_path / "one", at_top_level=True)
    folder = nc.without_origin(tmp_path / "one", tmp_path / "two")
    before = _digests(folder)
    with WholeSlideImage.open(folder) as slide:
        slide.read_region(0, 0, 0, 1000, 1000)
        assert len(slide.repairs) == 2
    assert _digests(folder) == before


def test_repaired_slide_reads_the_same_from_many_threads(
    conformant: ConformantSlide, tmp_path: Path
) -> None:
    nc.split_without_concatenation(conformant.folder, tmp_path)
    corners = [(x, y) for x in range(0, 2300, 310) for y in range(0, 1900, 290)]
    with WholeSlideImage.open(tmp_path) as slide, ThreadPoolExecutor(8) as pool:
        regions = list(pool.map(lambda c: slide.read_region(0, c[0], c[1], 200, 200), corners))
    for (x, y), region in zip(corners, regions, strict=True):
        assert np.array_equal(region, conformant.levels[0][y : y + 200, x : x + 200])


def test_each_repair_is_logged_once_at_info_without_identifiers(
    conformant: ConformantSlide, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nc.with_image_type(conformant.folder, tmp_path, lambda _: None, keep_frame_type=False)
    with (
        caplog.at_level(logging.INFO, logger="dicom.slide"),
        WholeSlideImage.open(tmp_path) as slide,
    ):
        repairs = slide.repairs
    logged = [record.getMessage() for record in caplog.records if record.name.startswith("dicom")]
    assert logged == [f"slide {tmp_path.name}: {repair}" for repair in repairs]
    assert not any("SYNTHETIC^" in message or "SYN-P-" in message for message in logged)


def _assert_same_pyramid(slide: WholeSlideImage, conformant: ConformantSlide) -> None:
    assert [(level.height, level.width) for level in slide.levels] == [
        level.shape[:2] for level in conformant.levels
    ]
    assert [level.pixel_spacing_um for level in slide.levels] == pytest.approx(
        conformant.spacings_um, rel=1e-3
    )
    for index, level in enumerate(slide.levels):
        pixels = slide.read_region(index, 0, 0, level.width, level.height)
        assert np.array_equal(pixels, conformant.levels[index]), f"level {index} differs"


def _digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.iterdir()}


def test_level_headers_are_the_repaired_headers_finest_first(
    conformant: ConformantSlide, tmp_path: Path
) -> None:
    split = nc.split_without_concatenation(conformant.folder, tmp_path / "split")
    levels = [path.name for path in split.glob("level-*.dcm")]
    nc.with_image_type(split, tmp_path / "slide", lambda _: None, names=levels)
    with WholeSlideImage.open(tmp_path / "slide") as slide:
        headers = slide.level_headers
        sizes = [(level.width, level.height) for level in slide.levels]
        headers[0].ImageType = ["DERIVED", "PRIMARY", "LABEL", "NONE"]
        assert slide.level_headers[0].ImageType[2] == "VOLUME"
    assert [h.ImageType[2] for h in headers[1:]] == ["VOLUME"] * 3  # repaired: it was missing
    assert [(h.TotalPixelMatrixColumns, h.TotalPixelMatrixRows) for h in headers] == sizes
    assert headers[0].InConcatenationNumber == 1
    assert "PixelData" not in headers[0]
