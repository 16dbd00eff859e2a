"""Screenshots of the dashboard on synthetic cases, for the README.

    PYTHONPATH=. python -m tests.plugin.web.screenshot docs/

writes docs/dashboard.png (the worklist) and docs/case-page.png (a case with the heatmap).
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser

from config import DbSettings, Settings, StorageSettings, WebSettings
from db import tokens
from db.migrate import upgrade
from db.models import Role
from db.session import connect
from plugin.web import create_app
from tests.plugin.web.browser import chromium, log_in
from tests.plugin.web.live_server import live_server
from tests.plugin.web.synthetic import seed_cases

VIEWPORT = {"width": 1360, "height": 820}


def capture(browser: Browser, base_url: str, secret: str, case_id: int, folder: Path) -> list[Path]:
    """Screenshot the worklist (all cases) and one case page into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    log_in(page, base_url, secret, "/?view=all")
    worklist = folder / "dashboard.png"
    page.screenshot(path=worklist, full_page=True)
    page.goto(f"{base_url}/cases/{case_id}")
    page.wait_for_load_state("networkidle")
    case = folder / "case-page.png"
    page.screenshot(path=case, full_page=True)
    page.close()
    return [worklist, case]


def main(folder: Path) -> list[Path]:
    """Serve synthetic cases from a scratch database and photograph the dashboard."""
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        url = f"sqlite:///{data_dir / 'pathsentry.db'}"
        upgrade(url)
        database = connect(url)
        with database.session() as session:
            case_id = seed_cases(session, data_dir)["S26-0412"]
            secret = tokens.create_token(session, "dr.demo", Role.PATHOLOGIST).secret
            session.commit()
        settings = Settings(
            storage=StorageSettings(data_dir=data_dir),
            db=DbSettings(url=url),
            web=WebSettings(refresh_seconds=60),
        )
        app = create_app(settings, database=database)
        with live_server(app) as base_url, chromium() as browser:
            written = capture(browser, base_url, secret, case_id, folder)
        database.dispose()
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        sys.stdout.write(f"{path}\n")
