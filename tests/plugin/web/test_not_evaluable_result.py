"""A slide the AI could not judge, with the "not evaluable" SR it sent: the case page and the
API show it as not evaluable (no score, no segmentation), with its report and delivery."""

from pathlib import Path

from fastapi.testclient import TestClient

from db.models import JobState, Role
from db.results import add_unjudged_result
from db.session import Database
from tests.db.factories import add_case, add_job, add_slide, unjudged_values
from tests.plugin.web.conftest import bearer


def _seed(database: Database, folder: Path) -> tuple[int, int]:
    values = unjudged_values(folder)
    values.report.path.write_bytes(b"the report")
    with database.session() as session:
        case = add_case(session)
        job = add_job(session, add_slide(session, case), JobState.NOT_EVALUABLE, reason="no tissue")
        result = add_unjudged_result(session, job, values, ["pacs"])
        ids = (case.id, result.id)
        session.commit()
    return ids


def test_the_case_page_shows_the_report_and_no_segmentation(
    client: TestClient, database: Database, token_of: dict[Role, str], tmp_path: Path
) -> None:
    case_id, result_id = _seed(database, tmp_path)
    client.post("/login", data={"token": token_of[Role.VIEWER], "next": "/"})
    page = client.get(f"/cases/{case_id}").text
    assert f'href="/results/{result_id}/files/sr"' in page
    assert f"/results/{result_id}/files/seg" not in page
    assert "SEG UID" not in page and "None" not in page
    assert "status-not_evaluable" in page and 'class="export export-pending"' in page


def test_the_api_gives_the_result_without_score(
    client: TestClient, database: Database, token_of: dict[Role, str], tmp_path: Path
) -> None:
    case_id, result_id = _seed(database, tmp_path)
    headers = bearer(token_of[Role.VIEWER])
    case = client.get(f"/api/cases/{case_id}", headers=headers).json()
    (slide,) = case["slides"]
    result = slide["result"]
    assert (slide["status"], slide["score"], slide["suspicious"]) == ("not_evaluable", None, False)
    assert (result["score"], result["suspicious"], result["seg_sop_instance_uid"]) == (
        None,
        None,
        None,
    )
    assert [(e["destination"], e["state"]) for e in result["exports"]] == [("pacs", "pending")]
    report = client.get(f"/api/results/{result_id}/files/sr", headers=headers)
    assert report.status_code == 200 and report.content == b"the report"
    assert client.get(f"/api/results/{result_id}/files/seg", headers=headers).status_code == 404
