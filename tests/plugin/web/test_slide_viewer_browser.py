"""The case page's slide viewer in Debian's Chromium, over PathSentry's own DICOMweb."""

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import ConsoleMessage, Locator, Page, Response, expect

from config import Settings, WebSettings
from db.models import Role
from db.session import Database
from plugin.web import create_app
from tests.plugin.conftest import Analysed
from tests.plugin.web.browser import chromium, log_in
from tests.plugin.web.held_slides import LESION, hold_result, hold_slide, truth_segmentation
from tests.plugin.web.live_server import live_server
from tests.plugin.web.viewer_pixels import (
    as_displayed,
    changed,
    inner_points,
    screen_mapping,
    settled,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: what this module tests does not depend on the database server."""
    return sqlite_url


@pytest.fixture
def case_id(
    slide: Path, analysed: Analysed, settings: Settings, database: Database, tmp_path: Path
) -> int:
    """The synthetic slide with a SEG of its truth (lesions 1, elsewhere 0) as its result."""
    values = truth_segmentation(slide, tmp_path / "truth-seg", analysed[0])
    with database.session() as session:
        row = hold_slide(session, slide, settings.storage.data_dir)
        hold_result(session, row, values, settings.storage.data_dir)
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


def test_the_overlay_covers_the_lesions_and_the_switch_hides_it(
    settings: Settings,
    database: Database,
    token_of: dict[Role, str],
    case_id: int,
    slide: Path,
) -> None:
    labels = np.asarray(Image.open(slide / "truth" / "labels.png"))
    for page, errors, _ in _open_case(settings, database, token_of[Role.VIEWER], case_id):
        viewer = page.locator(".slide-viewer")
        expect(viewer).to_have_attribute("data-segments", re.compile("^[1-9]"), timeout=20_000)
        shown = settled(page)
        page.locator("body").press("h")
        expect(page.locator(".segment-toggle")).not_to_be_checked()
        hidden = settled(page)
        labels = as_displayed(labels, hidden)
        to_screen = screen_mapping(hidden, labels)
        lesion = [to_screen(point) for point in inner_points(labels == LESION)]
        benign = [to_screen(point) for point in inner_points(labels == 1)]
        changed_lesion = [changed(shown, hidden, point) for point in lesion]
        changed_benign = [changed(shown, hidden, point) for point in benign]
        assert np.mean(changed_lesion) > 0.9, "the overlay is missing over the lesions"
        assert np.mean(changed_benign) < 0.1, "the overlay covers benign tissue"
        page.locator("body").press("h")
        assert np.mean([changed(settled(page), hidden, p) for p in lesion]) > 0.9
        assert errors == []


def test_the_foci_of_the_report_are_listed_and_a_click_zooms_to_one(
    settings: Settings, database: Database, token_of: dict[Role, str], case_id: int
) -> None:
    for page, errors, _ in _open_case(settings, database, token_of[Role.VIEWER], case_id):
        viewer = page.locator(".slide-viewer")
        expect(viewer).to_have_attribute("data-foci", re.compile("^[1-9]"), timeout=20_000)
        count = int(viewer.get_attribute("data-foci") or 0)
        expect(page.locator(".foci button")).to_have_count(count)
        expect(page.locator(".foci button").first).to_contain_text("Focus 1 · peak ")
        scale = page.locator(".slide-viewer .-inner")  # the scale bar (OpenLayers, unnamed)
        overview = settled(page)
        before, width = scale.inner_text(), _width(scale)
        page.locator(".foci button").first.click()
        expect(viewer).to_have_attribute("data-zoomed-to", re.compile(r"\.focus\.1$"))
        zoomed = settled(page)
        assert not np.array_equal(zoomed, overview)
        # The scale bar: micrometres per screen pixel at least halved (a focus as large as this
        # small slide is still shown at twice the magnification of the whole slide).
        zoom = (_micrometres(before) / width) / (_micrometres(scale.inner_text()) / _width(scale))
        assert zoom > 1.9
        assert errors == []


def _width(element: Locator) -> float:
    box = element.bounding_box()
    assert box is not None
    return float(box["width"])


def _micrometres(text: str) -> float:
    number, unit = re.match(r"([\d.]+)\s*(\S+)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * {"nm": 0.001, "μm": 1.0, "mm": 1000.0}[unit]
