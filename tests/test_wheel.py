"""The package as a municipality installs it: a wheel built from this checkout, installed into a fresh virtual
environment outside the checkout, runs ``portal check``, ``portal build`` and ``portal serve`` on the sample
content kept in a repository of its own. The editable install the other tests use cannot show a module,
template or catalogue missing from the wheel; this test does."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    log = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", out, ROOT, cwd=out)
    # A clean build prints no setuptools deprecation boxes (the licence table, undeclared data packages).
    assert "Deprecat" not in log and "!!" not in log, log
    (found,) = out.glob("portal-*.whl")
    return found


def test_wheel_holds_every_module_template_and_catalogue(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for source in (ROOT / "portal").rglob("*"):
        if source.is_file() and "__pycache__" not in source.parts:
            assert source.relative_to(ROOT).as_posix() in names, f"{source} is missing from the wheel"
    for folder in ("templates", "translations"):
        for source in (ROOT / folder).rglob("*"):
            if source.is_file() and not source.name.endswith(".mo"):
                assert f"portal/{source.relative_to(ROOT).as_posix()}" in names, f"{source} is missing"


def test_installed_wheel_checks_builds_and_serves_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", f"{wheel}[serve]", cwd=tmp_path)
    portal = env_dir / "bin" / "portal"

    site = tmp_path / "municipality"
    shutil.copytree(ROOT / "articles", site / "articles")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env |= {"GIT_AUTHOR_NAME": "Redaktör", "GIT_AUTHOR_EMAIL": "r@example.se", "GIT_COMMITTER_NAME": "Redaktör",
            "GIT_COMMITTER_EMAIL": "r@example.se", "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    _run("git", "init", "-q", cwd=site, env=env)
    _run("git", "add", "-A", cwd=site, env=env)
    _run("git", "commit", "-qm", "Innehåll", cwd=site, env=env)

    # The code that runs is the installed copy, never this checkout.
    where = _run(python, "-c", "import portal, portal.search.index, portal.cli.main; print(portal.__file__)",
                 cwd=site, env=env)
    assert str(env_dir) in where and str(ROOT) not in where

    _run(portal, "check", cwd=site, env=env)
    _run(portal, "build", cwd=site, env=env)
    built = site / "build"
    assert (built / "sv" / "index.html").is_file()
    assert (built / "en" / "index.html").is_file()
    assert "Sök" in (built / "sv" / "index.html").read_text(encoding="utf-8")  # the Swedish catalogue shipped

    port = _free_port()
    server = subprocess.Popen([str(portal), "serve", "--port", str(port)], cwd=site, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, page = time.monotonic() + 60, None
        while page is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sv/", timeout=5) as response:
                    page = response.read().decode("utf-8")
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.3)
        assert page and "<html" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/search?q=bibliotekskort", timeout=10) as r:
            assert b"bibliotekskort" in r.read()
    finally:
        server.terminate()
        server.communicate(timeout=20)
