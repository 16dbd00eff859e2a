"""Screenshots of the dashboard, for the README.

    PYTHONPATH=. python -m tests.plugin.web.screenshot docs/ [URL TOKEN CASE_ID]

writes docs/dashboard.png (the worklist) and docs/case-page.png (a case with the heatmap),
of seeded synthetic cases, or of a running dashboard. The README's are of `pathsentry demo`:
run it, then pass the URL and admin token it prints, and case 1.
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, ViewportSize

from config import DbSettings, Settings, StorageSettings, WebSettings
from db import tokens
from db.migrate import upgrade
from db.models import Role
from db.session import connect
from plugin.web import create_app
from tests.plugin.web.browser import chromium, log_in
from tests.plugin.web.live_server import live_server
from tests.plugin.web.synthetic import seed_cases

VIEWPORT: ViewportSize = {"width": 1360, "height": 820}


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


def of_running(folder: Path, base_url: str, secret: str, case_id: int) -> list[Path]:
    """Photograph a dashboard that is already running (for example the demo's)."""
    with chromium() as browser:
        return capture(browser, base_url, secret, case_id, folder)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    if len(sys.argv) == 5:
        written = of_running(target, sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        written = main(target)
    for path in written:
        sys.stdout.write(f"{path}\n")
