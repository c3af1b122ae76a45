"""Real-browser fixtures: Debian's Chromium driven by Playwright, axe-core injected from npm.

A live server runs the app (or serves a built static folder) on a free loopback port.
Screenshots go to test-artifacts/screenshots/ for review.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = pytest.mark.browser


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A WSGI app or a static folder served from a background thread on 127.0.0.1."""

    def __init__(self, app=None, folder: Path | None = None):
        self.port = free_port()
        if app is not None:
            self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        else:
            handler = functools.partial(_QuietHandler, directory=str(folder))
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output readable
        pass


# The sample site's day in tests/browser: one of the days its site-wide notice is shown (the tallest first screen).
SAMPLE_DAY = dt.date(2026, 12, 5)


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory):
    """The sample content (articles/) built once for the session on :data:`SAMPLE_DAY`, served on loopback:
    (folder, url). The phone, language and Lighthouse tests all look at it."""
    from portal.site import pipeline

    tmp = tmp_path_factory.mktemp("sample-site")
    pipeline.build(ROOT / "articles", tmp / "site", tmp / "index", today=SAMPLE_DAY)
    live = LiveServer(folder=tmp / "site")
    yield tmp / "site", live.url
    live.stop()


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: install it with `apt-get install -y chromium` (the README's "
                    "test command does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh browser page (own context) per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def axe_violations(page, tags: list[str] | None = None) -> list[dict]:
    """Run axe-core in *page* and return its WCAG 2.1 A/AA violations.

    axe is evaluated through the DevTools protocol rather than added as a <script> tag, which the
    app's strict Content-Security-Policy (rightly) blocks."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8"))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           tags or WCAG_TAGS)
    return result["violations"]


def describe(violations: list[dict]) -> str:
    """A readable summary of axe violations for an assertion message."""
    return json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "nodes": [n["target"] for n in v["nodes"][:3]]} for v in violations], indent=1)


def no_violations(page, name: str) -> None:
    """Screenshot *page* as *name*, then assert that axe (already in the page) finds no WCAG 2.1 A/AA violation."""
    screenshot(page, name)
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    assert not result["violations"], describe(result["violations"])


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot for review and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
