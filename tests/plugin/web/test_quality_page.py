"""The quality gate on the case page and in the API: the warning of a slide scored without some
tissue, the reasons of a slide that is not evaluable, and the QC layer with its legend."""

import dataclasses
import io
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from db.models import JobState, QualityOutcome, Role
from db.results import QualityValues, add_result, add_unjudged_result
from db.session import Database
from dicom.results.display_orientation import DisplayTransform
from inference.quality import Defect, QualityMap
from inference.tissue import Thumbnail, TissueMask
from plugin.analysis.quality_outputs import DEFECT_COLOURS, save_qc_picture
from tests.db.factories import add_case, add_job, add_slide, result_values, unjudged_values
from tests.plugin.web.conftest import bearer

WARNING = "12% of the tissue out of focus, not analysed"
REASON = (
    "the slide is not evaluable: 64% of the tissue out of focus; 36% evaluable, at least 70% needed"
)


def _pictures(folder: Path) -> tuple[Path, Path]:
    """A thumbnail and the QC picture of a quality map made from masks."""
    image = np.full((40, 60, 3), 230, dtype=np.uint8)
    image[5:35, 5:55] = (180, 90, 160)
    tissue = TissueMask(image[..., 0] < 200, Thumbnail(image, 16.0, 3), 200.0)
    blur = np.zeros((40, 60), dtype=bool)
    blur[5:35, 5:20] = True
    quality = QualityMap(tissue, {Defect.BLUR: blur})
    folder.mkdir(parents=True, exist_ok=True)
    thumbnail = folder / "thumbnail.png"
    Image.fromarray(image).save(thumbnail)
    return thumbnail, save_qc_picture(quality, folder / "qc.png", DisplayTransform())


def seed_quality_case(database: Database, folder: Path) -> tuple[int, int, int]:
    _, picture = _pictures(folder / "scored")
    scored = dataclasses.replace(
        result_values(0.2, folder=folder / "scored"),
        quality=QualityValues(
            QualityOutcome.EXCLUDED,
            reason="out of focus",
            findings=("12% of the tissue out of focus",),
            fractions={"out of focus": 0.12},
            evaluable_fraction=0.88,
            warning=WARNING,
            picture_path=picture,
        ),
    )
    unjudged_thumbnail, unjudged_picture = _pictures(folder / "blurred")
    unjudged = dataclasses.replace(
        unjudged_values(folder / "blurred"),
        thumbnail_path=unjudged_thumbnail,
        quality=QualityValues(
            QualityOutcome.NOT_EVALUABLE,
            reason="out of focus",
            findings=("64% of the tissue out of focus",),
            fractions={"out of focus": 0.64},
            evaluable_fraction=0.36,
            picture_path=unjudged_picture,
        ),
    )
    with database.session() as session:
        case = add_case(session)
        job = add_job(session, add_slide(session, case), JobState.DONE, progress=1.0)
        result = add_result(session, job, scored, ["pacs"])
        blurred = add_job(session, add_slide(session, case), JobState.NOT_EVALUABLE, reason=REASON)
        not_evaluable = add_unjudged_result(session, blurred, unjudged, ["pacs"])
        ids = (case.id, result.id, not_evaluable.id)
        session.commit()
    return ids


def test_the_case_page_shows_the_warning_the_reasons_and_the_qc_layer(
    client: TestClient, database: Database, token_of: dict[Role, str], tmp_path: Path
) -> None:
    case_id, scored_id, unjudged_id = seed_quality_case(database, tmp_path)
    client.post("/login", data={"token": token_of[Role.VIEWER], "next": "/"})
    page = client.get(f"/cases/{case_id}").text
    assert WARNING in page
    assert "Not evaluable: 64% of the tissue out of focus" in page
    assert "failed the quality checks" in page  # the plain words, not "no tissue"
    assert "No tissue was found" not in page
    for result_id in (scored_id, unjudged_id):
        assert f'src="/results/{result_id}/files/qc"' in page
    # The QC layer starts on for the slide the gate refused, off for the scored one.
    assert page.count('class="overlay heatmap-on"') == 1
    assert page.count('class="overlay qc-on"') == 1
    assert page.count('class="qc-toggle" checked') == 1 and page.count('class="qc-toggle"') == 2
    colour = "#" + bytes(DEFECT_COLOURS[Defect.BLUR]).hex()
    assert f"background: {colour}" in page and "out of focus</li>" in page
    picture = client.get(f"/results/{scored_id}/files/qc")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"


def test_the_api_lists_the_quality_findings_per_slide(
    client: TestClient, database: Database, token_of: dict[Role, str], tmp_path: Path
) -> None:
    case_id, scored_id, unjudged_id = seed_quality_case(database, tmp_path)
    headers = bearer(token_of[Role.VIEWER])
    case = client.get(f"/api/cases/{case_id}", headers=headers).json()
    results = {slide["result"]["id"]: slide["result"] for slide in case["slides"]}
    scored, unjudged = results[scored_id], results[unjudged_id]
    assert scored["quality_outcome"] == "excluded" and scored["quality_warning"] == WARNING
    assert scored["quality_findings"] == ["12% of the tissue out of focus"]
    assert scored["has_qc"] and scored["score"] == 0.2
    assert (unjudged["quality_outcome"], unjudged["quality_reason"]) == (
        "not_evaluable",
        "out of focus",
    )
    assert unjudged["quality_findings"] == ["64% of the tissue out of focus"]
    assert unjudged["score"] is None and unjudged["quality_warning"] is None
    picture = client.get(f"/api/results/{unjudged_id}/files/qc", headers=headers)
    assert picture.status_code == 200
    alpha = np.asarray(Image.open(io.BytesIO(picture.content)))[..., 3]
    assert (alpha[5:35, 5:20] > 0).all() and not alpha[:, 20:].any()
