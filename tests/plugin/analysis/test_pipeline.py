"""The job pipeline on real slides: SEG and SR written and valid, same UIDs on a re-run."""

import dataclasses
import shutil
from pathlib import Path

import pytest
from pydicom import Dataset, dcmread

from db.models import ImageType
from db.results import ResultValues
from plugin.analysis.contract import JobFailedError, NotEvaluable, StoredInstance
from tests.dicom.conformance import assert_dciodvfy_clean
from tests.dicom.slide.nonconformant import with_image_type, without_pyramid_uid
from tests.plugin.conftest import Analysed
from tests.plugin.slides import blank_slide, job_context


def test_outputs_are_valid_dicom_on_the_source_study(slide: Path, analysed: Analysed) -> None:
    values, _, _ = analysed
    outputs = [file.path for file in values.files]
    assert outputs[-1] == values.sr_path and outputs[0] == values.seg_path
    assert len(outputs) >= 2  # the SEG (a pyramid down to the coarsest level) and the SR
    source = dcmread(slide / "level-0.dcm", stop_before_pixels=True)
    for path in outputs:
        assert_dciodvfy_clean(path)
        header = dcmread(path, stop_before_pixels=True)
        assert header.StudyInstanceUID == source.StudyInstanceUID
    for path in outputs[:-1]:
        seg = dcmread(path, stop_before_pixels=True)
        assert seg.FrameOfReferenceUID == source.FrameOfReferenceUID
    assert dcmread(values.sr_path).SOPInstanceUID == values.sr_sop_instance_uid
    assert dcmread(values.seg_path).SOPInstanceUID == values.seg_sop_instance_uid


def test_result_values_describe_the_analysis(
    analysed: Analysed,
) -> None:
    values, progress, _ = analysed
    assert 0.0 <= values.score <= 1.0
    assert values.suspicious == (values.score >= values.threshold)
    assert values.model_name == "tiny-test" and len(values.weights_sha256) == 64
    assert values.tissue_area_mm2 is not None and 0.05 < values.tissue_area_mm2 < 0.385
    assert values.thumbnail_path is not None and values.thumbnail_path.is_file()
    assert values.heatmap_path is not None and values.heatmap_path.is_file()
    fractions = [fraction for fraction, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] < 1.0
    assert {stage for _, stage in progress} >= {"opening", "analysing", "writing results"}


def test_a_rerun_gives_the_same_uids_in_the_same_folder(slide: Path, analysed: Analysed) -> None:
    first, _, pipeline = analysed
    again = pipeline(job_context(slide))
    assert isinstance(again, ResultValues)
    assert (again.seg_sop_instance_uid, again.sr_sop_instance_uid) == (
        first.seg_sop_instance_uid,
        first.sr_sop_instance_uid,
    )
    assert again.files == first.files
    assert again.score == pytest.approx(first.score)


def test_a_slide_of_bare_glass_is_not_evaluable(
    weights: Path, tmp_path: Path, analysed: Analysed
) -> None:
    _, _, pipeline = analysed
    outcome = pipeline(job_context(blank_slide(tmp_path / "blank")))
    assert isinstance(outcome, NotEvaluable)
    assert "not evaluable" in outcome.reason


def test_a_not_evaluable_slide_gets_a_report_that_says_why(
    tmp_path: Path, analysed: Analysed
) -> None:
    _, _, pipeline = analysed
    context = job_context(blank_slide(tmp_path / "blank"))
    outcome = pipeline(context)
    assert isinstance(outcome, NotEvaluable) and outcome.report is not None
    report = outcome.report.report
    assert_dciodvfy_clean(report.path)
    header = dcmread(report.path)
    assert header.SOPInstanceUID == report.sop_instance_uid
    assert header.SeriesDescription == "AI: not evaluable (unverified)"
    assert outcome.reason in {item.TextValue for item in _text_items(header)}
    assert outcome.report.model_name == "tiny-test"
    again = pipeline(context)
    assert isinstance(again, NotEvaluable) and again.report == outcome.report


def test_a_folder_without_a_slide_fails_permanently(tmp_path: Path, analysed: Analysed) -> None:
    _, _, pipeline = analysed
    (tmp_path / "junk.dcm").write_bytes(b"not dicom at all")
    context = job_context(blank_slide(tmp_path / "real"))
    broken = context.slide.__class__(
        slide_id=2,
        study_instance_uid=context.slide.study_instance_uid,
        series_instance_uid=context.slide.series_instance_uid,
        storage_dir=tmp_path,
        instances=(StoredInstance("1.2.3", ImageType.OTHER, tmp_path / "junk.dcm"),),
    )
    with pytest.raises(JobFailedError, match="no readable"):
        pipeline(context.__class__(2, 1, "k", "cpu", broken, lambda f, s: None))


def test_a_repaired_slide_is_analysed_and_its_repairs_recorded(
    slide: Path, tmp_path: Path, analysed: Analysed
) -> None:
    _, _, pipeline = analysed
    no_uid = without_pyramid_uid(slide, tmp_path / "no-pyramid-uid")
    broken = with_image_type(no_uid, tmp_path / "no-image-type", lambda _: None)
    outcome = pipeline(job_context(broken))
    assert isinstance(outcome, ResultValues)
    repairs = " ".join(outcome.stats["repairs"])
    assert "PyramidUID" in repairs and "ImageType" in repairs
    for file in outcome.files:
        assert_dciodvfy_clean(file.path)


def test_new_content_gets_new_uids_and_a_new_folder(slide: Path, analysed: Analysed) -> None:
    first, _, pipeline = analysed
    changed = dataclasses.replace(job_context(slide), content_key="content-after-a-rescan")
    again = pipeline(changed)
    assert isinstance(again, ResultValues)
    assert again.seg_sop_instance_uid != first.seg_sop_instance_uid
    assert again.sr_sop_instance_uid != first.sr_sop_instance_uid
    assert again.sr_path.parent != first.sr_path.parent
    assert first.sr_path.is_file() and dcmread(first.sr_path).SOPInstanceUID == (
        first.sr_sop_instance_uid
    )


def test_only_the_files_the_job_names_are_analysed(
    slide: Path, tmp_path: Path, analysed: Analysed
) -> None:
    first, _, pipeline = analysed
    folder = tmp_path / "slide"
    shutil.copytree(slide, folder)
    context = job_context(folder)
    # A stray file in the series folder that the job does not name (a truncated level).
    (folder / "stray.dcm").write_bytes((folder / "level-0.dcm").read_bytes()[:4096])
    outcome = pipeline(context)
    assert isinstance(outcome, ResultValues)
    assert outcome.sr_sop_instance_uid == first.sr_sop_instance_uid  # the same content
    assert "stray.dcm" not in " ".join(outcome.stats["repairs"])


def _text_items(report: Dataset) -> list[Dataset]:
    items, pending = [], list(report.ContentSequence)
    while pending:
        item = pending.pop()
        if item.ValueType == "TEXT":
            items.append(item)
        pending.extend(item.get("ContentSequence", []))
    return items
