"""dicom-microscopy-viewer in Debian's Chromium, loading the slide and our SEG from Orthanc's
DICOMweb: PathSentry's viewer page served by Orthanc itself (ServeFolders, same origin), as a
PACS administrator sets it up. The overlay lies over the lesion and not over benign tissue."""

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import ConsoleMessage, Response, expect
from pydicom import dcmread

from config import Settings
from plugin.web.pacs_viewer import viewer_url
from plugin.web.viewer_assets import pacs_page_folders, viewer_bundle
from tests.orthanc import DICOMWEB_PLUGIN, PLUGINS, OrthancServer
from tests.plugin.conftest import Analysed
from tests.plugin.web.browser import chromium
from tests.plugin.web.held_slides import LESION, truth_segmentation
from tests.plugin.web.viewer_pixels import (
    as_displayed,
    changed,
    inner_points,
    screen_mapping,
    settled,
)

pytestmark = [pytest.mark.browser, pytest.mark.orthanc, pytest.mark.slow]

# What the administrator writes in PathSentry's settings (web.viewer_url_template).
TEMPLATE = "{orthanc}/pathsentry/viewer.html?study={study}&series={series}&threshold=0.5"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the settings fixture names a database; the test uses none."""
    return sqlite_url


def orthanc_serving_the_viewer(folder: Path, settings: Settings) -> OrthancServer:
    """Orthanc with DICOMweb and PathSentry's viewer page (the README's configuration)."""
    folders = pacs_page_folders(viewer_bundle(settings))
    options = {
        "Plugins": [str(DICOMWEB_PLUGIN), str(PLUGINS / "libServeFolders.so")],
        "ServeFolders": {
            "Extensions": {".wasm": "application/wasm", ".mjs": "text/javascript"},
            "Folders": {path: str(directory) for path, directory in folders.items()},
        },
    }
    return OrthancServer(folder, options=options)


def test_the_viewer_draws_our_seg_from_orthanc_over_the_lesion(
    slide: Path, analysed: Analysed, settings: Settings, tmp_path: Path
) -> None:
    values = truth_segmentation(slide, tmp_path / "truth-seg", analysed[0])
    source = dcmread(slide / "level-0.dcm", stop_before_pixels=True)
    labels = np.asarray(Image.open(slide / "truth" / "labels.png"))
    errors: list[str] = []
    frames: list[Response] = []
    with orthanc_serving_the_viewer(tmp_path / "pacs", settings) as pacs, chromium() as browser:
        for path in [*sorted(slide.glob("*.dcm")), *(file.path for file in values.files)]:
            pacs.upload(path)
        template = TEMPLATE.replace("{orthanc}", pacs.url)
        address = viewer_url(template, str(source.StudyInstanceUID), str(source.SeriesInstanceUID))
        assert address is not None
        page = browser.new_page()

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("response", lambda r: frames.append(r) if "/frames/" in r.url else None)
        page.goto(address)
        viewer = page.locator(".slide-viewer")
        expect(viewer).to_have_attribute("data-segments", re.compile("^[1-9]"), timeout=30_000)
        expect(page.locator(".viewer-status")).to_have_text("")
        shown = settled(page)
        page.locator("body").press("h")
        expect(page.locator(".segment-toggle")).not_to_be_checked()
        hidden = settled(page)
        page.screenshot(path=tmp_path / "page.png")
    assert frames and all(response.status == 200 for response in frames)
    assert all(response.url.startswith(f"{pacs.dicomweb_url}/studies/") for response in frames)
    truth = as_displayed(labels, hidden)
    to_screen = screen_mapping(hidden, truth)
    lesion = [to_screen(point) for point in inner_points(truth == LESION)]
    benign = [to_screen(point) for point in inner_points(truth == 1)]
    assert np.mean([changed(shown, hidden, p) for p in lesion]) > 0.9, "no overlay on the lesion"
    assert np.mean([changed(shown, hidden, p) for p in benign]) < 0.1, "overlay on benign tissue"
    assert errors == []
