"""Load test on loopback: concurrent agents search through gunicorn (2 workers) while the index is
rebuilt in the middle of the run, and citizens post feedback and e-service starts at the same time (into the
SQLite store both workers share). Bounded in time and in request count; stops by itself.

    python bench/loadtest.py [--articles DIR] [--duration 60] [--clients 16] [--posters 4] [--json OUT]

Prints throughput, latency percentiles and the number of failed requests (which must be zero), and checks
that every post the API accepted was stored (no write lost between the two workers).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["bygglov", "dagis", "hemtjänst", "soptunna", "parkeringstillstånd", "ekonomiskt bistånd", "förskloa",
           "hur ansöker jag om plats på förskolan", "trygghetslarm", "bibliotekskort", "vad kostar färdtjänst",
           "bygglovsansökan", "felanmälan gatlykta", "building permit", "sophämtning"]
MAX_REQUESTS = 2_000_000
POST_ARTICLES = ["bygglov", "forskoleplats", "hemtjanst", "bibliotekskort", "trygghetslarm", "fardtjanst"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(articles: Path, index: Path, data: Path, port: int, workers: int = 2,
                   log: Path | None = None) -> subprocess.Popen:
    """gunicorn with *workers* workers on 127.0.0.1:*port*, serving the app over *articles*; its own
    messages go to *log*. Every simulated citizen posts from 127.0.0.1, so the per-address limit on posts
    is raised for the run (the 429 itself is tested in tests/test_feedback.py)."""
    env = {**os.environ, "PORTAL_ARTICLES_DIR": str(articles), "PORTAL_INDEX_DIR": str(index),
           "PORTAL_DATA_DIR": str(data), "PYTHONWARNINGS": "ignore", "PORTAL_FEEDBACK_MAX_POSTS": "1000000"}
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--worker-class", "gthread", "--threads", "4", "--preload", "--log-level", "warning",
           "portal.web.app:create_app()"]
    with open(log or os.devnull, "w", encoding="utf-8") as err:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)


def wait_ready(port: int, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Wait until the server answers its language list."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text('utf-8', errors='replace')[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/api/v1/languages")
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not become ready")


def _client(port: int, stop: threading.Event, out: dict[str, Any], seed: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = seed
    while not stop.is_set() and out["count"] < MAX_REQUESTS:
        q = QUERIES[n % len(QUERIES)]
        prefix = n % 3 == 0
        text = q[: max(2, len(q) - 2)] if prefix else q
        path = "/api/v1/search?" + urllib.parse.urlencode({"q": text, "limit": 10,
                                                            "prefix": "true" if prefix else "false"})
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            ok = response.status == 200 and body.startswith(b"{")
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        elapsed = (time.perf_counter() - start) * 1000
        with out["lock"]:
            out["count"] += 1
            out["latencies"].append(elapsed)
            if not ok:
                out["failures"] += 1
        n += 1
    conn.close()


def _poster(port: int, stop: threading.Event, out: dict[str, Any], seed: int) -> None:
    """A citizen answering "Did this answer your question?" (JSON) and starting e-services (a beacon's form)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = seed
    while not stop.is_set() and out["posts"] < MAX_REQUESTS:
        article = POST_ARTICLES[n % len(POST_ARTICLES)]
        if n % 2:
            path, kind, body = "/api/v1/feedback", "application/json", json.dumps(
                {"article": article, "lang": "sv", "helpful": n % 3 != 0,
                 "comment": f"Kommentar {n}, ring 070-123 45 {n % 100:02}"}).encode()
        else:
            path, kind, body = "/api/v1/starts", "application/x-www-form-urlencoded", \
                urllib.parse.urlencode({"article": article, "lang": "sv"}).encode()
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": kind, "Accept": "application/json"})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with out["lock"]:
            out["posts"] += 1
            if status in (201, 202, 204):
                out["accepted"]["feedback" if n % 2 else "starts"] += 1
            elif status != 404:  # 404: an article the sample content does not have (another municipality's)
                out["post_failures"] += 1
        n += 1
    conn.close()


def _stored(data: Path) -> dict[str, int]:
    """What the store holds after the run: feedback rows, and the starts counted."""
    import sqlite3

    con = sqlite3.connect(data / "feedback.sqlite3")
    try:
        return {"feedback": con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0],
                "starts": con.execute("SELECT COALESCE(SUM(n), 0) FROM starts").fetchone()[0]}
    finally:
        con.close()


def run_load(articles: Path, duration: float = 60.0, clients: int = 16, rebuild_after: float | None = None,
             workers: int = 2, posters: int = 4) -> dict[str, Any]:
    """Run the load test; the index is rebuilt (a full `portal index`) *rebuild_after* seconds in, while
    *posters* citizens post feedback and e-service starts."""
    rebuild_after = duration / 3 if rebuild_after is None else rebuild_after
    with tempfile.TemporaryDirectory(prefix="portal-load-") as tmp:
        index, data = Path(tmp) / "index", Path(tmp) / "data"
        portal = [sys.executable, "-c", "from portal.cli.main import main; main()"]
        subprocess.run([*portal, "index", "--articles", str(articles), "--index", str(index)], check=True,
                       capture_output=True)
        before = os.readlink(index / "current")
        port = free_port()
        log = Path(tmp) / "gunicorn.log"
        server = start_gunicorn(articles, index, data, port, workers, log)
        try:
            wait_ready(port, server, log)
            out: dict[str, Any] = {"count": 0, "failures": 0, "latencies": [], "lock": threading.Lock(),
                                   "posts": 0, "post_failures": 0, "accepted": {"feedback": 0, "starts": 0}}
            stop = threading.Event()
            threads = [threading.Thread(target=_client, args=(port, stop, out, i), daemon=True)
                       for i in range(clients)]
            threads += [threading.Thread(target=_poster, args=(port, stop, out, i), daemon=True)
                        for i in range(posters)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            time.sleep(rebuild_after)
            rebuild_start = time.perf_counter()
            # --full: with nothing changed, a plain `portal index` has nothing to do and swaps nothing.
            subprocess.run([*portal, "index", "--full", "--articles", str(articles), "--index", str(index)],
                           check=True, capture_output=True)
            rebuild_seconds = time.perf_counter() - rebuild_start
            time.sleep(max(0.0, duration - (time.perf_counter() - started)))
            stop.set()
            for t in threads:
                t.join(timeout=15)
            wall = time.perf_counter() - started
            after = os.readlink(index / "current")
        finally:
            server.terminate()
            server.wait(timeout=30)
        stored = _stored(data) if posters else {"feedback": 0, "starts": 0}
    lat = sorted(out["latencies"])

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(len(lat) * p))], 2) if lat else 0.0

    return {"requests": out["count"], "failures": out["failures"], "seconds": round(wall, 2),
            "throughput_rps": round(out["count"] / wall, 1), "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "p99_ms": pct(0.99), "mean_ms": round(statistics.fmean(lat), 2) if lat else 0.0,
            "clients": clients, "workers": workers, "rebuild_seconds": round(rebuild_seconds, 2),
            "index_swapped": before != after, "posts": out["posts"], "post_failures": out["post_failures"],
            "posts_accepted": out["accepted"], "posts_stored": stored,
            "posts_per_s": round(out["posts"] / wall, 1)}


def main() -> None:
    """Command line: run the load test and print (and optionally write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "articles")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--posters", type=int, default=4, help="Citizens posting feedback at the same time.")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run_load(args.articles.resolve(), args.duration, args.clients, workers=args.workers,
                      posters=args.posters)
    for key, value in result.items():
        print(f"{key:16} {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1), "utf-8")
    lost = result["posts_accepted"] != result["posts_stored"]
    sys.exit(1 if result["failures"] or result["post_failures"] or lost else 0)


if __name__ == "__main__":
    main()
