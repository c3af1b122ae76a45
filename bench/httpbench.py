"""Query latency through HTTP: the real app under gunicorn on 127.0.0.1, one keep-alive client.

The server runs in a child process (``gunicorn -k gthread``, ``portal:create_app()`` configured by
PORTAL_* environment variables) over a prepared index. The client sends each query once, sequentially,
over one ``http.client`` keep-alive connection: agent searches (``audience=all`` with a Bearer token)
and public ones. Each gunicorn worker writes its peak memory when it exits (``bench/gunicorn_conf.py``).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from phases import latencies, warmup_queries  # noqa: E402
from queries import Query, make_queries  # noqa: E402


def api_available() -> bool:
    """True when the app has the JSON search API (``/api/v1/search``)."""
    api = HERE.parent / "portal" / "api.py"
    return api.is_file() and "/search" in api.read_text("utf-8") and "/api/v1" in api.read_text("utf-8")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(content: Path, index: Path, data: Path, port: int, workers: int = 1,
                 threads: int = 4) -> tuple[subprocess.Popen, Path]:
    """Start gunicorn over *content* and *index*; the process and the file its workers write memory to."""
    data.mkdir(parents=True, exist_ok=True)
    rss_file = data / "worker-maxrss.txt"
    rss_file.unlink(missing_ok=True)
    env = {**os.environ, "PORTAL_ARTICLES_DIR": str(content), "PORTAL_INDEX_DIR": str(index),
           "PORTAL_DATA_DIR": str(data), "PORTAL_SECRET_KEY": "bench-secret", "PORTAL_FIRST_USER": "0",
           "BENCH_RSS_FILE": str(rss_file)}
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--threads", str(threads), "--worker-class", "gthread", "--keep-alive", "30",
           "--config", str(HERE / "gunicorn_conf.py"), "--log-level", "warning", "portal:create_app()"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=data)
    return proc, rss_file


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 900) -> float:
    """Seconds until the server answers ``/api/v1/languages`` (its first request loads the content)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/languages")
            if conn.getresponse().status == 200:
                conn.close()
                return time.perf_counter() - t0
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


def stop_server(proc: subprocess.Popen, rss_file: Path) -> list[int]:
    """Stop gunicorn gracefully; the peak memory (KiB) of each of its workers."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    text = rss_file.read_text("utf-8") if rss_file.is_file() else ""
    return [int(x) for x in text.split()]


def http_latencies(content: Path, index: Path, data: Path, per_kind: int, workers: int = 1) -> dict[str, Any]:
    """Query latency through HTTP for agents and the public; startup time and worker peak memory."""
    from portal.web.auth import add_token

    token = add_token(data / "tokens.json", "bench", "agent")
    port = free_port()
    proc, rss_file = start_server(content, index, data, port, workers)
    try:
        startup = wait_ready(port, proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        queries = make_queries(content, per_kind)
        out: dict[str, Any] = {"server": f"gunicorn gthread, {workers} worker(s) x 4 threads", "startup_s": startup}
        for audience in ("agent", "public"):
            def run(q: Query, audience: str = audience) -> int:
                params = {"q": q.text, "lang": q.lang, "limit": 10, "prefix": "true" if q.prefix else "false"}
                headers = {}
                if audience == "agent":
                    params["audience"] = "all"
                    headers["Authorization"] = f"Bearer {token}"
                conn.request("GET", "/api/v1/search?" + urlencode(params), headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status} for {q}: {body[:300]!r}")
                return int(json.loads(body)["count"])
            out[audience] = latencies(queries, run, warmup_queries(content, queries))
        conn.close()
    finally:
        out_rss = stop_server(proc, rss_file)
    out["maxrss_kb"] = max(out_rss) if out_rss else None
    return out
