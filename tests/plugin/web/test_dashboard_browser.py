"""The dashboard in a real browser: Debian's Chromium, a real uvicorn server on loopback."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from config import DbSettings, Settings, StorageSettings, WebSettings
from db import tokens
from db.models import Review, ReviewDecision, Role
from db.session import Database, connect
from plugin.web import create_app
from tests.db.factories import add_analysed_slide, add_case
from tests.plugin.web.browser import chromium, log_in
from tests.plugin.web.live_server import live_server
from tests.plugin.web.screenshot import capture
from tests.plugin.web.synthetic import seed_cases
from tests.plugin.web.test_api import ORDER

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
def cases(database: Database, tmp_path: Path) -> dict[str, int]:
    with database.session() as session:
        return seed_cases(session, tmp_path)


@pytest.fixture
def pathologist(database: Database) -> str:
    with database.session() as session:
        secret = tokens.create_token(session, "dr.browser", Role.PATHOLOGIST).secret
        session.commit()
    return secret


@pytest.fixture
def base_url(database: Database, sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path),
        db=DbSettings(url=sqlite_url),
        web=WebSettings(refresh_seconds=1),
    )
    with live_server(create_app(settings, database=database)) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page()
    yield opened
    opened.close()


def test_worklist_shows_cases_in_order_and_refreshes_itself(
    page: Page, base_url: str, database: Database, cases: dict[str, int], pathologist: str
) -> None:
    log_in(page, base_url, pathologist, "/?view=all")
    accessions = page.locator("tr.case .accession")
    expect(accessions).to_have_text(ORDER)
    expect(page.locator("tr.case").first.locator(".badge.suspicious")).to_be_visible()
    expect(page.locator("tr.case progress")).to_have_count(1)
    with database.session() as session:
        add_analysed_slide(session, add_case(session, accession="S26-0430"), 0.99)
        session.commit()
    # No reload: the rows refresh themselves (web.refresh_seconds = 1).
    expect(accessions).to_have_text(["S26-0430", *ORDER], timeout=15_000)


def test_heatmap_switches_on_and_off(
    page: Page, base_url: str, cases: dict[str, int], pathologist: str
) -> None:
    log_in(page, base_url, pathologist, f"/cases/{cases['S26-0412']}")
    figure = page.locator("figure.overlay").first
    heatmap = figure.locator("img.heatmap")
    expect(heatmap).to_have_css("opacity", "0.55")
    page.locator(".heatmap-toggle").first.uncheck()
    expect(figure).not_to_have_class("overlay heatmap-on")
    expect(heatmap).to_have_css("opacity", "0")
    page.keyboard.press("h")  # the shortcut switches every heatmap on the page
    expect(heatmap).to_have_css("opacity", "0.55")
    expect(page.locator(".heatmap-toggle").first).to_be_checked()
    page.keyboard.press("h")
    heatmaps = page.locator("img.heatmap").all()
    assert len(heatmaps) == 2
    for each in heatmaps:
        expect(each).to_have_css("opacity", "0")


def test_a_review_is_recorded(
    page: Page, base_url: str, database: Database, cases: dict[str, int], pathologist: str
) -> None:
    case_id = cases["S26-0398"]
    log_in(page, base_url, pathologist, f"/cases/{case_id}")
    page.fill("input[name=comment]", "poorly cohesive carcinoma")
    page.click("button.decision.malignant")
    page.wait_for_url(f"{base_url}/cases/{case_id}#reviews")
    expect(page.locator("tr.review")).to_have_count(1)
    expect(page.locator("tr.review")).to_contain_text("Malignant")
    with database.session() as session:
        review = session.query(Review).filter_by(case_id=case_id).one()
    assert (review.case_id, review.reviewer, review.decision) == (
        case_id,
        "dr.browser",
        ReviewDecision.MALIGNANT,
    )
    assert (review.ai_score, review.agrees_with_ai, review.comment) == (
        0.81,
        True,
        "poorly cohesive carcinoma",
    )


def test_screenshots_for_the_readme(
    browser: Browser, base_url: str, cases: dict[str, int], pathologist: str, tmp_path: Path
) -> None:
    written = capture(browser, base_url, pathologist, cases["S26-0412"], tmp_path / "docs")
    assert [path.read_bytes()[:4] for path in written] == [b"\x89PNG", b"\x89PNG"]


PLACEHOLDER_FITS = """input => {
  const style = getComputedStyle(input);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [context.measureText(input.placeholder).width, room];
}"""


@pytest.mark.parametrize("width", [1280, 1366, 1920])
def test_the_search_placeholder_fits_its_box(
    browser: Browser, base_url: str, pathologist: str, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        log_in(page, base_url, pathologist)
        text, room = page.locator("input[name=q]").evaluate(PLACEHOLDER_FITS)
    finally:
        page.close()
    assert 0 < text <= room
