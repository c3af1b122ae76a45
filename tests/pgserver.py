"""A real PostgreSQL server for the tests, started in a temporary folder on a Unix socket (no TCP port)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is missing: run `bash scripts/setup.sh --test` "
                           "(it installs Debian's postgresql)")
    return found[-1]


def _as_user() -> list[str]:
    # initdb refuses to run as root: the Debian package's postgres user runs it
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def start(folder: Path) -> None:
    """Start the server whose files :func:`postgres_server` made in *folder* (again, after :func:`stop`)."""
    options = f"-k {folder} -c listen_addresses='' -p 54329 -c fsync=off"
    subprocess.run([*_as_user(), _bin("pg_ctl"), "-D", str(folder / "data"), "-o", options, "-w", "start", "-l",
                    str(folder / "log")], check=True, capture_output=True)


def stop(folder: Path) -> None:
    """Stop the server in *folder* (a fast shutdown: its clients' connections are dropped)."""
    subprocess.run([*_as_user(), _bin("pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "-w", "stop"],
                   capture_output=True)


@contextmanager
def postgres_server(folder: Path) -> Iterator[str]:
    """Start a throwaway server in *folder* and yield its DATABASE_URL; stop it afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        folder.chmod(0o755)
    subprocess.run([*_as_user(), _bin("initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    start(folder)
    try:
        yield f"postgresql://postgres@/postgres?host={folder}&port=54329"
    finally:
        stop(folder)


@contextmanager
def throwaway_postgres() -> Iterator[tuple[Path, str]]:
    """A server in a temporary folder of its own, reachable by the server's user (pytest's tmp_path is not):
    its folder and its DATABASE_URL."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)  # the server's own user must reach its folder inside
        with postgres_server(Path(folder) / "pg") as url:
            yield Path(folder) / "pg", url
