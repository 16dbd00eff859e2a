"""The quality gate through the real pipeline: a blurred slide is not evaluable, with the reason
and fractions in its result and SR, never a score; a partly blurred one is scored with a
warning, its QC picture turned like the thumbnail; the worklist and /metrics follow."""

from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image
from pydicom import dcmread

from config import QualitySettings, Settings
from db.models import JobState, QualityOutcome, Result
from db.results import ResultValues, add_unjudged_result
from db.session import Database
from db.worklist import Priority, worklist_entry
from plugin.analysis.contract import NotEvaluable
from plugin.analysis.pipeline import SlidePipeline
from plugin.metrics import ServiceMetrics
from tests.db.factories import add_case, add_job, add_slide
from tests.dicom.conformance import assert_dciodvfy_clean
from tests.plugin.conftest import Analysed
from tests.plugin.slides import blurred_slide, job_context, service_settings


@pytest.fixture(scope="module")
def settings(weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return service_settings(tmp_path_factory.mktemp("data"), weights)


@pytest.fixture(scope="module")
def blurred(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> NotEvaluable:
    """The benign slide, all of it heavily out of focus, through the pipeline."""
    folder = blurred_slide(tmp_path_factory.mktemp("blurred"), sigma_um=4.0)
    outcome = SlidePipeline(settings)(job_context(folder))
    assert isinstance(outcome, NotEvaluable)
    return outcome


def _text_values(path: Path) -> list[str]:
    found, pending = [], list(dcmread(path).ContentSequence)
    while pending:
        item = pending.pop()
        if item.ValueType == "TEXT":
            found.append(str(item.TextValue))
        pending.extend(item.get("ContentSequence", []))
    return found


def _coded(path: Path, concept: str) -> list[str]:
    """The code values of the report's items named `concept` (a code value)."""
    found, pending = [], list(dcmread(path).ContentSequence)
    while pending:
        item = pending.pop()
        if item.ConceptNameCodeSequence[0].CodeValue == concept:
            value = item.get("ConceptCodeSequence") or item.get("MeasuredValueSequence")
            found.append(str(value[0].get("CodeValue", value[0].get("NumericValue"))))
        pending.extend(item.get("ContentSequence", []))
    return found


def test_a_blurred_slide_is_not_evaluable_with_the_reason_in_words(
    blurred: NotEvaluable,
) -> None:
    assert blurred.reason.startswith("the slide is not evaluable: ")
    assert "of the tissue out of focus" in blurred.reason
    assert "evaluable, at least 70% needed" in blurred.reason
    assert blurred.report is not None
    quality = blurred.report.quality
    assert quality is not None and quality.outcome is QualityOutcome.NOT_EVALUABLE
    assert quality.reason == "out of focus"
    assert quality.fractions["out of focus"] > 0.3
    assert quality.evaluable_fraction is not None and quality.evaluable_fraction < 0.7
    assert quality.picture_path is not None and quality.picture_path.is_file()
    assert blurred.report.thumbnail_path is not None


def test_a_blurred_slide_never_gets_a_score(blurred: NotEvaluable, database: Database) -> None:
    assert blurred.report is not None
    report = blurred.report.report.path
    assert_dciodvfy_clean(report)
    assert blurred.reason in _text_values(report)  # the SR says why, with the fractions
    assert _coded(report, "111047") == []  # no probability of cancer
    assert _coded(report, "111042") == ["NOTEVAL"]  # Pathology: not evaluable, never benign
    with database.session() as session, session.begin():
        case = add_case(session)
        job = add_job(session, add_slide(session, case), JobState.NOT_EVALUABLE, reason="x")
        add_unjudged_result(session, job, blurred.report, ["pacs"])
        case_id = case.id
    with database.session() as session:
        (row,) = session.scalars(sa.select(Result))
        assert (row.score, row.suspicious) == (None, None)
        assert (row.quality_outcome, row.quality_reason) == ("not_evaluable", "out of focus")
        assert row.quality_findings and row.has_qc and row.has_thumbnail
        # The worklist puts it with the cases that need a person.
        assert worklist_entry(session, 0.5, case_id).priority is Priority.ATTENTION
    metrics = ServiceMetrics()
    metrics.watch(database, None)
    labels = {"outcome": "not_evaluable", "reason": "out of focus"}
    assert metrics.registry.get_sample_value("pathsentry_quality_outcomes_total", labels) == 1


@pytest.fixture(scope="module")
def half_blurred(weights: Path, tmp_path_factory: pytest.TempPathFactory) -> ResultValues:
    """The slide with its left half (in stored pixels) out of focus, where half the tissue
    suffices to judge it."""
    folder = blurred_slide(tmp_path_factory.mktemp("half"), sigma_um=4.0, left_only=True)
    gate = QualitySettings(min_evaluable_fraction=0.3)
    settings = service_settings(tmp_path_factory.mktemp("data"), weights, quality=gate)
    outcome = SlidePipeline(settings)(job_context(folder))
    assert isinstance(outcome, ResultValues)
    return outcome


def test_a_partly_blurred_slide_is_scored_with_a_warning(half_blurred: ResultValues) -> None:
    quality = half_blurred.quality
    assert quality is not None and quality.outcome is QualityOutcome.EXCLUDED
    assert quality.warning is not None
    assert quality.warning.endswith("of the tissue out of focus, not analysed")
    assert 0.2 < quality.fractions["out of focus"] < 0.8
    assert quality.warning in _text_values(half_blurred.sr_path)
    assert_dciodvfy_clean(half_blurred.sr_path)


def test_the_qc_picture_is_turned_like_the_thumbnail(half_blurred: ResultValues) -> None:
    quality = half_blurred.quality
    assert quality is not None and quality.picture_path is not None
    assert half_blurred.thumbnail_path is not None
    thumbnail = np.asarray(Image.open(half_blurred.thumbnail_path).convert("L"))
    picture = np.asarray(Image.open(quality.picture_path))
    assert picture.shape[:2] == thumbnail.shape and picture.shape[2] == 4
    defects = picture[..., 3] > 0
    columns = np.nonzero(defects.any(axis=0))[0]
    # The stored left half is blurred; viewers show these slides turned by 180 degrees, so the
    # defects lie on the right of both pictures, and on the thumbnail's tissue.
    middle = thumbnail.shape[1] // 2
    assert columns.min() >= middle - 8
    assert np.median(thumbnail[defects]) < 220  # tissue, not glass


def test_a_clean_slide_says_all_tissue_was_analysed(analysed: Analysed) -> None:
    values, _, _ = analysed
    assert values.quality is not None and values.quality.outcome is QualityOutcome.CLEAN
    assert values.quality.warning is None and values.quality.findings == ()
    assert "all tissue analysed" in _text_values(values.sr_path)
