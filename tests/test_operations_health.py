"""Issue 27, item 7: /healthz and /readyz for load balancers, and Prometheus metrics at /metrics (open to
loopback and to a token; multiprocess under gunicorn).

Every test here failed on the code before the fix (see the commit that added this file): none of the three
routes existed.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from portal import create_app
from portal.build import stages
from portal.search.index import current_generation
from tests.conftest import TODAY
from tests.test_auth import add_users, login

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-token-0123456789abcdef"
AWAY = "postgresql://postgres@/postgres?host=/nonexistent-portal-socket&port=1"
LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}
STRANGER = {"REMOTE_ADDR": "203.0.113.9"}


def _config(corpus_dir: Path, tmp_path: Path, **extra) -> dict:
    return {"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index", "TODAY": TODAY.isoformat(),
            "SECRET_KEY": "test-secret", "DATA_DIR": tmp_path / "data", **extra}


@pytest.fixture
def indexed(corpus_dir, tmp_path) -> Path:
    """The test corpus's index, built as `portal index` builds it."""
    stages.index_content(corpus_dir, tmp_path / "index", TODAY)
    return tmp_path / "index"


def _app(corpus_dir, tmp_path, **extra):
    app = create_app(_config(corpus_dir, tmp_path, **extra))
    add_users(app)
    return app


def _samples(text: str) -> list:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called *name* whose labels include *labels*."""
    return sum(s.value for s in _samples(text) if s.name == name and labels.items() <= s.labels.items())


# --- /healthz and /readyz -----------------------------------------------------------------------------------------

def test_healthz_says_alive_without_touching_the_index_or_the_database(corpus_dir, tmp_path, monkeypatch):
    app = create_app(_config(corpus_dir, tmp_path, DATABASE_URL=AWAY))
    from portal.web import database

    def no_io(*_args, **_kwargs):
        raise AssertionError("/healthz touched the database")

    monkeypatch.setattr(database.Database, "connection", no_io)
    r = app.test_client().get("/healthz", environ_base=STRANGER)
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}
    assert r.headers["Cache-Control"] == "no-store"
    assert not (tmp_path / "index").exists()  # nothing was built or opened


def test_readyz_is_200_with_an_index_generation_open_and_the_database_reachable(corpus_dir, tmp_path, indexed):
    app = _app(corpus_dir, tmp_path)
    r = app.test_client().get("/readyz", environ_base=STRANGER)
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["status"] == "ready" and body["database"] == "ok"
    assert body["index"]["generation"] == current_generation(indexed).name
    assert 0 <= body["index"]["age_seconds"] < 600
    assert r.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_in_the_one_error_shape_without_an_index_and_builds_none(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path)
    r = app.test_client().get("/readyz")
    assert r.status_code == 503
    error = r.get_json()["error"]
    assert error["status"] == 503 and error["code"] == "unavailable" and "index" in error["message"]
    assert error["checks"]["index"] != "ok" and error["checks"]["database"] == "ok"
    assert not (tmp_path / "index" / "current").exists()  # a load balancer's probe never builds an index


def test_readyz_is_503_when_the_database_is_away(corpus_dir, tmp_path, indexed):
    app = _app(corpus_dir, tmp_path, DATABASE_URL=AWAY)
    r = app.test_client().get("/readyz")
    assert r.status_code == 503
    error = r.get_json()["error"]
    assert error["code"] == "unavailable" and "database" in error["message"]
    assert error["checks"]["database"] != "ok" and error["checks"]["index"] == "ok"


# --- /metrics: who may read it -----------------------------------------------------------------------------------

def test_metrics_are_open_to_loopback_and_to_the_token_only(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, METRICS_TOKEN=TOKEN)
    client = app.test_client()
    assert client.get("/metrics", environ_base=STRANGER).status_code == 403
    r = client.get("/metrics", environ_base=STRANGER, headers={"Authorization": "Bearer " + TOKEN[:-1] + "x"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    r = client.get("/metrics", environ_base=STRANGER, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.mimetype == "text/plain" and "portal_http_requests_total" in r.get_data(True)
    assert client.get("/metrics", environ_base=LOOPBACK).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_use_the_socket_peer_not_x_forwarded_for(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, PROXY_COUNT=1)
    client = app.test_client()
    # A stranger claiming to be loopback:
    assert client.get("/metrics", environ_base=STRANGER, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403
    # A request the local proxy passed on from outside is not a local scraper, though its peer is loopback:
    assert client.get("/metrics", environ_base=LOOPBACK,
                      headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    without_proxy_count = _app(corpus_dir, tmp_path / "other")
    assert without_proxy_count.test_client().get("/metrics", environ_base=LOOPBACK,
                                                 headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_a_short_metrics_token_stops_the_app(corpus_dir, tmp_path):
    from portal.exceptions import ConfigError

    with pytest.raises(ConfigError, match="PORTAL_METRICS_TOKEN"):
        create_app(_config(corpus_dir, tmp_path, METRICS_TOKEN="short"))


# --- /metrics: what it counts ------------------------------------------------------------------------------------

def test_the_counters_move_with_searches_feedback_and_429s(corpus_dir, tmp_path, indexed):
    app = _app(corpus_dir, tmp_path, FEEDBACK_MAX_POSTS=2)
    client = app.test_client()

    def scrape() -> str:
        r = client.get("/metrics", environ_base=LOOPBACK)
        assert r.status_code == 200
        return r.get_data(as_text=True)

    before = scrape()
    assert client.get("/api/v1/search?q=bygglov").status_code == 200
    assert client.get("/api/v1/search?q=byg&prefix=1").status_code == 200
    assert client.get("/api/v1/search?q=xqzvwk").status_code == 200
    assert client.get("/sv/search/?q=bygglov").status_code == 200
    assert login(client).status_code == 302
    assert client.get("/agent/?q=bygglov").status_code == 200
    for _ in range(3):
        client.post("/api/v1/feedback", json={"article": "bygglov", "lang": "sv", "helpful": True})
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("portal_searches_total", channel="api") == 3
    assert delta("portal_searches_total", channel="api", typing="yes") == 1
    assert delta("portal_searches_total", channel="public") == 1
    assert delta("portal_searches_total", channel="agent") == 1
    assert delta("portal_search_seconds_count", channel="api") == 3
    assert delta("portal_search_seconds_bucket", channel="api", le="+Inf") == 3
    assert delta("portal_searches_without_result_total", channel="api") >= 1  # xqzvwk
    assert delta("portal_searches_without_result_total", channel="public") == 0  # bygglov
    assert delta("portal_posts_total", kind="feedback", status="201") == 2
    assert delta("portal_posts_total", kind="feedback", status="429") == 1
    assert delta("portal_rate_limited_total", limit="feedback") == 1
    assert delta("portal_http_requests_total", endpoint="api.search", status="200") == 3
    assert 0 <= value(after, "portal_index_generation_age_seconds") < 600
    assert value(after, "portal_index_generation_built_timestamp_seconds") > 1.7e9


def test_a_login_429_is_counted(corpus_dir, tmp_path):
    app = _app(corpus_dir, tmp_path, LOGIN_MAX_FAILURES=1)
    client = app.test_client()
    before = client.get("/metrics", environ_base=LOOPBACK).get_data(as_text=True)
    assert login(client, "anna", "nope").status_code == 401
    assert login(client, "anna", "nope").status_code == 429
    after = client.get("/metrics", environ_base=LOOPBACK).get_data(as_text=True)
    assert value(after, "portal_rate_limited_total", limit="login") - \
        value(before, "portal_rate_limited_total", limit="login") == 1


# --- multiprocess mode under a real gunicorn ---------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _workers(master: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return {int(pid) for pid in out.split()}


def _served_by(folder: Path, pid: int) -> float:
    """The searches the worker *pid* counted, from its own file of the multiprocess folder."""
    from prometheus_client.multiprocess import MultiProcessCollector

    files = [str(p) for p in folder.glob(f"counter_{pid}.db")]
    metrics = MultiProcessCollector.merge(files, accumulate=True) if files else []
    return sum(s.value for m in metrics for s in m.samples
               if s.name == "portal_searches_total" and s.labels.get("channel") == "api")


@pytest.mark.slow
def test_metrics_count_what_both_gunicorn_workers_served(corpus_dir, tmp_path, indexed):
    port, folder = _free_port(), tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left over from an earlier run")  # the config wipes it at start
    env = {**os.environ, "PORTAL_ARTICLES_DIR": str(corpus_dir), "PORTAL_INDEX_DIR": str(indexed),
           "PORTAL_DATA_DIR": str(tmp_path / "data"), "PORTAL_BIND": f"127.0.0.1:{port}", "PORTAL_WORKERS": "2",
           "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONWARNINGS": "ignore",
           "PORTAL_ACCESS_LOG": str(tmp_path / "access.log")}
    with open(tmp_path / "gunicorn.log", "w", encoding="utf-8") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "docs/gunicorn.conf.py",
                                   "portal.web.app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=log)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                if _get(port, "/readyz")[0] == 200 and len(_workers(server.pid)) == 2:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not become ready"
            time.sleep(0.2)
        workers = _workers(server.pid)
        sent, failed = 0, []
        lock = threading.Lock()

        def search(n: int) -> None:
            status, _body = _get(port, f"/api/v1/search?q=bygglov&limit={n % 5 + 1}")
            if status != 200:
                with lock:
                    failed.append(status)

        for _round in range(10):  # new connections, 16 at a time, until both workers have served some
            threads = [threading.Thread(target=search, args=(n,)) for n in range(32)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            sent += 32
            if all(_served_by(folder, pid) > 0 for pid in workers):
                break
        assert not failed
        per_worker = {pid: _served_by(folder, pid) for pid in workers}
        assert all(n > 0 for n in per_worker.values()), per_worker
        assert sum(per_worker.values()) == sent
        status, body = _get(port, "/metrics")
        assert status == 200
        assert value(body.decode(), "portal_searches_total", channel="api") == sent
        assert not (folder / "counter_1.db").exists()
        # A worker that dies: its counts stay, its live gauges go (child_exit -> mark_process_dead).
        dead = min(workers)
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while dead in _workers(server.pid) or len(_workers(server.pid)) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(0.5)
        assert not list(folder.glob(f"gauge_live*_{dead}.db"))
        status, body = _get(port, "/metrics")
        assert status == 200 and value(body.decode(), "portal_searches_total", channel="api") == sent
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
