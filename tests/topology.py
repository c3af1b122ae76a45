"""The production topology on one machine, for tests and benchmarks: Debian's nginx balancing two app
"machines" over one PostgreSQL server.

Each machine is its own gunicorn (``docs/gunicorn.conf.py``, 2 workers) with its own data folder and its own copy
of one index artifact (``portal index export`` once, ``portal index install`` on each machine), as two servers
behind a load balancer would have. They share the PostgreSQL server (feedback, sessions, limits, search log) and
the secret key, and nginx passes the client's address on (``X-Forwarded-For``, ``PORTAL_PROXY_COUNT=1``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.security import generate_password_hash

from tests import pgserver

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's nginx-light: `bash scripts/setup.sh --test`
PORTAL = str(Path(sys.executable).with_name("portal"))
METRICS_TOKEN = "topology-metrics-token-0123456789"
USERS = {"anna": ("anna-password-1", "agent"), "erik": ("erik-password-1", "editor")}


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portal(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the ``portal`` command; raise with its output when it fails."""
    done = subprocess.run([PORTAL, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"portal {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def ship_index(articles: Path, staging: Path, machines: list[Machine], artifact: Path) -> None:
    """Index *articles* once into *staging*, export the generation as one artifact and install it on each
    machine in turn (a rolling update when the machines are serving)."""
    portal("index", "--articles", str(articles), "--index", str(staging))
    artifact.unlink(missing_ok=True)
    portal("index", "export", "--index", str(staging), "--out", str(artifact))
    for machine in machines:
        portal("index", "install", str(artifact), "--articles", str(articles), "--index", str(machine.index_dir))


@dataclass
class Machine:
    """One app server: gunicorn with its own data folder and index."""

    name: str
    folder: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen | None = None

    @property
    def index_dir(self) -> Path:
        return self.folder / "index"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start gunicorn and wait until it answers /healthz."""
        with open(self.folder / "gunicorn.log", "ab") as log:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "docs/gunicorn.conf.py", "portal.web.app:create_app()"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(f"{self.url}/healthz", self.proc, self.folder / "gunicorn.log")

    def kill(self) -> None:
        """Kill gunicorn and its workers at once (a machine that dies, not one that stops)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop gunicorn gracefully."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Topology:
    """nginx in front of the machines; everything lives below *folder*."""

    folder: Path
    articles: Path
    database_url: str
    machines: list[Machine] = field(default_factory=list)
    port: int = 0
    nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_nginx(self, machines: list[Machine] | None = None) -> None:
        """(Re)start nginx balancing *machines* (default: all)."""
        self.stop_nginx()
        machines = self.machines if machines is None else machines
        prefix = self.folder / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"    server 127.0.0.1:{m.port} max_fails=1 fail_timeout=5s;" for m in machines)
        conf = prefix / "nginx.conf"
        conf.write_text(f"""
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
  upstream portal {{
{servers}
    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{self.port};
    client_max_body_size 1m;
    location / {{
      proxy_pass http://portal;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout;
    }}
  }}
}}
""")
        with open(prefix / "logs" / "stderr.log", "ab") as err:
            self.nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                          stderr=err)
        wait_for(f"{self.url}/healthz", self.nginx, prefix / "logs" / "error.log")

    def stop_nginx(self) -> None:
        """Stop nginx."""
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
        self.nginx = None

    def stop(self) -> None:
        """Stop everything this topology started (PostgreSQL is stopped by its context manager)."""
        self.stop_nginx()
        for machine in self.machines:
            machine.stop()


def wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    """Wait until *url* answers 200; fail with *log*'s end when *proc* exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode}):\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds} s:\n{_tail(log)}")


def _tail(path: Path) -> str:
    try:
        return path.read_text("utf-8", "replace")[-3000:]
    except OSError:
        return ""


def machine_env(folder: Path, port: int, database_url: str, articles: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment of one machine's gunicorn: its own folders, the shared database, key and users."""
    users = {name: {"role": role, "hash": generate_password_hash(pw, method="pbkdf2:sha256:1000")}
             for name, (pw, role) in USERS.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({
        "PORTAL_BIND": f"127.0.0.1:{port}", "PORTAL_WORKERS": "2", "PORTAL_ACCESS_LOG": str(folder / "access.log"),
        "PORTAL_ARTICLES_DIR": str(articles), "PORTAL_INDEX_DIR": str(folder / "index"),
        "PORTAL_DATA_DIR": str(folder / "data"), "PORTAL_DATABASE_URL": database_url,
        "PORTAL_SECRET_KEY": "topology-shared-secret-key-0123456789abcdef", "PORTAL_USERS": json.dumps(users),
        "PORTAL_PROXY_COUNT": "1", "PORTAL_COOKIE_SECURE": "false", "PORTAL_METRICS_TOKEN": METRICS_TOKEN,
        "PORTAL_EMBEDDING_CACHE": os.environ.get("PORTAL_EMBEDDING_CACHE", ""),
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
    })
    env.update(extra)
    (folder / "metrics").mkdir(parents=True, exist_ok=True)
    return env


@contextmanager
def topology(folder: Path, articles: Path, machines: int = 2, extra_env: dict[str, str] | None = None
             ) -> Iterator[Topology]:
    """Start PostgreSQL, index *articles* once, install the artifact on each of *machines* gunicorns and start
    nginx in front of them; stop everything afterwards."""
    with pgserver.throwaway_postgres() as (_pg_folder, database_url):
        topo = Topology(folder, articles, database_url, port=free_port())
        try:
            for n in range(machines):
                mfolder = folder / f"machine{n + 1}"
                mfolder.mkdir(parents=True)
                port = free_port()
                topo.machines.append(Machine(f"machine{n + 1}", mfolder, port,
                                             machine_env(mfolder, port, database_url, articles, extra_env or {})))
            ship_index(articles, folder / "staging-index", topo.machines, folder / "index-artifact.tar")
            for machine in topo.machines:
                machine.start()
            topo.start_nginx()
            yield topo
        finally:
            topo.stop()
