"""Example gunicorn configuration for the portal (copy it next to your deployment and adjust).

Run:  PORTAL_ARTICLES_DIR=/srv/content/articles PORTAL_INDEX_DIR=/srv/portal/index \
      PORTAL_DATA_DIR=/srv/portal/data PORTAL_COOKIE_SECURE=true \
      gunicorn -c docs/gunicorn.conf.py 'portal.web.app:create_app()'

Behind the reverse proxy (PORTAL_PROXY_COUNT, below), with Prometheus metrics from all workers at /metrics
(PROMETHEUS_MULTIPROC_DIR and the child_exit hook, below); load balancers ask /healthz and /readyz.

Search queries are personal data: the access log below records the path WITHOUT the query string
(%(U)s), never %(r)s, %(q)s or the full URL. See docs/production.md.
"""

import glob
import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")  # behind the TLS-terminating reverse proxy
workers = int(os.environ.get("PORTAL_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = "gthread"
threads = 4
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 2000          # recycle workers now and then
max_requests_jitter = 200
preload_app = True           # load content and secret key once, then fork; a settings error (such as
                             # PORTAL_TRUSTED_PROXY_HEADER without a secret or proxies) then stops gunicorn
                             # with one line, "Error: …", instead of a worker's traceback

# Only the reverse proxy on this host may set X-Forwarded-*. The SSO user header is trusted by the app, not by
# gunicorn: only with PORTAL_TRUSTED_PROXY_SECRET or PORTAL_TRUSTED_PROXIES (docs/production.md).
forwarded_allow_ips = "127.0.0.1"
# The client's own address for the login and feedback limits: the app takes it from X-Forwarded-For behind as many
# trusted proxies as this names (werkzeug's ProxyFix); 1 for the nginx of docs/production.md on this host, 2 with a
# load balancer in front of it; 0 when nothing is in front. At 0 behind a proxy every client would look like the
# proxy; above 0 without one a client could name itself any address (docs/production.md, "The client's address").
os.environ.setdefault("PORTAL_PROXY_COUNT", "1")

# Prometheus metrics (/metrics) from every worker: prometheus_client's multiprocess mode keeps each process's figures
# in files in PROMETHEUS_MULTIPROC_DIR, which must be set before the app (and so prometheus_client) is imported: here.
# Unless you name a folder, each run gets a new private one (0700), removed when gunicorn stops. A named folder is
# emptied when gunicorn starts (figures from an earlier run would be added to this one's).
_made_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _made_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")


def on_starting(server):
    """Empty the metrics folder of an earlier run (once, at start: not on a reload with HUP)."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server, worker):
    """A worker ended (recycled by max_requests, killed, or at shutdown): drop its live gauges; its counts stay."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder this file made."""
    if _made_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


errorlog = "-"
loglevel = "info"
# %(U)s is the path without the query string: search words never reach the access log.
# No %(r)s (request line), no %(q)s (query string), no %(f)s (the Referer: the address of the page a request came
# from, which for a search page holds its query; the app's Referrer-Policy sends only the origin, or nothing from
# the agent app, but an old browser or a hand-made request may not honour it), and no %(h)s if IP addresses must
# not be kept either. tests/browser/test_access_log_browser.py runs this file and searches its log for queries.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss'
# Where the log goes: stdout by default; PORTAL_ACCESS_LOG names a file instead.
accesslog = os.environ.get("PORTAL_ACCESS_LOG", "-")
