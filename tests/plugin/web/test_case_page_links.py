"""The case page's "open in viewer" link from `web.viewer_url_template`."""

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from config import Settings, WebSettings
from db.models import Role
from db.session import Database
from plugin.web import create_app
from tests.db.factories import add_analysed_slide, add_case


def _case_page(settings: Settings, database: Database, secret: str) -> tuple[str, str, str]:
    with database.session() as session:
        case = add_case(session)
        slide = add_analysed_slide(session, case, 0.7)
        ids = (case.id, case.study_instance_uid, slide.series_instance_uid)
        session.commit()
    with TestClient(create_app(settings, database=database)) as client:
        client.post("/login", data={"token": secret, "next": "/"})
        return client.get(f"/cases/{ids[0]}").text, ids[1], ids[2]


def test_each_slide_links_to_the_configured_viewer(
    settings: Settings, database: Database, token_of: dict[Role, str]
) -> None:
    template = "https://slim.example/studies/{study}/series/{series}"
    web = WebSettings(refresh_seconds=1, viewer_url_template=template)
    page, study, series = _case_page(
        settings.model_copy(update={"web": web}), database, token_of[Role.VIEWER]
    )
    link = f'href="https://slim.example/studies/{study}/series/{series}"'
    assert link in page and "Open in viewer" in page


def test_no_link_without_a_template(
    settings: Settings, database: Database, token_of: dict[Role, str]
) -> None:
    page, _, _ = _case_page(settings, database, token_of[Role.VIEWER])
    assert "Open in viewer" not in page


@pytest.mark.parametrize(
    ("template", "reason"),
    [("javascript:alert(1)", "must start with"), ("https://v/{patient}", "only {study}")],
)
def test_a_template_that_is_no_link_or_names_other_fields_is_refused(
    template: str, reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        WebSettings(viewer_url_template=template)
