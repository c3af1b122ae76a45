"""Prometheus metrics at ``/metrics`` (prometheus_client), from every gunicorn worker.

What is counted (every request, in an ``after_request`` hook; searches as the views report them with
:func:`searched`):

* ``portal_http_requests_total{endpoint, status}``: every answer, by Flask endpoint (``unmatched`` for a path
  no route knows) and status code;
* ``portal_searches_total{channel, typing}`` and ``portal_search_seconds{channel}`` (a histogram of the time to
  answer): searches by channel (``agent``, ``api``, ``public``), ``typing="yes"`` for as-you-type prefixes;
* ``portal_searches_without_result_total{channel, typing}``: searches that found no answer (no hit, or no
  confident one: as the low-result search log counts them); divided by the searches, the share with no result;
* ``portal_posts_total{kind, status}``: feedback posts and e-service starts (``kind``) by status (201/204/303
  stored, 4xx refused, 429 too many, 503 not stored);
* ``portal_rate_limited_total{limit}``: every 429, by the limit that refused it (``login``, ``feedback``,
  ``start``);
* ``portal_index_generation_built_timestamp_seconds`` and ``portal_index_generation_age_seconds``: when the
  index generation the workers search was built, and its age at the scrape.

**Several workers.** With ``PROMETHEUS_MULTIPROC_DIR`` set before the app is imported (``docs/gunicorn.conf.py``
does it), prometheus_client keeps each process's figures in files there and a scrape adds up every worker's,
the replaced ones' too; gunicorn's ``child_exit`` hook calls ``mark_process_dead`` for a worker that ended.

**Who may read them.** A scraper on the same host (the socket peer is a loopback address, compared as the
server saw it, never ``X-Forwarded-For``; and the request carries no forwarding header, so nothing the local
reverse proxy passes on from outside counts as local), or anyone sending ``Authorization: Bearer`` with
METRICS_TOKEN (``PORTAL_METRICS_TOKEN``, at least MIN_TOKEN characters; compared in constant time). Anyone
else gets a 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from portal.exceptions import ConfigError
from portal.search.results import SearchResult
from portal.web.errors import json_error
from portal.web.health import open_generation
from portal.web.trustedproxy import peer_address

MIN_TOKEN = 16
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
CHANNELS = {"agent": "agent", "api": "api", "public": "public"}  # blueprint -> channel
POST_KINDS = {"api.post_feedback": "feedback", "api.post_start": "start"}
BUILT_NAME = "portal_index_generation_built_timestamp_seconds"

REQUESTS = Counter("portal_http_requests", "HTTP answers by Flask endpoint and status code.", ["endpoint", "status"])
SEARCHES = Counter("portal_searches", "Searches by channel (agent, api, public) and whether typed as you type.",
                   ["channel", "typing"])
WITHOUT_RESULT = Counter("portal_searches_without_result",
                         "Searches that found no answer (no hit, or no confident one).", ["channel", "typing"])
SEARCH_SECONDS = Histogram("portal_search_seconds", "Time to answer a search request, in seconds.", ["channel"],
                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
POSTS = Counter("portal_posts", "Feedback posts and e-service starts by kind and status code.", ["kind", "status"])
RATE_LIMITED = Counter("portal_rate_limited", "Requests refused with a 429, by limit.", ["limit"])
BUILT = Gauge(BUILT_NAME, "When the index generation searched was built (seconds since the epoch).",
              multiprocess_mode="livemostrecent")

bp = Blueprint("metrics", __name__)


def searched(result: SearchResult, typing: bool = False) -> None:
    """Note the search this request made (its result; *typing* for an as-you-type prefix), for the metrics."""
    g.portal_search = (result.answered == 0, typing)


def multiprocess() -> bool:
    """True when prometheus_client keeps its figures in PROMETHEUS_MULTIPROC_DIR (several workers)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# --- counting ------------------------------------------------------------------------------------------------

def _started() -> None:
    g.portal_started = time.perf_counter()


def _note_generation() -> None:
    generation = open_generation()
    if generation is not None and generation.built > 0:
        BUILT.set(generation.built)


def _count(response: Response) -> Response:
    endpoint, status = request.endpoint or "unmatched", str(response.status_code)
    REQUESTS.labels(endpoint, status).inc()
    if response.status_code == 429:
        RATE_LIMITED.labels(g.get("rate_limited", "other")).inc()
    if endpoint in POST_KINDS:
        POSTS.labels(POST_KINDS[endpoint], status).inc()
    search = g.get("portal_search")
    if search is not None:
        channel, (without, typing) = CHANNELS.get(request.blueprint or "", "other"), search
        flag = "yes" if typing else "no"
        SEARCHES.labels(channel, flag).inc()
        if without:
            WITHOUT_RESULT.labels(channel, flag).inc()
        SEARCH_SECONDS.labels(channel).observe(time.perf_counter() - g.get("portal_started", time.perf_counter()))
        try:
            _note_generation()
        except Exception:  # a figure must never break an answer
            current_app.logger.exception("could not note the index generation for the metrics")
    return response


# --- reading -------------------------------------------------------------------------------------------------

class _Collected:
    """Metric families already collected, as a collector for one scrape's registry."""

    def __init__(self, families: Iterable[Metric]):
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        """The families."""
        return self.families


def exposition() -> bytes:
    """Every worker's figures (multiprocess) or this process's, and the index generation's age, as text."""
    families = list(MultiProcessCollector(None).collect() if multiprocess() else REGISTRY.collect())
    built = [s.value for m in families if m.name == BUILT_NAME for s in m.samples if s.value > 0]
    if built:
        families.append(GaugeMetricFamily("portal_index_generation_age_seconds",
                                          "Age of the index generation searched, in seconds.",
                                          value=max(time.time() - max(built), 0.0)))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collected(families))  # type: ignore[arg-type]
    return generate_latest(registry)


def _local_scraper() -> bool:
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False  # passed on by a proxy: from wherever the proxy's client is
    try:
        address = ipaddress.ip_address(peer_address().split("%", 1)[0])
    except ValueError:
        return False  # a Unix socket (the proxy's) or no peer at all
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def allowed() -> bool:
    """True when this request may read the metrics: METRICS_TOKEN as a bearer token, or a local scraper."""
    token = str(current_app.config.get("METRICS_TOKEN") or "")
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode()):
        return True
    return _local_scraper()


@bp.get("/metrics")
def metrics() -> Any:
    """The figures in Prometheus's text format; a 403 unless :func:`allowed`."""
    if not allowed():
        response = json_error(403, "the metrics are open to this host and to the metrics token only", "forbidden")
    else:
        _note_generation()
        response = Response(exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register /metrics and the counting hooks; refuse a METRICS_TOKEN shorter than MIN_TOKEN (ConfigError)."""
    if app.config.get("METRICS_TOKEN") is None:
        app.config["METRICS_TOKEN"] = os.environ.get("PORTAL_METRICS_TOKEN") or None
    token = app.config["METRICS_TOKEN"]
    if token and len(str(token)) < MIN_TOKEN:
        raise ConfigError(f"PORTAL_METRICS_TOKEN must be at least {MIN_TOKEN} characters (e.g. `openssl rand -hex "
                          "32`)")
    app.register_blueprint(bp)
    if app.config.get("FREEZING"):
        return  # the app that freezes the public site serves no one
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_count)
