"""No agent's search reaches the access log: Chromium drives the agent search through gunicorn run with the
documented configuration (docs/gunicorn.conf.py), then every byte of its access log is searched for the query."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from tests.browser.conftest import ROOT, free_port
from tests.conftest import wait_until_serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CORPUS = ROOT / "tests" / "corpus"
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Words of the query that occur in no URL of the app, so any hit in the log is the query leaking.
QUERY = "bygglov altan 19121212-1212"
LEAKS = ["altan", "19121212", "q=", "%20altan", "+altan"]


@pytest.fixture
def gunicorn_site(tmp_path):
    if not GUNICORN.exists():
        pytest.fail("gunicorn is missing: the 'serve' extra installs it (scripts/setup.sh does)")
    articles = tmp_path / "articles"
    shutil.copytree(CORPUS, articles)
    index = tmp_path / "index"
    subprocess.run([str(Path(sys.executable).with_name("portal")), "index", "--articles", str(articles),
                    "--index", str(index)], check=True, capture_output=True, timeout=300)
    port, log = free_port(), tmp_path / "access.log"
    users = {"erik": {"role": "agent", "hash": generate_password_hash("erik-password-1", method="pbkdf2:sha256:1000")}}
    env = {**os.environ, "PORTAL_ARTICLES_DIR": str(articles), "PORTAL_INDEX_DIR": str(index),
           "PORTAL_DATA_DIR": str(tmp_path / "data"), "PORTAL_USERS": json.dumps(users),
           # the documented setup sets true behind TLS; the test talks plain HTTP on the loopback
           "PORTAL_COOKIE_SECURE": "false", "PORTAL_BIND": f"127.0.0.1:{port}", "PORTAL_WORKERS": "2",
           "PORTAL_ACCESS_LOG": str(log)}
    server = subprocess.Popen([str(GUNICORN), "-c", str(ROOT / "docs" / "gunicorn.conf.py"),
                               "portal.web.app:create_app()"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url + "/api/v1/languages", server, "gunicorn", 60)
        yield url, log
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_agent_search_leaves_no_query_in_the_access_log(gunicorn_site, browser):
    url, log = gunicorn_site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    referers: list[str] = []
    page.on("request", lambda r: r.headers.get("referer") and referers.append(r.headers["referer"]))
    page.goto(url + "/agent/")
    page.fill("#username", "erik")
    page.fill("#password", "erik-password-1")
    page.press("#password", "Enter")
    page.wait_for_url(url + "/agent/")
    page.click("#q")
    page.keyboard.type(QUERY, delay=30)
    page.wait_for_function("() => location.search.includes('altan')")  # the query is in the address
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    page.goto(url + "/agent/?q=" + urllib.request.quote(QUERY))  # a reload of the search page, with its assets
    page.wait_for_selector("#results .hit-link")
    page.click("#results .hit-link")  # leaving the search page for an article sends a Referer, if any
    page.wait_for_url("**/agent/article/**")
    page.wait_for_load_state("networkidle")
    context.close()

    time.sleep(1)  # gunicorn writes its access log line after the answer
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "/agent/article/" in text and "/agent/login" in text, text  # the log did record the visit
    for leak in LEAKS:
        assert leak not in text.casefold(), f"{leak!r} reached the access log:\n{text}"
    # The agent app sends no Referer at all (not even to our own server), so no other log can hold it either.
    assert referers == [], referers
