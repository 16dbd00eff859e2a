"""/docs in Debian's Chromium: Swagger UI renders FastAPI's OpenAPI 3.1 document, offline."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from config import DbSettings, Settings, StorageSettings
from db import tokens
from db.models import Role
from db.session import connect
from plugin.web import create_app
from tests.plugin.web.browser import chromium, log_in
from tests.plugin.web.live_server import live_server

pytestmark = pytest.mark.browser


def test_the_docs_page_shows_the_operations_after_login(sqlite_url: str, tmp_path: Path) -> None:
    database = connect(sqlite_url)
    with database.session() as session:
        secret = tokens.create_token(session, "dr.docs", Role.VIEWER).secret
        session.commit()
    settings = Settings(storage=StorageSettings(data_dir=tmp_path), db=DbSettings(url=sqlite_url))
    outside: list[str] = []
    try:
        with live_server(create_app(settings, database=database)) as url, chromium() as browser:
            page = browser.new_page()
            page.on(
                "request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None
            )
            log_in(page, url, secret, target="/docs")
            expect(page.locator(".opblock-summary-path", has_text="/api/worklist")).to_be_visible()
            expect(page.locator(".opblock-tag", has_text="exports")).to_be_visible()
            assert page.locator("text=Unable to render this definition").count() == 0
            assert page.locator(".opblock").count() >= 10
    finally:
        database.dispose()
    assert outside == []
