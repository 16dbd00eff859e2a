"""The JSON API on SQLite and PostgreSQL: worklist, detail, jobs, exports, reviews, audit."""

from pathlib import Path

from fastapi.testclient import TestClient

from config import Settings
from db import audit, jobs
from db.models import AuditEvent, JobState, Result, Role
from db.session import Database
from plugin.web import create_app
from tests.plugin.web.conftest import bearer
from tests.plugin.web.synthetic import seed_cases

ORDER = [
    "S26-0412",
    "S26-0398",
    "S26-0420",
    "S26-0423",
    "S26-0425",
    "S26-0388",
    "S26-0401",
    "S26-0405",
]


def _seed(database: Database, settings: Settings) -> dict[str, int]:
    with database.session() as session:
        return seed_cases(session, settings.storage.data_dir)


def test_worklist_in_priority_order_with_slide_details(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    _seed(database, settings)
    response = client.get("/api/worklist", headers=bearer(token_of[Role.VIEWER]))
    assert response.status_code == 200
    body = response.json()
    assert [item["accession_number"] for item in body["items"]] == ORDER
    top = body["items"][0]
    assert (top["priority"], top["suspicious"], top["max_score"]) == ("suspicious", True, 0.97)
    assert top["patient_name"] == "Mueller^Anna" and top["study_instance_uid"]
    assert [
        (s["status"], s["score"], s["suspicious"], s["export_state"]) for s in top["slides"]
    ] == [
        ("done", 0.97, True, "delivered"),
        ("done", 0.41, False, "delivered"),
    ]
    assert body["items"][1]["slides"][0]["export_state"] == "failed"
    failed = body["items"][2]
    assert (failed["priority"], failed["needs_attention"]) == ("attention", True)
    assert "20x" in failed["slides"][0]["reason"]
    running = body["items"][3]["slides"]
    assert [(s["status"], s["progress"]) for s in running] == [("running", 0.62), ("queued", 0.0)]


def test_worklist_filters_and_paging(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    _seed(database, settings)
    headers = bearer(token_of[Role.VIEWER])
    flagged = client.get(
        "/api/worklist?priority=suspicious&priority=attention", headers=headers
    ).json()
    assert [i["accession_number"] for i in flagged["items"]] == ORDER[:3]
    page = client.get("/api/worklist?limit=2&offset=2&reviewed=false", headers=headers).json()
    assert (page["total"], [i["accession_number"] for i in page["items"]]) == (7, ORDER[2:4])
    assert client.get("/api/worklist?search=tanaka", headers=headers).json()["total"] == 1
    assert client.get("/api/worklist?priority=urgent", headers=headers).status_code == 422


def test_case_and_slide_detail_are_audited(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    case_id = _seed(database, settings)["S26-0398"]
    headers = bearer(token_of[Role.VIEWER])
    case = client.get(f"/api/cases/{case_id}", headers=headers).json()
    assert (case["accession_number"], case["priority"], case["suspicious"]) == (
        "S26-0398",
        "suspicious",
        True,
    )
    slide = case["slides"][0]
    result = slide["result"]
    assert (slide["status"], slide["score"], result["has_heatmap"]) == ("done", 0.81, True)
    assert [(e["destination"], e["state"]) for e in result["exports"]] == [
        ("pacs", "delivered"),
        ("research-archive", "failed"),
    ]
    assert result["exports"][1]["attempt_log"][0]["error"].startswith("association rejected")
    detail = client.get(f"/api/slides/{slide['id']}", headers=headers).json()
    assert [i["image_type"] for i in detail["instances"]] == ["volume"]
    assert client.get("/api/cases/9999", headers=headers).status_code == 404
    with database.session() as session:
        events = audit.events(session, case_id=case_id)
    assert [(e.actor, e.action) for e in events] == [
        ("dr.viewer", "slide.view"),
        ("dr.viewer", "case.view"),
    ]


def test_result_files_are_served_only_from_the_data_directory(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    _seed(database, settings)
    headers = bearer(token_of[Role.VIEWER])
    with database.session() as session:
        result = session.query(Result).order_by(Result.id).first()
        assert result is not None
        result_id = result.id
        png = client.get(f"/api/results/{result_id}/files/heatmap", headers=headers)
        seg = client.get(f"/api/results/{result_id}/files/seg", headers=headers)
        result.sr_path = str(Path("/etc/passwd"))
        session.commit()
    assert (png.status_code, png.headers["content-type"], png.content[:4]) == (
        200,
        "image/png",
        b"\x89PNG",
    )
    assert (seg.status_code, seg.headers["content-type"]) == (200, "application/dicom")
    assert client.get(f"/api/results/{result_id}/files/sr", headers=headers).status_code == 404
    assert client.get(f"/api/results/{result_id}/files/labels", headers=headers).status_code == 422


def test_job_progress_cancel_and_retry(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    _seed(database, settings)
    with database.session() as session:
        running = jobs.list_jobs(session, states=[JobState.RUNNING])[0].id
        queued = jobs.list_jobs(session, states=[JobState.QUEUED])[0].id
    job = client.get(f"/api/jobs/{running}", headers=bearer(token_of[Role.VIEWER])).json()
    assert (job["state"], job["progress"], job["stage"]) == ("running", 0.62, "inferring")
    assert (job["attempts"], job["crashes"]) == (1, 0)
    assert (
        client.post(
            f"/api/jobs/{queued}/cancel", headers=bearer(token_of[Role.PATHOLOGIST])
        ).status_code
        == 403
    )
    admin = bearer(token_of[Role.ADMIN])
    assert client.post(f"/api/jobs/{queued}/cancel", headers=admin).json()["state"] == "cancelled"
    assert (
        client.post(f"/api/jobs/{running}/cancel", headers=admin).json()["cancel_requested"] is True
    )
    assert client.post(f"/api/jobs/{queued}/cancel", headers=admin).status_code == 409
    assert client.post(f"/api/jobs/{queued}/retry", headers=admin).json()["state"] == "queued"
    assert len(client.get("/api/jobs?state=queued&state=running", headers=admin).json()) == 2


def test_export_retry(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    _seed(database, settings)
    viewer = bearer(token_of[Role.VIEWER])
    failed = client.get("/api/exports?state=failed", headers=viewer).json()
    assert [(e["destination"], e["attempts"], len(e["attempt_log"])) for e in failed] == [
        ("research-archive", 3, 3)
    ]
    export_id = failed[0]["id"]
    assert (
        client.post(
            f"/api/exports/{export_id}/retry", headers=bearer(token_of[Role.VIEWER])
        ).status_code
        == 403
    )
    retried = client.post(
        f"/api/exports/{export_id}/retry", headers=bearer(token_of[Role.PATHOLOGIST])
    ).json()
    assert (retried["state"], retried["attempts"]) == ("pending", 0)
    with database.session() as session:
        assert (
            session.query(AuditEvent)
            .filter_by(action="export.retry", detail="research-archive")
            .count()
            == 1
        )


def test_reviews_are_recorded_with_agreement_and_audited(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    case_id = _seed(database, settings)["S26-0412"]
    headers = bearer(token_of[Role.PATHOLOGIST])
    created = client.post(
        f"/api/cases/{case_id}/reviews",
        json={"decision": "malignant", "comment": "adenocarcinoma"},
        headers=headers,
    )
    assert created.status_code == 201
    assert created.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "case_id": case_id,
        "reviewer": "dr.pathologist",
        "decision": "malignant",
        "ai_score": 0.97,
        "ai_suspicious": True,
        "agrees_with_ai": True,
        "comment": "adenocarcinoma",
        "created_at": "",
    }
    listed = client.get(
        f"/api/cases/{case_id}/reviews", headers=bearer(token_of[Role.VIEWER])
    ).json()
    assert [r["decision"] for r in listed] == ["malignant"]
    assert (
        client.post(
            f"/api/cases/{case_id}/reviews", json={"decision": "maybe"}, headers=headers
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/cases/9999/reviews", json={"decision": "benign"}, headers=headers
        ).status_code
        == 404
    )
    audit_log = client.get(
        f"/api/audit?case_id={case_id}", headers=bearer(token_of[Role.ADMIN])
    ).json()
    assert [(e["actor"], e["action"], e["detail"]) for e in audit_log] == [
        ("dr.pathologist", "review.create", "malignant")
    ]
    assert client.get("/api/audit", headers=headers).status_code == 403


def test_healthz_reports_database_storage_and_workers(
    settings: Settings, database: Database
) -> None:
    class Stopped:
        name, alive = "gpu0", False

    with TestClient(create_app(settings, database=database)) as client:
        assert client.get("/healthz").json() == {
            "status": "ok",
            "roles": {"web": "ok"},
            "database": "ok",
            "storage": "ok",
            "broker": "not-used",
            "workers": "not-in-this-process",
        }
    with TestClient(create_app(settings, database=database, workers=[Stopped()])) as client:
        response = client.get("/healthz")
    assert (response.status_code, response.json()["workers"], response.json()["status"]) == (
        503,
        "stopped",
        "degraded",
    )


def test_metrics_report_queue_depth_and_export_failures(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    _seed(database, settings)
    text = client.get("/metrics", headers=bearer(token_of[Role.VIEWER])).text
    assert "pathsentry_queue_depth 1.0" in text
    assert 'pathsentry_jobs{state="running"} 1.0' in text
    assert "pathsentry_export_failures_total 3.0" in text
    assert "pathsentry_job_duration_seconds" in text
    assert "Mueller" not in text


def test_api_docs_are_served_without_a_cdn(client: TestClient, token_of: dict[Role, str]) -> None:
    client.headers.update(bearer(token_of[Role.VIEWER]))
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "PathSentry"
