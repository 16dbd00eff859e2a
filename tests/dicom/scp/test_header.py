"""Reading what we index from received files: strict where we need a value, lenient elsewhere."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from config.kinds import ImageType
from dicom.scp.header import read_instance
from dicom.scp.status import InstanceRefusedError, StoreStatus
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.dicom.scp.instances import (
    as_received,
    empty_offset_table,
    garbage,
    rewrite,
    truncated,
    without,
)


def _refusal(path: Path) -> InstanceRefusedError:
    with pytest.raises(InstanceRefusedError) as raised:
        read_instance(*as_received(path))
    return raised.value


def test_a_conformant_level_is_described(slide: SyntheticSlide) -> None:
    instance = read_instance(*as_received(slide.levels[0]))
    assert instance.study.study_instance_uid == slide.study_uid
    assert instance.slide.series_instance_uid == slide.series_uid
    assert instance.study.accession_number == slide.accession_number
    assert instance.image.image_type is ImageType.VOLUME
    assert instance.image.resampled is False
    assert (instance.image.total_pixel_matrix_columns, instance.image.total_pixel_matrix_rows) == (
        slide.width,
        slide.height,
    )
    assert instance.image.number_of_frames == 90
    assert instance.slide.container_identifier and instance.slide.specimen_identifier


def test_levels_label_and_overview_have_their_kinds(slide: SyntheticSlide) -> None:
    kinds = [read_instance(*as_received(path)).image for path in (*slide.levels, *slide.extras)]
    assert [image.image_type for image in kinds] == [ImageType.VOLUME] * 4 + [
        ImageType.LABEL,
        ImageType.OVERVIEW,
    ]
    assert [image.resampled for image in kinds[:4]] == [False, True, True, True]


def test_missing_image_type_is_indexed_as_a_volume_of_unknown_origin(
    level0: Path, tmp_path: Path
) -> None:
    image = read_instance(*as_received(rewrite(level0, tmp_path / "x.dcm", without("ImageType"))))
    assert (image.image.image_type, image.image.resampled) == (ImageType.VOLUME, None)


@pytest.mark.parametrize(
    "edit",
    [without("PyramidUID"), empty_offset_table, without("PatientName", "PatientID")],
    ids=["no-pyramid-uid", "empty-offset-table", "no-patient"],
)
def test_non_conformant_but_indexable_files_are_accepted(
    level0: Path, tmp_path: Path, edit: Callable[[Dataset], None]
) -> None:
    instance = read_instance(*as_received(rewrite(level0, tmp_path / "x.dcm", edit)))
    assert instance.image.number_of_frames == 90


def test_a_single_frame_without_total_matrix_takes_its_size_from_rows_and_columns(
    slide: SyntheticSlide, tmp_path: Path
) -> None:
    edit = without("TotalPixelMatrixColumns", "TotalPixelMatrixRows")
    image = read_instance(*as_received(rewrite(slide.extras[0], tmp_path / "x.dcm", edit))).image
    assert (image.total_pixel_matrix_columns, image.total_pixel_matrix_rows) == (512, 512)


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("StudyInstanceUID", r"StudyInstanceUID \(0020,000D\) is missing"),
        ("SeriesInstanceUID", r"SeriesInstanceUID \(0020,000E\) is missing"),
        ("Rows", r"Rows \(0028,0010\) is missing"),
        ("PixelData", r"no Pixel Data"),
        ("SOPClassUID", r"SOPClassUID \(0008,0016\) is missing"),
    ],
)
def test_missing_required_attributes_are_refused_by_name(
    level0: Path, tmp_path: Path, keyword: str, message: str
) -> None:
    refusal = _refusal(rewrite(level0, tmp_path / "x.dcm", without(keyword)))
    assert refusal.status is StoreStatus.DATA_SET_DOES_NOT_MATCH
    assert re.search(message, refusal.reason)


@pytest.mark.filterwarnings("ignore:.*VR UI:UserWarning")
@pytest.mark.parametrize("value", ["1.2.abc", "1.02.3", "../../etc", "1." + "2" * 70])
def test_invalid_uids_are_refused_before_they_name_anything(
    level0: Path, tmp_path: Path, value: str
) -> None:
    def edit(dataset: Dataset) -> None:
        dataset.SeriesInstanceUID = value

    refusal = _refusal(rewrite(level0, tmp_path / "x.dcm", edit))
    assert refusal.status is StoreStatus.DATA_SET_DOES_NOT_MATCH
    assert "is not a valid UID" in refusal.reason


@pytest.mark.filterwarnings("ignore:Expected explicit VR:UserWarning")
@pytest.mark.parametrize("seed", range(5))
def test_garbage_is_refused_with_a_reason(tmp_path: Path, seed: int) -> None:
    refusal = _refusal(garbage(tmp_path / "garbage.dcm", seed=seed))
    assert refusal.status is StoreStatus.CANNOT_UNDERSTAND
    assert "not a DICOM data set" in refusal.reason


@pytest.mark.parametrize("keep", [0.3, 0.9, 0.9999])
def test_truncated_files_are_refused_with_where_they_end(
    level0: Path, tmp_path: Path, keep: float
) -> None:
    refusal = _refusal(truncated(level0, tmp_path / "cut.dcm", keep=keep))
    assert refusal.status is StoreStatus.CANNOT_UNDERSTAND
    assert "truncated" in refusal.reason


def test_fewer_fragments_than_frames_is_refused(level0: Path, tmp_path: Path) -> None:
    def edit(dataset: Dataset) -> None:
        dataset.NumberOfFrames = 200

    refusal = _refusal(rewrite(level0, tmp_path / "x.dcm", edit))
    assert "90 fragments for 200 frames" in refusal.reason


def test_a_data_set_that_is_not_what_the_request_said_is_refused(level0: Path) -> None:
    received, request = as_received(level0)
    other = type(request)(**{**request.__dict__, "sop_instance_uid": "1.2.3.4"})
    with pytest.raises(InstanceRefusedError, match="differs from the request"):
        read_instance(received, other)
