"""Example gunicorn configuration for the portal (copy it next to your deployment and adjust).

Run:  PORTAL_ARTICLES_DIR=/srv/content/articles PORTAL_INDEX_DIR=/srv/portal/index \
      PORTAL_DATA_DIR=/srv/portal/data PORTAL_COOKIE_SECURE=true \
      gunicorn -c docs/gunicorn.conf.py 'portal.app:create_app()'

Search queries are personal data: the access log below records the path WITHOUT the query string
(%(U)s), never %(r)s, %(q)s or the full URL. See docs/production.md.
"""

import multiprocessing
import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")  # behind the TLS-terminating reverse proxy
workers = int(os.environ.get("PORTAL_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = "gthread"
threads = 4
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 2000          # recycle workers now and then
max_requests_jitter = 200
preload_app = True           # load content and secret key once, then fork

# Only the reverse proxy on this host may set X-Forwarded-* (and the SSO user header, if used).
forwarded_allow_ips = "127.0.0.1"

accesslog = "-"
errorlog = "-"
loglevel = "info"
# %(U)s is the path without the query string: search words never reach the access log.
# No %(r)s (request line), no %(q)s (query string), no %(h)s if IP addresses must not be kept either.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss "%(f)s"'
# The referer (%(f)s) can carry a query string too: drop it if your agents' pages link out with queries.
