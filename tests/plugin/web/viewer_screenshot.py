"""A screenshot of the case page with the slide viewer, for the README.

    PYTHONPATH=. python -m tests.plugin.web.viewer_screenshot docs/case-viewer.png

A synthetic malignant slide, its truth as the AI map (so the overlay is where the lesions
are) and the hot regions of a real (tiny, untrained) analysis as the foci.
"""

import sys
import tempfile
from pathlib import Path

from config import DbSettings, Settings, StorageSettings, WebSettings
from db import tokens
from db.migrate import upgrade
from db.models import Role
from db.results import ResultValues
from db.session import connect
from plugin.analysis.pipeline import SlidePipeline
from plugin.web import create_app
from tests.plugin.slides import job_context, service_settings, small_slide, tiny_model
from tests.plugin.web.browser import chromium, log_in
from tests.plugin.web.held_slides import hold_result, hold_slide, truth_segmentation
from tests.plugin.web.live_server import live_server
from tests.plugin.web.screenshot import VIEWPORT


def main(target: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        slide = small_slide(root / "slide")
        analysis = service_settings(root / "analysis", tiny_model(root / "tiny.safetensors"))
        values = SlidePipeline(analysis)(job_context(slide))
        if not isinstance(values, ResultValues):
            raise SystemExit(f"the synthetic slide was not analysed: {values}")
        url = f"sqlite:///{root / 'pathsentry.db'}"
        upgrade(url)
        database = connect(url)
        settings = Settings(
            storage=StorageSettings(data_dir=root / "data"),
            db=DbSettings(url=url),
            web=WebSettings(
                viewer_url_template="https://slim.example/studies/{study}/series/{series}"
            ),
        )
        with database.session() as session:
            truth = truth_segmentation(slide, root / "truth-seg", values)
            row = hold_slide(session, slide, settings.storage.data_dir)
            hold_result(session, row, truth, settings.storage.data_dir)
            secret = tokens.create_token(session, "dr.demo", Role.PATHOLOGIST).secret
            case_id = row.case_id
            session.commit()
        with live_server(create_app(settings, database=database)) as base, chromium() as browser:
            page = browser.new_page(viewport=VIEWPORT)
            log_in(page, base, secret, f"/cases/{case_id}")
            page.locator(".slide-viewer[data-segments]").wait_for(timeout=30_000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)
            page.screenshot(path=target, full_page=True)
        database.dispose()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
