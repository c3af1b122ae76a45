"""The load test in a short form: concurrent agents search through gunicorn (2 workers) while the index
is rebuilt in the middle and citizens post feedback and e-service starts; not one request may fail and
every accepted post is stored. (The full 60 s run is `bench/loadtest.py`.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_module():
    spec = importlib.util.spec_from_file_location("loadtest", ROOT / "bench" / "loadtest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["loadtest"] = module
    spec.loader.exec_module(module)
    return module


def test_no_request_fails_while_the_index_is_rebuilt_and_citizens_post() -> None:
    result = load_module().run_load(ROOT / "articles", duration=10, clients=6, rebuild_after=2, posters=3)
    assert result["failures"] == 0, result
    assert result["requests"] > 100, result
    assert result["index_swapped"], result
    assert result["post_failures"] == 0, result
    assert result["posts"] > 50 and min(result["posts_accepted"].values()) > 10, result
    assert result["posts_accepted"] == result["posts_stored"], result
