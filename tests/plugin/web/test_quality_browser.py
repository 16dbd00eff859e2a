"""The QC layer in a real browser: on for the slide the gate refused, switched by its checkbox
and by the Q key, with the legend beside it."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from config import DbSettings, Settings, StorageSettings, WebSettings
from db import tokens
from db.models import Role
from db.session import Database, connect
from plugin.web import create_app
from tests.plugin.web.browser import chromium, log_in
from tests.plugin.web.live_server import live_server
from tests.plugin.web.test_quality_page import WARNING, seed_quality_case

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def database(sqlite_url: str) -> Iterator[Database]:
    opened = connect(sqlite_url)
    yield opened
    opened.dispose()


@pytest.fixture
def base_url(database: Database, sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path),
        db=DbSettings(url=sqlite_url),
        web=WebSettings(refresh_seconds=60),
    )
    with live_server(create_app(settings, database=database)) as url:
        yield url


def test_the_qc_layer_switches_on_and_off(
    browser: Browser, base_url: str, database: Database, tmp_path: Path
) -> None:
    case_id, scored_id, unjudged_id = seed_quality_case(database, tmp_path)
    with database.session() as session:
        secret = tokens.create_token(session, "dr.qc", Role.VIEWER).secret
        session.commit()
    page: Page = browser.new_page()
    try:
        log_in(page, base_url, secret, f"/cases/{case_id}")
        expect(page.get_by_text(WARNING)).to_be_visible()
        scored = page.locator(f'img.qc[src="/results/{scored_id}/files/qc"]')
        refused = page.locator(f'img.qc[src="/results/{unjudged_id}/files/qc"]')
        expect(refused).to_have_css("opacity", "0.8")  # on for the slide the gate refused
        expect(scored).to_have_css("opacity", "0")
        expect(page.locator(".qc-legend li").first).to_be_visible()
        page.locator(".qc-toggle:not(:checked)").check()
        expect(scored).to_have_css("opacity", "0.8")
        page.keyboard.press("q")  # every layer on already: the key switches them all off
        expect(scored).to_have_css("opacity", "0")
        expect(refused).to_have_css("opacity", "0")
        page.keyboard.press("q")
        expect(scored).to_have_css("opacity", "0.8")
        expect(refused).to_have_css("opacity", "0.8")
    finally:
        page.close()
