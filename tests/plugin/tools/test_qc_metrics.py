"""The QC evaluation's arithmetic: cell areas, region counts, decisions, pooled figures."""

import numpy as np
import pytest

from inference.errors import PoorQualityError
from inference.gate import check_evaluable
from inference.quality import Defect, QualityMap, QualityParameters
from inference.tissue import Thumbnail, TissueMask
from plugin.tools.qc_metrics import (
    ANY,
    CellCounts,
    SlideDecision,
    SlideQC,
    cell_areas,
    count_cells,
    decide,
    summarise,
)
from plugin.tools.qc_report import markdown


def test_cell_areas_count_each_pixel_in_the_cell_of_its_centre() -> None:
    mask = np.zeros((6, 8), bool)
    mask[0:2, 0:2] = True  # 4 pixels in cell (0, 0)
    mask[5, 7] = True  # 1 pixel in the last, partial cell (1, 1)
    areas = cell_areas(mask, 2.0, 8.0, (2, 2))  # cells of 4 x 4 pixels
    assert areas.tolist() == [[16.0, 0.0], [0.0, 4.0]]


def test_cell_areas_agree_across_spacings() -> None:
    rng = np.random.default_rng(1)
    coarse = rng.random((10, 12)) > 0.5
    fine = np.repeat(np.repeat(coarse, 4, axis=0), 4, axis=1)
    assert np.array_equal(
        cell_areas(coarse, 4.0, 16.0, (3, 3)), cell_areas(fine, 1.0, 16.0, (3, 3))
    )


def test_regions_are_counted_on_tissue_at_half_coverage() -> None:
    cell = 10.0  # 100 um^2 a cell
    tissue = np.array([[100.0, 100.0, 60.0, 40.0, 100.0, 100.0]])
    truth = np.array([[50.0, 100.0, 31.0, 40.0, 0.0, 49.0]])
    found = np.array([[60.0, 0.0, 30.0, 40.0, 50.0, 0.0]])
    counts = count_cells(tissue, truth, found, cell)
    # cell 3 has too little tissue; cell 2: truth 31/60 yes, found 30/60 yes
    assert counts == CellCounts(2, 1, 1, 1)  # TP, FN, TN, FP
    assert counts.sensitivity == pytest.approx(2 / 3)
    assert counts.specificity == pytest.approx(1 / 2)


def test_no_regions_give_no_figure_rather_than_a_zero() -> None:
    assert CellCounts().sensitivity is None
    assert CellCounts(true_negative=3).specificity == 1.0


def test_decisions_follow_the_gate_rule() -> None:
    parameters = QualityParameters(min_evaluable_fraction=0.7)
    assert decide(0.5, parameters, True) is SlideDecision.NOT_EVALUABLE
    assert decide(0.9, parameters, True) is SlideDecision.WARNING
    assert decide(1.0, parameters, False) is SlideDecision.CLEAN


@pytest.mark.parametrize("evaluable_pixels", [0, 69, 70, 71, 100])
def test_a_slide_is_not_evaluable_exactly_when_the_gate_says_so(evaluable_pixels: int) -> None:
    thumbnail = Thumbnail(np.zeros((10, 10, 3), np.uint8), 8.0, 0)
    blur = np.zeros((10, 10), bool)
    blur.flat[evaluable_pixels:] = True
    quality = QualityMap(TissueMask(np.ones((10, 10), bool), thumbnail, 0.5), {Defect.BLUR: blur})
    parameters = QualityParameters(min_evaluable_fraction=0.7)
    decision = decide(quality.evaluable_fraction, parameters, bool(quality.excluded.any()))
    try:
        check_evaluable(quality, parameters)
    except PoorQualityError:
        assert decision is SlideDecision.NOT_EVALUABLE
    else:
        assert decision is not SlideDecision.NOT_EVALUABLE


def _slide(name: str, counts: CellCounts, truth: SlideDecision, found: SlideDecision) -> SlideQC:
    shares = {"pen": 0.2, "blur": 0.0}
    return SlideQC(name, ("pen",), {"pen": counts, ANY: counts}, shares, {}, truth, found, (), 0.1)


def test_summary_pools_regions_and_tables_decisions() -> None:
    slides = [
        _slide("a", CellCounts(3, 1, 10, 0), SlideDecision.WARNING, SlideDecision.WARNING),
        _slide("b", CellCounts(0, 2, 20, 2), SlideDecision.WARNING, SlideDecision.CLEAN),
        _slide("c", CellCounts(0, 0, 30, 0), SlideDecision.CLEAN, SlideDecision.CLEAN),
    ]
    summary = summarise(slides)
    pen = summary["regions"]["pen"]
    assert (pen["positive_regions"], pen["negative_regions"]) == (6, 62)
    assert pen["sensitivity"] == pytest.approx(3 / 6)
    assert pen["specificity"] == pytest.approx(60 / 62)
    assert summary["regions"]["blur"]["sensitivity"] is None
    assert summary["decisions"]["scored with a warning"] == {
        "not evaluable": 0,
        "scored with a warning": 1,
        "clean": 1,
    }
    assert summary["decision_agreement"] == pytest.approx(2 / 3)
    text = markdown({**summary, "cell_um": 128.0})
    assert "| pen | 6 | 62 | 0.500 | 0.968 |" in text
    assert "| blur | 0 | 0 | n/a | n/a |" in text
    assert "| scored with a warning | 0 | 1 | 1 |" in text
    assert "| b | pen 20% | none | scored with a warning | clean |" in text
