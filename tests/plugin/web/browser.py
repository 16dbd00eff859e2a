"""Debian's Chromium driven by Playwright (never a downloaded browser), and the login step."""

import contextlib
from collections.abc import Iterator

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, base_url: str, secret: str, target: str = "/") -> None:
    """Open `target`, get sent to the login page, paste the token, and come back."""
    page.goto(base_url + target)
    page.fill("#token", secret)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + target)
