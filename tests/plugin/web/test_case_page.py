"""The case page as a pathologist reads it: order, failures in plain words, dates, progress."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from config import Settings
from db import audit
from db.models import Job, JobState, Role, utcnow
from db.session import Database
from plugin.web.dashboard.rendering import waiting
from tests.db.factories import add_analysed_slide, add_case, add_job, add_slide
from tests.plugin.web.conftest import bearer
from tests.plugin.web.synthetic import seed_cases


def _login(client: TestClient, secret: str) -> None:
    client.post("/login", data={"token": secret, "next": "/"}, follow_redirects=False)


def test_the_suspicious_slide_comes_first(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        case = add_case(session)
        benign = add_analysed_slide(session, case, 0.2)
        suspicious = add_analysed_slide(session, case, 0.9)
        ids = (case.id, benign.id, suspicious.id)
        session.commit()
    _login(client, token_of[Role.VIEWER])
    page = client.get(f"/cases/{ids[0]}").text
    assert page.index(f'id="slide-{ids[2]}"') < page.index(f'id="slide-{ids[1]}"')


def test_a_failed_slide_says_why_in_plain_words_and_an_admin_can_retry(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        case_id = seed_cases(session, settings.storage.data_dir)["S26-0420"]
    _login(client, token_of[Role.ADMIN])
    page = client.get(f"/cases/{case_id}").text
    assert "too low a magnification" in page and "Re-scan at 20x or finer" in page
    assert re.search(
        r"<details><summary>Technical detail</summary><div class=\"reason\">no pyramid", page
    )
    assert "No thumbnail: failed" in page and "No thumbnail yet" not in page
    job_id = int(re.search(r'action="/jobs/(\d+)/retry"', page).group(1))  # type: ignore[union-attr]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post(f"/jobs/{job_id}/retry", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith(
        f"/cases/{case_id}"
    )
    with database.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.state is JobState.QUEUED
        actions = [event.action for event in audit.events(session, case_id=case_id)]
    assert audit.Action.JOB_RETRY in actions


def test_only_admins_see_and_may_use_retry_analysis(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        case_id = seed_cases(session, settings.storage.data_dir)["S26-0420"]
    _login(client, token_of[Role.PATHOLOGIST])
    page = client.get(f"/cases/{case_id}").text
    assert "Retry analysis" not in page
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/jobs/1/retry", data={"csrf": csrf}).status_code == 403


def test_dates_read_as_dates_and_progress_has_a_percentage(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        case = add_case(session)
        case.patient_birth_date = "19570312"
        add_job(session, add_slide(session, case), JobState.RUNNING, progress=0.62)
        case_id = case.id
        session.commit()
    _login(client, token_of[Role.VIEWER])
    page = client.get(f"/cases/{case_id}").text
    assert "<dd>2026-03-02</dd>" in page and "<dd>1957-03-12</dd>" in page
    assert '<span class="percent">62%</span>' in page
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    assert client.get("/static/favicon.svg").headers["content-type"].startswith("image/svg")


def test_after_a_review_the_page_offers_the_next_case_to_review(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        ids = seed_cases(session, settings.storage.data_dir)
    _login(client, token_of[Role.PATHOLOGIST])
    first = ids["S26-0412"]  # the most suspicious case comes first on the worklist
    page = client.get(f"/cases/{first}").text
    assert "Next case" not in page  # not before the review
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    client.post(f"/cases/{first}/reviews", data={"csrf": csrf, "decision": "malignant"})
    reviewed = client.get(f"/cases/{first}").text
    following = re.search(r'class="button next-case" href="/cases/(\d+)"', reviewed)
    assert following is not None and int(following.group(1)) == ids["S26-0398"]


def test_the_reviewed_tab_shows_the_decision_and_the_reviewer(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        ids = seed_cases(session, settings.storage.data_dir)
    _login(client, token_of[Role.PATHOLOGIST])
    case_id = ids["S26-0398"]
    page = client.get(f"/cases/{case_id}").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    for decision in ("benign", "needs_ihc"):  # the newest decision is the one that stands
        client.post(f"/cases/{case_id}/reviews", data={"csrf": csrf, "decision": decision})
    rows = client.get("/?view=reviewed").text
    outcomes = re.findall(
        r'<span class="decision-(\w+)">([^<]+)</span> · <span class="reviewer">([^<]+)</span>', rows
    )
    assert ("needs_ihc", "Needs IHC", "dr.pathologist") in outcomes
    assert ("benign", "Benign", "dr.demo") in outcomes  # the seeded review of S26-0388
    assert len(outcomes) == 2


def _badges(html: str) -> list[str]:
    return re.findall(r'<span class="badge [\w -]+">([^<]+)</span>', html)


def test_the_case_badge_agrees_with_its_slides_states(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    with database.session() as session:
        mixed = add_case(session, accession="MIXED-1")
        add_analysed_slide(session, mixed, 0.2)
        add_job(session, add_slide(session, mixed), JobState.FAILED, reason="unreadable frame")
        unfinished = add_case(session, accession="UNFINISHED-1")
        add_analysed_slide(session, unfinished, 0.9)
        add_job(session, add_slide(session, unfinished), JobState.RUNNING, progress=0.3)
        benign = add_case(session, accession="BENIGN-1")
        add_analysed_slide(session, benign, 0.2)
        add_analysed_slide(session, benign, 0.1)
        ids = {case.accession_number: case.id for case in (mixed, unfinished, benign)}
        session.commit()
    _login(client, token_of[Role.VIEWER])
    expected = {
        "MIXED-1": ["Needs attention"],
        "UNFINISHED-1": ["Suspicious", "Analysing"],
        "BENIGN-1": ["Below threshold"],
    }
    for accession, badges in expected.items():
        head = client.get(f"/cases/{ids[accession]}").text.split("</h1>")[0]
        assert _badges(head) == badges, accession
    rows = client.get("/?view=all").text.split('<tr class="case ')[1:]
    listed = [re.findall(r'class="accession"[^>]*>([^<]+)<', row)[0] for row in rows]
    assert dict(zip(listed, map(_badges, rows), strict=True)) == expected
    items = client.get("/api/worklist", headers=bearer(token_of[Role.VIEWER])).json()["items"]
    statuses = {item["accession_number"]: item["status"] for item in items}
    assert statuses == {"MIXED-1": "attention", "UNFINISHED-1": "analysing", "BENIGN-1": "analysed"}
    case = client.get(f"/api/cases/{ids['MIXED-1']}", headers=bearer(token_of[Role.VIEWER]))
    assert case.json()["status"] == "attention"


def test_the_worklist_shows_how_long_each_case_has_waited(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    received = utcnow() - timedelta(hours=2, minutes=10, seconds=20)
    with database.session() as session:
        for accession, minutes_later in (("LATER-1", 50), ("EARLIER-1", 0)):
            case = add_case(session, accession=accession)
            case.received_at = received + timedelta(minutes=minutes_later)
            add_analysed_slide(session, case, 0.9)
        session.commit()
    _login(client, token_of[Role.VIEWER])
    page = client.get("/").text
    assert re.findall(r'class="sub waiting">([^<]+)<', page) == [
        "waiting 2 h 10 min",
        "waiting 1 h 20 min",
    ]
    items = client.get("/api/worklist", headers=bearer(token_of[Role.VIEWER])).json()["items"]
    assert [item["accession_number"] for item in items] == ["EARLIER-1", "LATER-1"]
    assert 7820 <= items[0]["waiting_seconds"] < 7880
    assert items[1]["waiting_seconds"] == items[0]["waiting_seconds"] - 50 * 60


@pytest.mark.parametrize(
    ("waited", "shown"),
    [
        (timedelta(seconds=40), "under 1 min"),
        (timedelta(minutes=5, seconds=59), "5 min"),
        (timedelta(hours=2, minutes=10), "2 h 10 min"),
        (timedelta(days=3, hours=4, minutes=5), "3 d 4 h"),
        (None, "–"),
    ],
)
def test_waiting_times_read_in_days_hours_and_minutes(waited: timedelta | None, shown: str) -> None:
    assert waiting(waited) == shown
