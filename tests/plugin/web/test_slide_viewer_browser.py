"""The case page's slide viewer in Debian's Chromium, over PathSentry's own DICOMweb."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from config import Settings, WebSettings
from db.models import Role
from db.session import Database
from plugin.web import create_app
from tests.plugin.conftest import Analysed
from tests.plugin.web.browser import chromium, log_in
from tests.plugin.web.held_slides import hold_result, hold_slide
from tests.plugin.web.live_server import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def case_id(slide: Path, analysed: Analysed, settings: Settings, database: Database) -> int:
    with database.session() as session:
        row = hold_slide(session, slide, settings.storage.data_dir)
        hold_result(session, row, analysed[0], settings.storage.data_dir)
        session.commit()
        return row.case_id


def _open_case(
    settings: Settings, database: Database, secret: str, case_id: int
) -> Iterator[tuple[Page, list[str], list[Response]]]:
    errors: list[str] = []
    frames: list[Response] = []
    with live_server(create_app(settings, database=database)) as base, chromium() as browser:
        page = browser.new_page()

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("response", lambda r: frames.append(r) if "/frames/" in r.url else None)
        log_in(page, base, secret, f"/cases/{case_id}")
        yield page, errors, frames


def test_the_viewer_loads_tiles_from_dicomweb(
    settings: Settings, database: Database, token_of: dict[Role, str], case_id: int
) -> None:
    for page, errors, frames in _open_case(settings, database, token_of[Role.VIEWER], case_id):
        viewer = page.locator(".slide-viewer")
        expect(viewer.locator("canvas").first).to_be_visible(timeout=20_000)
        expect(page.locator(".viewer-status")).to_have_text("", timeout=20_000)
        expect(viewer).to_have_attribute("data-segments", re.compile("^[1-9]"), timeout=20_000)
        assert frames and all(response.status == 200 for response in frames)
        assert all("/dicom-web/studies/" in response.url for response in frames)
        print('ERRORS', errors)
        assert errors == []
        expect(page.locator(".legend-threshold")).to_have_attribute("style", "left: 50%;")


def test_without_the_bundle_the_page_shows_the_thumbnail_and_says_why(
    settings: Settings, database: Database, token_of: dict[Role, str], case_id: int, tmp_path: Path
) -> None:
    web = WebSettings(refresh_seconds=1, viewer_assets=tmp_path / "no-node-modules")
    missing = settings.model_copy(update={"web": web})
    for page, errors, _ in _open_case(missing, database, token_of[Role.VIEWER], case_id):
        expect(page.locator(".slide-viewer")).to_have_count(0)
        expect(page.locator(".viewer-missing")).to_contain_text("npm ci")
        assert errors == []
