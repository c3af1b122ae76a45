"""A logged-in agent opening a hostile file from an article folder on the app's own origin runs no script
(issue 26, finding 1): an HTML, SVG or script file is not served at all, and what is served (an allowed type,
whatever bytes it holds) is shown as its type or downloaded, in a sandbox, never as a page of the origin."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from portal import create_app
from tests.browser.conftest import LiveServer
from tests.conftest import CORPUS, TODAY, git_init
from tests.test_auth import add_users

pytestmark = pytest.mark.browser

# Reads an internal article with the agent's session and sends its marker away by navigation.
STEAL = ("fetch('/agent/article/hemlig-rutin').then(r => r.text()).then(t => {"
         " const m = t.match(/MARKER-[A-Z-]+-[0-9a-f]{4}/); document.title = 'STOLEN ' + (m ? m[0] : 'none');"
         " location.href = '/sink?leak=' + encodeURIComponent(m ? m[0] : 'none'); });")
PAGE = '<!doctype html><title>Info</title><p>Se bilagan.</p><script src="/sv/bygglov/helper.js"></script>'
HOSTILE = {
    "info.html": PAGE,
    "helper.js": STEAL,
    "x.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script href="/sv/bygglov/helper.js"/></svg>',
    "sub/page.xhtml": ('<html xmlns="http://www.w3.org/1999/xhtml"><body>'
                       '<script src="/sv/bygglov/helper.js"/></body></html>'),
    "internal.md~": PAGE,
    "Internal/notes.html": PAGE,
    # Allowed types whose bytes are a page: shown as text or an image, or downloaded, never run.
    "las-mig.txt": PAGE,
    "bild-som-sida.png": PAGE,
    "blankett.docx": PAGE,
}


def _png(width: int = 4, height: int = 3) -> bytes:
    """A small valid red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\xff\0\0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def server(tmp_path: Path):
    root = tmp_path / "articles"
    shutil.copytree(CORPUS, root)
    for rel, content in {**HOSTILE, "karta.png": _png()}.items():
        path = root / "bygglov" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    git_init(root)
    # The app serves content with errors as it is (the check is not what stops these files).
    app = create_app({"ARTICLES_DIR": root, "INDEX_DIR": tmp_path / "index", "TODAY": TODAY.isoformat(),
                      "SECRET_KEY": "x", "DATA_DIR": tmp_path / "data"})
    add_users(app)
    live = LiveServer(app=app)
    yield live
    live.stop()


def _log_in(page, url: str) -> None:
    page.goto(url + "/agent/login")
    page.fill("#username", "anna")
    page.fill("#password", "anna-password-1")
    page.press("#password", "Enter")
    page.wait_for_url(url + "/agent/")
    page.goto(url + "/agent/article/hemlig-rutin")
    assert "MARKER-INTERNAL-ARTICLE-BODY-8e4c" in page.content()  # the session does read internal content


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_attachment_runs_no_script_for_a_logged_in_agent(page, server, name: str) -> None:
    _log_in(page, server.url)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    url = f"{server.url}/sv/bygglov/{name}"
    try:
        response = page.goto(url)
    except PlaywrightError as exc:  # a download: nothing was rendered
        assert "Download is starting" in str(exc), exc
        response = None
    page.wait_for_timeout(800)
    after = [u for u in requests if u != url]
    assert not any("/agent/" in u or "/sink" in u for u in after), after
    assert "STOLEN" not in page.title()
    if response is not None and response.status == 200:
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in headers["content-security-policy"], headers
        assert not name.endswith((".html", ".js", ".svg", ".xhtml", "~")) and "Internal" not in name


def test_an_allowed_image_still_shows_in_the_sandbox(page, server) -> None:
    response = page.goto(f"{server.url}/sv/bygglov/karta.png")
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "image/png"
    assert "sandbox" in response.headers["content-security-policy"]
    assert page.evaluate("() => document.images.length === 1 && document.images[0].naturalWidth") == 4
