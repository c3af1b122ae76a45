"""The low-result search log: what is stored, retention, grouping, the report command."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat

from portal.cli import admin as cli_admin
from portal.web.searchlog import LOW_RESULTS, SearchLog, for_data_dir, normalize


def test_only_low_result_searches_are_stored(tmp_path):
    log = SearchLog(tmp_path / "log.sqlite3")
    assert log.record("bygglov", "sv", LOW_RESULTS) is None
    assert log.record("  ", "sv", 0) is None
    assert log.record("Parkering  Tillstånd", "sv", 2) is not None
    assert log.record("qwzxv", "en", 0) is not None
    assert log.count() == 2
    top = {(m.query, m.lang): m for m in log.top()}
    assert top[("parkering tillstånd", "sv")].max_hits == 2 and top[("qwzxv", "en")].zero == 1


def test_stores_no_personal_data_and_no_user(tmp_path):
    log = SearchLog(tmp_path / "log.sqlite3")
    log.record("hemtjänst 19850615-1234 070-123 45 67 anna@example.se", "sv", 0)
    con = sqlite3.connect(tmp_path / "log.sqlite3")
    assert con.execute("SELECT query FROM searches").fetchone()[0] == \
        "hemtjänst [personnummer] [telefon] [e-post]"
    columns = {row[1] for row in con.execute("PRAGMA table_info(searches)")}
    assert columns == {"id", "query", "lang", "hits", "at"}
    con.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"19850615" not in raw and b"anna@" not in raw
    assert stat.S_IMODE(os.stat(tmp_path / "log.sqlite3").st_mode) == 0o600


def test_retention_deletes_old_rows(tmp_path):
    log = SearchLog(tmp_path / "log.sqlite3", days=90)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=91)
    log.record("gammal", "sv", 0, now=old)
    log.record("ny", "sv", 0, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=89))
    assert log.count() == 2  # the old row was fresh when it was written ...
    log.record("nyare", "sv", 0)  # ... and every write deletes what is past retention
    assert {m.query for m in log.top(days=365)} == {"ny", "nyare"}
    log.record("gammal", "sv", 0, now=old)
    assert log.prune() == 1


def test_replace_merges_a_search_being_typed(tmp_path):
    log = SearchLog(tmp_path / "log.sqlite3")
    row = log.record("zq", "sv", 0)
    row = log.record("zqx", "sv", 0, replace=row)
    assert log.count() == 1 and log.top()[0].query == "zqx"
    assert log.record("zqxa", "sv", 5, replace=row) is None  # the finished search found enough
    assert log.count() == 0


def test_top_orders_by_frequency(tmp_path):
    log = SearchLog(tmp_path / "log.sqlite3")
    for q in ("a1", "b2", "b2", "c3", "c3", "c3"):
        log.record(q, "sv", 0)
    assert [m.query for m in log.top()] == ["c3", "b2", "a1"]
    assert [m.searches for m in log.top(limit=2)] == [3, 2]


def test_normalize():
    assert normalize("  Bygg   LOV ") == "bygg lov"
    assert normalize("x" * 500) == "x" * 300


def test_report_command(runner, tmp_path):
    data = tmp_path / "data"
    log = for_data_dir(data)
    log.record("saknas 850615-1234", "sv", 0)
    log.record("saknas 850615-1234", "sv", 1)
    log.record("gammal", "sv", 0, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=200))
    r = runner.invoke(cli_admin.report, ["searches", "--data-dir", str(data), "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows[0]["query"] == "saknas [personnummer]" and rows[0]["searches"] == 2
    assert "gammal" not in r.stdout
    r = runner.invoke(cli_admin.report, ["searches", "--data-dir", str(data)])
    assert "saknas [personnummer]" in r.output and "row(s) older than 90 days deleted" in r.output


def test_searches_with_enough_hits_cost_no_database_work(tmp_path, monkeypatch):
    import portal.web.searchlog as searchlog_module

    log = SearchLog(tmp_path / "log.sqlite3", days=90)
    log.record("saknas", "sv", 0)
    opened = []
    connect = log._connect
    monkeypatch.setattr(log, "_connect", lambda: opened.append(1) or connect())
    for _ in range(50):
        assert log.record("bygglov", "sv", 10) is None
    assert len(opened) == 1  # one retention sweep, then nothing for an hour
    later = searchlog_module.time.monotonic() + searchlog_module.PRUNE_EVERY_S + 1
    monkeypatch.setattr(searchlog_module.time, "monotonic", lambda: later)
    log.record("bygglov", "sv", 10)
    assert len(opened) == 2
    assert {m.query for m in log.top()} == {"saknas"}
