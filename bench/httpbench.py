"""Query latency through HTTP: the real app under gunicorn on 127.0.0.1, one keep-alive client.

The server runs in a child process (``gunicorn -k gthread``, ``portal:create_app()`` configured by
PORTAL_* environment variables) over a prepared index. Before it starts, the app's URL map must have
``GET /api/v1/search`` (``portal.create_app``, in a child process): a missing route is an error, not a skip.

The client sends each query once, sequentially, over one ``http.client`` keep-alive connection, as agents
(``audience=all`` with a Bearer token) and as the public (other queries: ``queries.audience_queries``, so
that the model's cache of question vectors holds none of them), in four kinds of request:

* ``prefix``: as-you-type queries (the last word cut, ``prefix=true``); they stay lexical in every mode;
* ``words_lexical``: 1–3-word queries forced lexical (``mode=lexical``);
* ``words_hybrid``: the same word queries settled (``prefix=false``, no ``mode``: the default, hybrid
  lexical + semantic). Each word query is sent both ways one after the other, which first alternating;
* ``typo``: queries with one typo, settled (the default mode).

Each gunicorn worker writes its peak memory when it exits (``bench/gunicorn_conf.py``). With
``compare_semantic`` a second server over the same index runs the same requests with
``PORTAL_SEMANTIC_SEARCH=0`` (lexical-only workers), one server after the other: the difference in worker peak
memory is what semantic search costs.

An API that does not know ``mode`` yet answers both word passes with the same search, and then the second
request of each pair is a result-cache hit. Whether it knows ``mode`` (``openapi.json`` documents it, or a
value that is no mode gets a 400) is recorded as ``mode_parameter``, with a note when it does not. Each kind
also counts the ``mode`` the answers say they were served in (``served``); a note says when settled word
queries were answered lexically (an index without semantic vectors, or the model switched off).

Standalone, over content and an index built before (``bench/run.py --workdir DIR --keep``)::

    .venv/bin/python bench/httpbench.py DIR/n10000/content DIR/n10000/index --queries 100 --compare-semantic
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from phases import run_phase, summarize, warmup_queries  # noqa: E402
from queries import Query, audience_queries  # noqa: E402

SEARCH_ROUTE = "/api/v1/search"
SEMANTIC_ENV = "PORTAL_SEMANTIC_SEARCH"
NO_SUCH_MODE = "bench-no-such-mode"


@dataclass(frozen=True)
class Kind:
    """One kind of search request: which queries (a kind of bench/queries.py) and the ``mode`` sent (None: none)."""

    name: str
    queries: str
    mode: str | None


KINDS = (Kind("prefix", "prefix", None), Kind("words_lexical", "words", "lexical"),
         Kind("words_hybrid", "words", None), Kind("typo", "typo", None))
AUDIENCES = ("agent", "public")


def search_route(content: Path, index: Path, data: Path) -> list[str]:
    """The methods of ``/api/v1/search`` in ``portal.create_app()``'s URL map (built in a child process); an
    error when the app has no such GET route."""
    found = run_phase("routes", content=str(content), index=str(index), data=str(data / "routes"))
    methods = found["routes"].get(SEARCH_ROUTE)
    if not methods or "GET" not in methods:
        api = sorted(r for r in found["routes"] if r.startswith("/api/"))
        raise RuntimeError(f"portal.create_app() has no GET {SEARCH_ROUTE} (its /api routes: {', '.join(api)})")
    return methods


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(content: Path, index: Path, data: Path, port: int, workers: int = 1, threads: int = 4,
                 semantic: bool = True) -> tuple[subprocess.Popen, Path]:
    """Start gunicorn over *content* and *index*; the process and the file its workers write memory to.
    ``semantic=False`` starts it with PORTAL_SEMANTIC_SEARCH=0; otherwise the variable is unset (the default).
    Its output goes to ``gunicorn.log`` in *data*."""
    data.mkdir(parents=True, exist_ok=True)
    rss_file = data / "worker-maxrss.txt"
    rss_file.unlink(missing_ok=True)
    env = {**os.environ, "PORTAL_ARTICLES_DIR": str(content), "PORTAL_INDEX_DIR": str(index),
           "PORTAL_DATA_DIR": str(data), "PORTAL_SECRET_KEY": "bench-secret", "PORTAL_FIRST_USER": "0",
           "BENCH_RSS_FILE": str(rss_file)}
    env.pop(SEMANTIC_ENV, None)
    if not semantic:
        env[SEMANTIC_ENV] = "0"
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--threads", str(threads), "--worker-class", "gthread", "--keep-alive", "30",
           "--config", str(HERE / "gunicorn_conf.py"), "--log-level", "warning", "portal:create_app()"]
    with open(data / "gunicorn.log", "ab") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data)
    return proc, rss_file


def _log_tail(data: Path) -> str:
    log = data / "gunicorn.log"
    return log.read_text("utf-8", errors="replace")[-2000:] if log.is_file() else ""


def wait_ready(port: int, proc: subprocess.Popen, data: Path, timeout: float = 900) -> float:
    """Seconds until the server answers ``/api/v1/languages`` (its first request loads the content)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}: {_log_tail(data)}")
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
    raise RuntimeError(f"the server did not answer in {timeout:.0f} s: {_log_tail(data)}")


def stop_server(proc: subprocess.Popen, rss_file: Path, workers: int) -> list[int]:
    """Stop gunicorn gracefully; the peak memory (KiB) of each of its workers (an error when one did not report)."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    text = rss_file.read_text("utf-8") if rss_file.is_file() else ""
    rss = [int(x) for x in text.split()]
    if len(rss) < workers:
        raise RuntimeError(f"{workers - len(rss)} of {workers} gunicorn worker(s) reported no peak memory in "
                           f"{rss_file} (bench/gunicorn_conf.py): {_log_tail(rss_file.parent)}")
    return rss


def _get(conn: http.client.HTTPConnection, url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn.request("GET", url, headers=headers or {})
    resp = conn.getresponse()
    return resp.status, resp.read()


def mode_parameter(conn: http.client.HTTPConnection) -> dict[str, Any]:
    """Whether the API knows ``mode``: documented in its OpenAPI document, or a value that is no mode refused."""
    status, body = _get(conn, "/api/v1/openapi.json")
    params = json.loads(body)["paths"]["/search"]["get"]["parameters"] if status == 200 else []
    documented = any(p.get("name") == "mode" for p in params)
    status, _ = _get(conn, "/api/v1/search?" + urlencode({"q": "bench", "mode": NO_SUCH_MODE}))
    return {"documented": documented, "refuses_unknown": status == 400, "known": documented or status == 400}


def requests_in_order(queries: list[Query]) -> list[tuple[Kind, Query]]:
    """Every request of one audience: each query of its kind(s); a word query both ways, which first alternating."""
    out: list[tuple[Kind, Query]] = []
    flip = False
    for q in queries:
        mine = [k for k in KINDS if k.queries == q.kind]
        if len(mine) > 1:
            mine = mine[::-1] if flip else mine
            flip = not flip
        out += [(k, q) for k in mine]
    return out


def measure(run: Callable[[Kind, Query], tuple[int, str]], queries: list[Query],
            warmup: list[Query]) -> dict[str, Any]:
    """Each request once, after the unmeasured *warmup* ones (every kind): per kind the latency summary, mean hits
    and how many answers said they were lexical or hybrid (``served``: the answer's ``mode``, when it has one)."""
    for kind, q in requests_in_order(warmup):
        run(kind, q)
    ms: dict[str, list[float]] = {k.name: [] for k in KINDS}
    hits: dict[str, list[int]] = {k.name: [] for k in KINDS}
    served: dict[str, Counter[str]] = {k.name: Counter() for k in KINDS}
    for kind, q in requests_in_order(queries):
        t0 = time.perf_counter()
        n, mode = run(kind, q)
        ms[kind.name].append((time.perf_counter() - t0) * 1000)
        hits[kind.name].append(n)
        served[kind.name][mode] += 1
    return {k: {**summarize(v), "mean_hits": round(statistics.fmean(hits[k]), 2) if hits[k] else 0,
                "served": dict(sorted(served[k].items()))} for k, v in ms.items()}


def serve_and_measure(content: Path, index: Path, data: Path, queries: dict[str, list[Query]], warmup: list[Query],
                      workers: int = 1, semantic: bool = True) -> dict[str, Any]:
    """One server over *index*: every kind of request for agents and the public; start-up and worker memory."""
    from portal.web.accounts import add_token

    data.mkdir(parents=True, exist_ok=True)
    token = add_token(data / "tokens.json", "bench", "agent")
    port = free_port()
    proc, rss_file = start_server(content, index, data, port, workers, semantic=semantic)
    out: dict[str, Any] = {"server": f"gunicorn gthread, {workers} worker(s) x 4 threads",
                           "semantic_env": "unset (default)" if semantic else f"{SEMANTIC_ENV}=0"}
    try:
        out["startup_s"] = wait_ready(port, proc, data)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        out["mode_parameter"] = mode_parameter(conn)
        out["hybrid_vs_lexical_p95"] = {}
        for audience in AUDIENCES:
            def run(kind: Kind, q: Query, audience: str = audience) -> tuple[int, str]:
                params: dict[str, Any] = {"q": q.text, "lang": q.lang, "limit": 10,
                                          "prefix": "true" if q.prefix else "false"}
                if kind.mode:
                    params["mode"] = kind.mode
                headers = {}
                if audience == "agent":
                    params["audience"] = "all"
                    headers["Authorization"] = f"Bearer {token}"
                status, body = _get(conn, "/api/v1/search?" + urlencode(params), headers)
                if status != 200:
                    raise RuntimeError(f"HTTP {status} for {params}: {body[:300]!r}")
                answer = json.loads(body)
                return int(answer["count"]), str(answer.get("mode", "unknown"))
            out[audience] = measure(run, queries[audience], warmup)
            lexical, hybrid = out[audience]["words_lexical"]["p95"], out[audience]["words_hybrid"]["p95"]
            out["hybrid_vs_lexical_p95"][audience] = round(hybrid / lexical, 2) if lexical else None
        conn.close()
    except BaseException:
        stop_server(proc, rss_file, 0)  # the error that stopped the run is the one to report
        raise
    rss = stop_server(proc, rss_file, workers)
    out["workers_maxrss_kb"] = rss
    out["maxrss_kb"] = max(rss)
    return out


def http_latencies(content: Path, index: Path, data: Path, per_kind: int, workers: int = 1,
                   compare_semantic: bool = False) -> dict[str, Any]:
    """Latency through HTTP for agents and the public, per kind of request, on the default server; with
    *compare_semantic* the same on a lexical-only server (PORTAL_SEMANTIC_SEARCH=0) and the memory difference."""
    out: dict[str, Any] = {"route_methods": search_route(content, index, data)}
    queries = audience_queries(content, per_kind)
    warmup = warmup_queries(content, [*queries["agent"], *queries["public"]])
    out.update(serve_and_measure(content, index, data / "semantic", queries, warmup, workers))
    notes = []
    if not out["mode_parameter"]["known"]:
        notes.append("the API ignores mode (not in openapi.json, an unknown mode is not refused): words_lexical "
                     "and words_hybrid are the same search, the second of each pair a result-cache hit")
    for audience in AUDIENCES:
        served = out[audience]["words_hybrid"]["served"]
        lexical = served.get("lexical", 0)
        if lexical:
            notes.append(f"{audience}: {lexical} of {sum(served.values())} settled word queries were answered "
                         "lexically (the answers' mode): the index has no semantic vectors, or the model is off")
    if compare_semantic:
        off = serve_and_measure(content, index, data / "lexical-only", queries, warmup, workers, semantic=False)
        out["lexical_only"] = off
        out["semantic_memory_kb"] = out["maxrss_kb"] - off["maxrss_kb"]
    out["notes"] = notes
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure over an existing content folder and index; print the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("content", type=Path)
    ap.add_argument("index", type=Path)
    ap.add_argument("--queries", type=int, default=200, help="queries per kind and audience")
    ap.add_argument("--workers", type=int, default=1, help="gunicorn workers (4 threads each)")
    ap.add_argument("--compare-semantic", action="store_true",
                    help=f"also run the same requests on a server with {SEMANTIC_ENV}=0 (memory difference)")
    ap.add_argument("--data", type=Path, default=None, help="the servers' data folder (default: a temporary one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="portal-httpbench-") as tmp:
        result = http_latencies(args.content.resolve(), args.index.resolve(), (args.data or Path(tmp)).resolve(),
                                args.queries, args.workers, args.compare_semantic)
    print(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
