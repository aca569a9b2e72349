"""Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright's sync API runs an event loop in the main thread, where the tests also build
their data with the ORM: DJANGO_ALLOW_ASYNC_UNSAFE tells Django that this is fine. It is set
only while Playwright runs, so it leaks neither into other tests nor into their subprocesses
(`check --deploy` warns about it).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections hit the closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module; skipped without Chromium, except in CI where it fails."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageErrors:
    """Console errors and uncaught exceptions of one page, collected as they happen."""

    def __init__(self, page):
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))

    def _console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.messages.append(f"console.error: {message.text} ({where})")

    def take(self) -> list[str]:
        taken, self.messages = self.messages, []
        return taken


@pytest.fixture
def open_page(browser, live_server):
    """open_page(viewport) -> (page, errors): a fresh browser context at that size."""
    contexts = []

    def make(viewport=DESKTOP):
        # English labels below: pin the locale rather than inherit the machine's.
        context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-US")
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        return page, PageErrors(page)

    yield make
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
