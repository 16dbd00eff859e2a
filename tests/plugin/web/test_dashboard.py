"""The dashboard without a browser: login cookie, order, escaping, forms, audit, headers."""

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from config import Settings
from db import audit, exports
from db.models import (
    Export,
    ExportState,
    Result,
    Review,
    ReviewDecision,
    Role,
    Slide,
    utcnow,
)
from db.session import Database
from plugin.web.principal import COOKIE
from tests.db.factories import add_analysed_slide, add_case
from tests.plugin.web.conftest import bearer
from tests.plugin.web.synthetic import seed_cases
from tests.plugin.web.test_api import ORDER


def _login(client: TestClient, secret: str) -> None:
    response = client.post("/login", data={"token": secret, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303


def _accessions(html: str) -> list[str]:
    return re.findall(r'class="accession" href="/cases/\d+">([^<]+)</a>', html)


def test_pages_need_a_login_and_the_cookie_is_http_only(
    client: TestClient, token_of: dict[Role, str]
) -> None:
    response = client.get("/cases/3?x=1", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/login?next=%2Fcases%2F3%3Fx%3D1",
    )
    bad = client.post("/login", data={"token": "wrong", "next": "/"})
    assert bad.status_code == 401 and "not valid" in bad.text
    response = client.post(
        "/login",
        data={"token": token_of[Role.VIEWER], "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/")
    assert page.status_code == 200 and "dr.viewer" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_worklist_page_and_fragment_list_cases_in_priority_order(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        seed_cases(session, settings.storage.data_dir)
    _login(client, token_of[Role.VIEWER])
    todo = [accession for accession in ORDER if accession != "S26-0388"]  # that one is reviewed
    assert _accessions(client.get("/").text) == todo
    assert _accessions(client.get("/fragments/worklist?view=all").text) == ORDER
    assert _accessions(client.get("/?view=all&group=attention").text) == ["S26-0420"]
    assert _accessions(client.get("/?view=reviewed").text) == ["S26-0388"]


def test_text_from_dicom_is_escaped(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    hostile = "<script>alert('x')</script>"
    with database.session() as session:
        case = add_case(session, accession=f"A1{hostile}", patient_name=f"Evil^{hostile}")
        case.study_description = hostile
        add_analysed_slide(session, case, 0.9).specimen_description = hostile
        session.commit()
        case_id = case.id
    _login(client, token_of[Role.VIEWER])
    for html in (client.get("/?view=all").text, client.get(f"/cases/{case_id}").text):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_a_review_is_recorded_from_the_case_page_form(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        case = add_case(session)
        add_analysed_slide(session, case, 0.2)
        session.commit()
        case_id = case.id
    _login(client, token_of[Role.PATHOLOGIST])
    page = client.get(f"/cases/{case_id}").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf is not None and 'value="needs_ihc"' in page
    form = {"csrf": csrf.group(1), "decision": "benign", "comment": "chronic gastritis"}
    forged = client.post(
        f"/cases/{case_id}/reviews", data={**form, "csrf": "0" * 64}, follow_redirects=False
    )
    assert forged.status_code == 403
    posted = client.post(f"/cases/{case_id}/reviews", data=form, follow_redirects=False)
    assert (posted.status_code, posted.headers["location"]) == (303, f"/cases/{case_id}#reviews")
    with database.session() as session:
        review = session.query(Review).one()
        actions = [e.action for e in audit.events(session, case_id=case_id)]
    assert (review.decision, review.agrees_with_ai, review.comment) == (
        ReviewDecision.BENIGN,
        True,
        "chronic gastritis",
    )
    assert actions == ["review.create", "case.view"]
    assert "chronic gastritis" in client.get(f"/cases/{case_id}").text


def test_viewers_get_no_review_buttons_and_cannot_post(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        case_id = add_case(session).id
        session.commit()
    _login(client, token_of[Role.VIEWER])
    page = client.get(f"/cases/{case_id}").text
    assert 'value="malignant"' not in page
    assert "can read cases but not review them" in page
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf is not None
    response = client.post(
        f"/cases/{case_id}/reviews", data={"csrf": csrf.group(1), "decision": "malignant"}
    )
    assert response.status_code == 403


def test_case_page_shows_the_overlay_outputs_and_export_retry(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        case_id = seed_cases(session, settings.storage.data_dir)["S26-0398"]
    _login(client, token_of[Role.PATHOLOGIST])
    page = client.get(f"/cases/{case_id}").text
    assert 'class="heatmap-toggle"' in page and "/files/heatmap" in page and "/files/seg" in page
    image = re.search(r'src="(/results/\d+/files/thumbnail)"', page)
    assert image is not None
    assert client.get(image.group(1)).headers["content-type"] == "image/png"
    retry = re.search(r'action="(/exports/\d+/retry)"', page)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert retry is not None and csrf is not None
    response = client.post(retry.group(1), data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith(
        f"/cases/{case_id}#slide-"
    )
    with database.session() as session:
        export = session.get(Export, int(retry.group(1).split("/")[2]))
        assert export is not None
        assert (export.destination, export.state, export.attempts) == (
            "research-archive",
            ExportState.PENDING,
            0,
        )


def test_unknown_case_page_is_an_html_404(client: TestClient, token_of: dict[Role, str]) -> None:
    _login(client, token_of[Role.VIEWER])
    response = client.get("/cases/424242")
    assert response.status_code == 404 and "Not found" in response.text


def test_logout_forgets_the_cookie(client: TestClient, token_of: dict[Role, str]) -> None:
    _login(client, token_of[Role.VIEWER])
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/").text)
    assert csrf is not None
    response = client.post("/logout", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_case_page_lists_what_was_repaired_to_open_the_slide(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        case_id = seed_cases(session, settings.storage.data_dir)["S26-0398"]
        query = sa.select(Result).join(Slide).where(Slide.case_id == case_id)
        result = session.scalars(query).first()
        assert result is not None
        result.stats = {**result.stats, "repairs": ["level-0.dcm: <ImageType> missing: VOLUME"]}
        session.commit()
    _login(client, token_of[Role.VIEWER])
    page = client.get(f"/cases/{case_id}").text
    assert "Repaired on opening" in page
    assert "level-0.dcm: &lt;ImageType&gt; missing: VOLUME" in page


def test_an_overdue_export_shows_as_retrying_on_the_case_page_and_in_the_api(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    backoff = exports.Backoff(5.0, 900.0, max_attempts=1)
    with database.session() as session:
        case = add_case(session, accession="OVERDUE-1")
        slide = add_analysed_slide(session, case, 0.2, destinations=("pacs",))
        export_id = slide.jobs[0].result.exports[0].id  # type: ignore[union-attr]
        exports.record_attempt(
            session, export_id, started_at=utcnow(), error="timed out", backoff=backoff
        )
        session.commit()
        case_id = case.id
    _login(client, token_of[Role.VIEWER])
    page = client.get(f"/cases/{case_id}").text
    assert "retrying, overdue since" in page
    viewer = bearer(token_of[Role.VIEWER])
    (listed,) = client.get("/api/exports?state=pending", headers=viewer).json()
    assert listed["id"] == export_id and listed["overdue_since"] is not None
