"""Work run in a forked child beside the caller's: its value, its failure, its death."""

from __future__ import annotations

import os
import time

import pytest

from portal.build.beside import Beside
from portal.exceptions import PortalError


def test_the_value_and_when_it_was_ready():
    t0 = time.perf_counter()
    job = Beside(lambda: {"pid": os.getpid(), "n": 42}, "test job")
    value, at = job.result()
    assert value["n"] == 42 and value["pid"] != os.getpid()  # it ran in another process
    assert t0 < at <= time.perf_counter()
    assert job.done() and job.result() == (value, at)  # asked again: the same answer


def test_a_failure_is_a_portal_error_with_its_message():
    def failing():
        raise PortalError("the index folder is not writable")
    with pytest.raises(PortalError, match="the index folder is not writable"):
        Beside(failing, "test job").result()

    def crashing():
        raise ZeroDivisionError("boom")
    with pytest.raises(PortalError, match=r"^unexpected ZeroDivisionError: boom$"):
        Beside(crashing, "test job").result()


def test_details_of_an_unexpected_failure_on_request(monkeypatch):
    monkeypatch.setenv("PORTAL_DEBUG", "1")
    with pytest.raises(PortalError, match=r"(?s)unexpected KeyError: 'x'.*Traceback"):
        Beside(lambda: {}["x"], "test job").result()


def test_a_child_that_dies_is_reported():
    with pytest.raises(PortalError, match="the test job process stopped without an answer"):
        Beside(lambda: os._exit(3), "test job").result()


def test_without_fork_the_work_runs_first(monkeypatch):
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    job = Beside(os.getpid, "test job")
    assert job.done() and job.result()[0] == os.getpid()
