"""The low-result search log: counted rows, the cap, retention, the editors' lists, the move from the old log,
the report command; on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import stat
from collections import Counter
from pathlib import Path

import pytest

from portal.cli import admin as cli_admin
from portal.web import searchlog as searchlog_module
from portal.web import searchlogread
from portal.web.searchlog import LOW_RESULTS, SearchLog, for_data_dir, normalize

NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)


def days_ago(n: int, hour: int = 12) -> dt.datetime:
    """A moment *n* days before today (UTC)."""
    return dt.datetime.now(dt.UTC).replace(hour=hour, minute=0, second=0, microsecond=0) - dt.timedelta(days=n)


def _clean(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        for table in ("search_counts", "search_totals", "searches"):
            con.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.fixture(params=["sqlite", "postgresql"])
def new_log(request, tmp_path):
    """Makes a search log (arguments as SearchLog's after the URL) on SQLite or on an emptied PostgreSQL."""
    if request.param == "sqlite":
        return lambda *args, **kw: SearchLog(tmp_path / "log.sqlite3", *args, **kw)
    url = request.getfixturevalue("postgres_url")
    _clean(url)
    return lambda *args, **kw: SearchLog(url, *args, **kw)


@pytest.fixture
def log(new_log):
    return new_log()


def rows_of(log: SearchLog) -> list[tuple]:
    """Every day row, sorted."""
    return sorted(tuple(r) for r in log.db.run("SELECT day, lang, query, searches, zero, max_hits FROM search_counts"))


# --- what is stored --------------------------------------------------------------------------------------------

def test_only_low_result_searches_are_counted(log):
    assert log.record("bygglov", "sv", LOW_RESULTS) is False
    assert log.record("  ", "sv", 0) is False
    assert log.record("Parkering  Tillstånd", "sv", 2) is True
    assert log.record("qwzxv", "en", 0) is True
    assert log.count() == 2
    top = {(m.query, m.lang): m for m in log.top()}
    assert top[("parkering tillstånd", "sv")].max_hits == 2 and top[("qwzxv", "en")].zero == 1


def test_one_row_per_normalised_query_language_and_day(log):
    for typed in ("Bygglov  Altan", "bygglov altan", "BYGGLOV\taltan ", "ByggLOV altan"):
        log.record(typed, "sv", 0, now=NOW)
    log.record("bygglov altan", "sv", 2, now=NOW + dt.timedelta(hours=3))
    log.record("bygglov altan", "en", 1, now=NOW)
    log.record("bygglov altan", "sv", 1, now=NOW + dt.timedelta(days=1))
    assert rows_of(log) == [("2026-11-23", "en", "bygglov altan", 1, 0, 1),
                            ("2026-11-23", "sv", "bygglov altan", 5, 4, 2),
                            ("2026-11-24", "sv", "bygglov altan", 1, 0, 1)]


def test_stores_no_personal_data_and_no_user(tmp_path):
    log = SearchLog(tmp_path / "log.sqlite3")
    log.record("hemtjänst 19850615-1234 070-123 45 67 anna@example.se", "sv", 0)
    con = sqlite3.connect(tmp_path / "log.sqlite3")
    assert con.execute("SELECT query FROM search_counts").fetchone()[0] == \
        "hemtjänst [personnummer] [telefon] [e-post]"
    for table in ("search_counts", "search_totals"):
        columns = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
        assert columns <= {"day", "lang", "query", "searches", "zero", "max_hits", "last"}, columns
    con.close()
    log.db.drop()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"19850615" not in raw and b"anna@" not in raw
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_normalize():
    assert normalize("  Bygg   LOV ") == "bygg lov"
    assert normalize("STRASSE Straße") == "strasse strasse"  # case-folded, not only lower case
    assert normalize("x" * 500) == "x" * 300


# --- the cap -----------------------------------------------------------------------------------------------------

def test_one_client_sending_10000_distinct_queries_adds_a_bounded_number_of_rows(log):
    """About 155,000 new queries an hour from one client once meant as many rows: now at most the cap a day."""
    log.record("parkering", "sv", 0, now=NOW)  # a real question asked before the flood
    for n in range(10_000):
        assert log.record(f"flood {n} qx", "sv", 0, now=NOW + dt.timedelta(seconds=n % 3600)) is True
    log.record("parkering", "sv", 1, now=NOW)  # a query with a row keeps being counted in it past the cap
    log.record("avfall", "sv", 0, now=NOW)  # a new one past the cap: in the other row
    assert log.count() == log.max_queries + 1 == 5001  # 5,000 queries and the day's other row
    counted = {(m.query): m.searches for m in log.top(limit=10_000)}
    assert counted["parkering"] == 2 and "avfall" not in counted
    assert len(counted) == 5000 and sum(counted.values()) == 5000 + 1
    assert log.uncounted() == 5002  # 5,001 of the flood and "avfall"
    assert sum(counted.values()) + log.uncounted() == 10_003  # every search counted once, one way or the other
    # The next day has room again; the day over the cap keeps its rows.
    assert log.record("avfall", "sv", 0, now=NOW + dt.timedelta(days=1)) is True
    assert log.count() == 5002


def test_the_cap_is_per_day_with_one_other_row_per_language(new_log):
    log = new_log(max_queries=3)
    for lang in ("sv", "en", "ar"):
        for n in range(5):
            log.record(f"fråga {n}", lang, 0, now=NOW)
    assert log.count() == 3 + 3  # three queries (the first to come), an other row per language that had more
    others = [r for r in rows_of(log) if r[2] == ""]
    assert sorted((r[1], r[3]) for r in others) == [("ar", 5), ("en", 5), ("sv", 2)]
    assert log.uncounted() == 12


def test_bulk_counting_keeps_a_days_most_searched_queries(new_log):
    log = new_log(max_queries=2)
    searches = [("sällsynt", "sv", 0, NOW)] + [("vanlig", "sv", 0, NOW)] * 5 + [("mellan", "sv", 1, NOW)] * 3
    assert log.record_many([*searches, ("bygglov", "sv", 5, NOW)]) == 9
    assert {m.query: m.searches for m in log.top()} == {"vanlig": 5, "mellan": 3}
    assert log.uncounted() == 1
    assert log.record_many([("vanlig", "sv", 0, NOW), ("ny", "sv", 0, NOW)]) == 2
    assert {m.query: m.searches for m in log.top()} == {"vanlig": 6, "mellan": 3}
    assert log.uncounted() == 2 and log.count() == 3


def test_the_app_keeps_the_log_bounded_for_one_client_through_the_api(app, tmp_path):
    app.config["SEARCH_LOG_MAX_QUERIES"] = 5
    client = app.test_client()
    for n in range(30):
        assert client.get(f"/api/v1/search?q=qzx{n}vw").status_code == 200
    with app.app_context():
        log = searchlog_module.current_log()
        assert log.count() == 6 and log.uncounted() == 25
    db = sqlite3.connect(tmp_path / "data" / "searchlog.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM search_counts").fetchone()[0] == 6


# --- retention ---------------------------------------------------------------------------------------------------

def test_retention_deletes_old_days_and_takes_them_off_the_totals(new_log):
    log = new_log(days=90)
    log.record("gammal", "sv", 0, now=days_ago(91))
    log.record("båda", "sv", 0, now=days_ago(91))
    log.record("ny", "sv", 0, now=days_ago(89))
    log.record("båda", "sv", 0, now=days_ago(89))
    assert log.count() == 4  # the old rows were fresh when they were written ...
    log.record("nyare", "sv", 0)  # ... and the next write deletes what is past retention
    assert log.count() == 3
    assert {m.query: m.searches for m in log.top(days=365)} == {"ny": 1, "nyare": 1, "båda": 1}
    assert sorted(tuple(r) for r in log.db.run("SELECT query, searches FROM search_totals")) == [
        ("båda", 1), ("ny", 1), ("nyare", 1)]
    log.record("gammal", "sv", 0, now=days_ago(91))
    assert log.prune() == 1


def test_reading_deletes_expired_days_first(new_log):
    log = new_log(days=10)
    log.record("gammal", "sv", 0, now=days_ago(20))
    assert log.top(days=365) == [] and log.zero_results() == []
    assert log.count() == 0


def test_searches_with_enough_hits_cost_no_database_work(tmp_path, monkeypatch):
    log = SearchLog(tmp_path / "log.sqlite3", days=90)
    log.record("saknas", "sv", 0)
    opened = []
    transaction = log._transaction
    monkeypatch.setattr(log, "_transaction", lambda work: opened.append(1) or transaction(work))
    for _ in range(50):
        assert log.record("bygglov", "sv", 10) is False
    assert len(opened) == 1  # one retention sweep, then nothing for an hour
    later = searchlog_module.time.monotonic() + searchlog_module.PRUNE_EVERY_S + 1
    monkeypatch.setattr(searchlog_module.time, "monotonic", lambda: later)
    log.record("bygglov", "sv", 10)
    assert len(opened) == 2
    assert {m.query for m in log.top()} == {"saknas"}


# --- the lists ---------------------------------------------------------------------------------------------------

def test_top_orders_by_frequency(log):
    for q in ("a1", "b2", "b2", "c3", "c3", "c3"):
        log.record(q, "sv", 0)
    assert [m.query for m in log.top()] == ["c3", "b2", "a1"]
    assert [m.searches for m in log.top(limit=2)] == [3, 2]


def brute_force(searches: list[tuple[str, str, int, dt.datetime]], days: int, zero_only: bool = False,
                limit: int = 10) -> list[tuple]:
    """The list top() must give, summed by hand: (query, lang, searches, zero, max_hits), best first."""
    first = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)).isoformat()
    sums: dict[tuple[str, str], list] = {}
    for q, lang, hits, when in searches:
        if when.date().isoformat() >= first:
            row = sums.setdefault((q, lang), [0, 0, 0, ""])
            row[0] += 1
            row[1] += hits == 0
            row[2] = max(row[2], hits)
            row[3] = max(row[3], when.isoformat(timespec="seconds"))
    rows = [(q, lang, *row) for (q, lang), row in sums.items() if row[1] or not zero_only]
    rows.sort(key=lambda r: (r[0], r[1]))
    rows.sort(key=lambda r: r[5], reverse=True)
    rows.sort(key=lambda r: r[2], reverse=True)
    return [r[:5] for r in rows[:limit]]


@pytest.mark.parametrize(("batch", "max_scanned"), [(200, 4000), (3, 100_000), (3, 30)],
                         ids=["as-shipped", "small-batches", "giving-up"])
def test_the_lists_are_the_sums_of_the_period(new_log, monkeypatch, batch, max_scanned):
    """top() reads queries in the order of their totals (long periods) or of each day's counts (short ones)
    and stops early: the same list as summing every row of the period (here also in small batches, so that it
    reads many, and with a small budget, so that it gives up and sums after all)."""
    monkeypatch.setattr(searchlogread, "BATCH", batch)
    monkeypatch.setattr(searchlogread, "MAX_SCANNED", max_scanned)
    rng = random.Random(7)
    queries = [f"fråga {n}" for n in range(60)]
    searches = []
    for _ in range(1500):
        n = min(int(rng.paretovariate(1.1)) - 1, 59)
        ago = rng.choice([0, 0, 1, 2, 5, 20, 40]) if n % 3 else rng.choice([30, 40, 50])  # some only long ago
        searches.append((queries[n], rng.choice(["sv", "sv", "en"]), rng.choice([0, 0, 1, 2]),
                         days_ago(ago, hour=rng.randrange(24))))
    log = new_log()
    log.record_many(searches)
    for days in (1, 3, 7, 30, 90):
        for zero_only in (False, True):
            got = [(m.query, m.lang, m.searches, m.zero, m.max_hits) for m in log.top(10, days, zero_only)]
            assert got == brute_force(searches, days, zero_only), (days, zero_only)
    assert log.zero_results(5) == [(q, n) for q, _lang, n, _z, _mx in brute_force(searches, 90, True, 5)]


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
    r = runner.invoke(cli_admin.report, ["searches", "--data-dir", str(data), "--lang", "en"])
    assert "saknas [personnummer]" in r.output and "row(s) older than 90 days deleted" in r.output


def test_the_editors_page_says_what_was_not_counted_one_by_one(app, tmp_path):
    from tests.test_auth import add_users, login

    app.config["SEARCH_LOG_MAX_QUERIES"] = 2
    add_users(app)
    editor = app.test_client()
    assert login(editor, "erik", "erik-password-1").status_code == 302
    with app.app_context():
        log = searchlog_module.current_log()
        for q in ("parkering", "parkering", "avfall", "tredje", "fjärde"):
            log.record(q, "sv", 0)
    page = editor.get("/agent/reports/searches").get_data(as_text=True)
    assert "parkering" in page and "avfall" in page and "tredje" not in page
    assert "2 sökningar räknades inte var för sig" in page


# --- the old log -------------------------------------------------------------------------------------------------

OLD_SCHEMA = """CREATE TABLE searches (id INTEGER PRIMARY KEY AUTOINCREMENT, query TEXT NOT NULL, lang TEXT NOT NULL,
hits INTEGER NOT NULL, at TEXT NOT NULL); CREATE INDEX searches_at ON searches (at);"""


def old_log(path: Path) -> Counter:
    """An old one-row-per-search log in the SQLite file *path*: a real question, a flood of distinct ones on one
    day, rows past retention; the searches it holds by (day, query)."""
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA)
    rows = [("parkering", "sv", 0, days_ago(1)), ("parkering", "sv", 2, days_ago(1, 13)),
            ("parkering", "sv", 1, days_ago(2)), ("avfall", "en", 0, days_ago(2)),
            ("uråldrig", "sv", 0, days_ago(200))]
    rows += [(f"flood {n}", "sv", 0, days_ago(3)) for n in range(20)] + [("flood 1", "sv", 0, days_ago(3))]
    con.executemany("INSERT INTO searches (query, lang, hits, at) VALUES (?, ?, ?, ?)",
                    [(q, lang, hits, at.isoformat(timespec="seconds")) for q, lang, hits, at in rows])
    con.commit()
    con.close()
    return Counter((at.date().isoformat(), q) for q, _lang, _hits, at in rows)


def test_an_old_sqlite_log_is_counted_into_the_new_tables_on_first_use(tmp_path):
    path = tmp_path / "searchlog.sqlite3"
    searches = old_log(path)
    log = SearchLog(path, days=90, max_queries=10)
    got = {(m.query, m.lang): (m.searches, m.zero, m.max_hits) for m in log.top(limit=100)}
    assert got[("parkering", "sv")] == (3, 1, 2) and got[("avfall", "en")] == (1, 1, 0)
    assert got[("flood 1", "sv")] == (2, 2, 0)  # the day's most searched query keeps its row
    assert ("uråldrig", "sv") not in got  # past retention: not moved
    day3 = days_ago(3).date().isoformat()
    assert sum(n for (day, _q), n in searches.items() if day == day3) == 21
    assert len([k for k in got if k[0].startswith("flood")]) == 10 and log.uncounted() == 21 - 11
    con = sqlite3.connect(path)
    assert con.execute("SELECT name FROM sqlite_master WHERE name = 'searches'").fetchone() is None
    assert con.execute("SELECT SUM(searches) FROM search_totals").fetchone()[0] == 3 + 1 + 11
    con.close()
    assert SearchLog(path, days=90, max_queries=10).count() == log.count()  # once only


def test_an_old_sqlite_log_moves_into_postgresql(tmp_path, postgres_url):
    """An app that moves to PostgreSQL (DATABASE_URL) brings the log its data folder held."""
    _clean(postgres_url)
    old_log(tmp_path / "searchlog.sqlite3")
    log = for_data_dir(tmp_path, url=postgres_url)
    got = {(m.query, m.lang): m.searches for m in log.top(limit=100)}
    assert got[("parkering", "sv")] == 3 and got[("flood 1", "sv")] == 2 and len(got) == 22
    assert not (tmp_path / "searchlog.sqlite3").exists()
    assert (tmp_path / "searchlog.sqlite3.migrated").exists()
    again = for_data_dir(tmp_path, url=postgres_url)  # another worker: nothing more to move
    assert {(m.query, m.lang): m.searches for m in again.top(limit=100)} == got


def test_the_app_logs_into_postgresql_when_database_url_names_it(app, postgres_url, tmp_path):
    _clean(postgres_url)
    app.config["DATABASE_URL"] = postgres_url
    client = app.test_client()
    client.get("/api/v1/search?q=qwzxv+19850615-1234")
    with app.app_context():
        log = searchlog_module.current_log()
        assert log.postgres and [(m.query, m.searches) for m in log.top()] == [("qwzxv [personnummer]", 1)]
    assert not (tmp_path / "data" / "searchlog.sqlite3").exists()
