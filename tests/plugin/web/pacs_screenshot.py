"""The README's pictures of results in a PACS ("Results back to the PACS"), from a real run.

    PYTHONPATH=. python -m tests.plugin.web.pacs_screenshot docs/

A synthetic malignant slide is analysed by the real pipeline with the bundled demonstration
model; the slide and every output go to a real Orthanc, which also serves PathSentry's viewer
page; Chromium opens it there. Writes docs/pacs-viewer.png (the slide with our SEG and foci,
from Orthanc's DICOMweb), docs/pacs-sr.txt (dcmtk's dsr2html text of the SR as Orthanc returns
it) and docs/pacs-sr-failed.txt (the same for the "failed" SR of a copy of the slide whose
frames cannot be decoded).
"""

import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import ViewportSize, expect
from pydicom import dcmread

from config import InferenceSettings, Settings, StorageSettings
from db.results import ResultValues
from plugin.analysis.failures import classify
from plugin.analysis.pipeline import SlidePipeline
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide
from plugin.web.pacs_viewer import viewer_url
from tests.dicom.results.test_sr_rendering import rendered_text
from tests.dicom.slide.nonconformant import copy_slide
from tests.plugin.export.test_failed_in_orthanc import undecodable
from tests.plugin.slides import job_context
from tests.plugin.web.browser import chromium
from tests.plugin.web.test_orthanc_viewer_browser import TEMPLATE, orthanc_serving_the_viewer

VIEWPORT: ViewportSize = {"width": 1280, "height": 760}


def main(folder: Path) -> list[Path]:
    """Analyse, store in Orthanc, photograph; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        request = SyntheticSlideRequest(
            kind="malignant", seed=7, width_um=1400, height_um=1000, tile_size=256, case="DOCS"
        )
        slide = write_synthetic_slide(work / "slide", request).folder
        settings = Settings(
            storage=StorageSettings(data_dir=work / "data"),
            inference=InferenceSettings(device="cpu"),
        )
        pipeline = SlidePipeline(settings)
        values = pipeline(job_context(slide))
        assert isinstance(values, ResultValues)
        failed_sr = _failed_report(pipeline, slide, work / "broken")
        source = dcmread(sorted(slide.glob("level-*.dcm"))[0], stop_before_pixels=True)
        with orthanc_serving_the_viewer(work / "pacs", settings) as pacs, chromium() as browser:
            for path in [*sorted(slide.glob("*.dcm")), *(file.path for file in values.files)]:
                pacs.upload(path)
            template = TEMPLATE.replace("{orthanc}", pacs.url)
            study, series = str(source.StudyInstanceUID), str(source.SeriesInstanceUID)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(viewer_url(template, study, series) or "")
            viewer = page.locator(".slide-viewer")
            expect(viewer).to_have_attribute("data-segments", re.compile("^[1-9]"), timeout=60_000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(2000)
            picture = folder / "pacs-viewer.png"
            page.screenshot(path=picture)
            stored = work / "stored-sr.dcm"
            stored.write_bytes(pacs.file_of(values.report.sop_instance_uid))
        report_text = folder / "pacs-sr.txt"
        report_text.write_text(rendered_text(stored) + "\n")
        failed_text = folder / "pacs-sr-failed.txt"
        failed_text.write_text(rendered_text(failed_sr) + "\n")
    return [picture, report_text, failed_text]


def _failed_report(pipeline: SlidePipeline, slide: Path, out: Path) -> Path:
    """The "failed" SR of a copy of the slide whose frames cannot be decoded, written as the
    worker writes it when the job fails for good."""
    context = job_context(copy_slide(slide, out, undecodable))
    try:
        pipeline(context)
    except Exception as error:  # noqa: BLE001 - the failure the worker would classify
        report = pipeline.failure_report(context, classify(error).reason)
        assert report is not None
        return report.report.path
    raise AssertionError("the broken copy was analysed")


if __name__ == "__main__":
    for path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        sys.stdout.write(f"{path}\n")
