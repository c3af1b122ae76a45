"""Two machines against one, and a 60-second load run across a rolling index update (issue 27).

The topology is the one ``tests/test_topology.py`` starts (``tests/topology.py``): Debian's nginx balancing
gunicorn "machines" (2 workers each, own data folder, own copy of one index artifact) over one PostgreSQL server.
Clients are threads with keep-alive connections to nginx, each sending a mix like the public's and the API's:
a search (``/api/v1/search``, questions from ``tests/eval/queries.yml``), an article page, the API's article, and
now and then a feedback post.

* ``throughput``: the same load for ``--seconds`` against nginx with one machine behind it, then with both,
  alternated ``--rounds`` times in one sitting: requests per second, their medians and the ratio.
* ``rolling``: ``--load-seconds`` (60) of load against both machines; a new article is indexed once, exported and
  installed machine by machine at a third of the run, and changed and rolled out again at two thirds. Every answer
  that is not 200 (201 for a post) counts as failed. ``/metrics`` of both machines is scraped every 5 seconds
  during the run; at the end the requests the metrics counted (``portal_http_requests_total``, scrapes left out)
  are compared with the requests the clients sent.

Usage::

    .venv/bin/python bench/topology_bench.py [--articles articles] [--clients 8] [--seconds 15] [--rounds 2]
        [--load-seconds 60] [--semantic]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tests import topology  # noqa: E402
from tests.conftest import git_init  # noqa: E402

NEW_ID = "zebrakorsningsintyg"


class Load:
    """Client threads sending the mix until stopped; what they got back."""

    def __init__(self, port: int, clients: int, questions: list[str], articles: list[str]):
        self.port, self.clients, self.questions, self.articles = port, clients, questions, articles
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.failed: list[str] = []
        self.latency: list[float] = []
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the client threads."""
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(self.clients)]
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        """Stop the clients and wait for their last requests."""
        self.stop.set()
        for t in self.threads:
            t.join()

    def _client(self, n: int) -> None:
        rnd = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = 0
        while not self.stop.is_set():
            i += 1
            aid = rnd.choice(self.articles)
            requests = [("GET", "/api/v1/search?" + urllib.parse.urlencode({"q": rnd.choice(self.questions)}),
                         None, 200),
                        ("GET", f"/sv/{aid}/", None, 200), ("GET", f"/api/v1/articles/{aid}", None, 200)]
            if i % 10 == 0:
                body = json.dumps({"article": aid, "lang": "sv", "helpful": True, "comment": f"bench {n}-{i}"})
                requests.append(("POST", "/api/v1/feedback", body, 201))
            for method, path, body, expect in requests:
                headers = {"Content-Type": "application/json"} if body else {}
                start = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers)
                    resp = conn.getresponse()
                    resp.read()
                    status = resp.status
                except (OSError, http.client.HTTPException) as exc:
                    status = f"{type(exc).__name__}"
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                took = time.perf_counter() - start
                with self.lock:
                    self.sent += 1
                    self.latency.append(took)
                    if status != expect:
                        self.failed.append(f"{method} {path}: {status}")


def _questions() -> list[str]:
    data = yaml.safe_load((ROOT / "tests" / "eval" / "queries.yml").read_text("utf-8"))
    return [q["q"] for q in data if q.get("lang", "sv") == "sv" and not q.get("internal")]


def _public_articles(articles: Path) -> list[str]:
    out = []
    for folder in sorted(articles.iterdir()):
        sv = folder / "sv.md"
        if sv.exists() and not re.search(r"^audience: internal", sv.read_text("utf-8"), re.M) \
                and not re.search(r"^status: draft", sv.read_text("utf-8"), re.M):
            out.append(folder.name)
    return out


def _run_load(port: int, clients: int, seconds: float, questions: list[str], articles: list[str]) -> Load:
    load = Load(port, clients, questions, articles)
    load.start()
    time.sleep(seconds)
    load.finish()
    return load


def _metrics_total(machine: topology.Machine) -> float:
    """portal_http_requests_total of *machine*, scrapes of /metrics left out."""
    conn = http.client.HTTPConnection("127.0.0.1", machine.port, timeout=30)
    conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {topology.METRICS_TOKEN}"})
    resp = conn.getresponse()
    text = resp.read().decode()
    if resp.status != 200:
        raise RuntimeError(f"/metrics of {machine.name}: {resp.status}")
    total = 0.0
    for line in text.splitlines():
        if line.startswith("portal_http_requests_total{") and 'endpoint="metrics' not in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _write_article(articles: Path, version: int) -> None:
    folder = articles / NEW_ID
    folder.mkdir(exist_ok=True)
    (folder / "sv.md").write_text(
        f"---\ntitle: Zebrakorsningsintyg\nsummary: Så ansöker du om ett zebrakorsningsintyg (version {version}).\n"
        "category: trafik-gator\nkeywords: [zebrakorsning]\n---\n\n"
        f"Du ansöker i kommunens e-tjänst. Version {version}.\n", "utf-8")
    for args in (["add", "-A"], ["commit", "-q", "-m", f"zebrakorsningsintyg {version}"]):
        subprocess.run(["git", "-C", str(articles), "-c", "user.name=B", "-c", "user.email=b@example.se", *args],
                       check=True, capture_output=True)


def throughput(topo: topology.Topology, args: argparse.Namespace, questions: list[str], articles: list[str]
               ) -> dict:
    """Requests per second through nginx with one machine behind it and with two, alternated."""
    rps: dict[str, list[float]] = {"one": [], "two": []}
    for rnd in range(args.rounds):
        for label, machines in (("one", topo.machines[:1]), ("two", topo.machines)):
            topo.start_nginx(machines)
            load = _run_load(topo.port, args.clients, args.seconds, questions, articles)
            rps[label].append(load.sent / args.seconds)
            print(f"  round {rnd + 1}, {label} machine(s): {load.sent / args.seconds:7.1f} requests/s, "
                  f"{len(load.failed)} failed", flush=True)
    one, two = statistics.median(rps["one"]), statistics.median(rps["two"])
    return {"one": rps["one"], "two": rps["two"], "median_one": one, "median_two": two, "ratio": two / one}


def rolling(topo: topology.Topology, args: argparse.Namespace, questions: list[str], articles: list[str]) -> dict:
    """The load run across two rolling index updates; failed requests and what the metrics counted."""
    topo.start_nginx(topo.machines)
    before = sum(_metrics_total(m) for m in topo.machines)
    load = Load(topo.port, args.clients, questions, articles)
    load.start()
    scrapes, updates = 0, []
    started = time.monotonic()
    next_update = [args.load_seconds / 3, 2 * args.load_seconds / 3]
    while time.monotonic() - started < args.load_seconds:
        time.sleep(5 if not next_update else min(5.0, max(0.1, next_update[0] - (time.monotonic() - started))))
        for m in topo.machines:
            _metrics_total(m)
            scrapes += 1
        if next_update and time.monotonic() - started >= next_update[0]:
            next_update.pop(0)
            t = time.monotonic()
            _write_article(topo.articles, len(updates) + 1)
            topology.ship_index(topo.articles, topo.folder / "staging-index", topo.machines,
                                topo.folder / "index-artifact.tar")
            updates.append(round(time.monotonic() - t, 1))
            print(f"  rolled out update {len(updates)} in {updates[-1]} s", flush=True)
    load.finish()
    time.sleep(1)
    counted = sum(_metrics_total(m) for m in topo.machines) - before
    lat = sorted(load.latency)
    return {"seconds": args.load_seconds, "sent": load.sent, "failed": len(load.failed),
            "failures": load.failed[:10], "updates_s": updates, "scrapes": scrapes, "metrics_counted": counted,
            "p50_ms": round(1000 * lat[len(lat) // 2], 1), "p95_ms": round(1000 * lat[int(len(lat) * 0.95)], 1)}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=Path, default=ROOT / "articles")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--load-seconds", type=float, default=60.0)
    ap.add_argument("--semantic", action="store_true", help="keep the multilingual model on in the workers")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        articles = folder / "articles"
        shutil.copytree(args.articles, articles)
        git_init(articles)
        extra = {"PORTAL_FEEDBACK_MAX_POSTS": "1000000", "PORTAL_SEARCH_LOG_MAX_QUERIES": "100000"}
        if not args.semantic:
            extra["PORTAL_SEMANTIC_SEARCH"] = "0"
        questions, public = _questions(), _public_articles(articles)
        print(f"Starting PostgreSQL, nginx and 2 machines over {len(public)} public articles …", flush=True)
        with topology.topology(folder, articles, machines=2, extra_env=extra) as topo:
            print(f"Throughput, {args.clients} clients, {args.seconds:.0f} s per run:", flush=True)
            through = throughput(topo, args, questions, public)
            print(f"  median one machine {through['median_one']:.1f}/s, two {through['median_two']:.1f}/s, "
                  f"ratio {through['ratio']:.2f}", flush=True)
            print(f"Load run, {args.load_seconds:.0f} s, two rolling index updates:", flush=True)
            roll = rolling(topo, args, questions, public)
            print(f"  {roll['sent']} requests, {roll['failed']} failed, p50 {roll['p50_ms']} ms, "
                  f"p95 {roll['p95_ms']} ms; metrics counted {roll['metrics_counted']:.0f} "
                  f"({roll['scrapes']} scrapes during the run)", flush=True)
            for line in roll["failures"]:
                print(f"  failed: {line}")
    result = {"throughput": through, "rolling": roll}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    ok = roll["failed"] == 0 and int(roll["metrics_counted"]) == roll["sent"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
