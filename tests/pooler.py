"""The run through a connection pooler (CI's second run: PgBouncer in transaction mode in
front of PostgreSQL 15, docs/scaling.md section 2).

TEST_DATABASE_URL names the pooler and TEST_DIRECT_DATABASE_URL the PostgreSQL server behind
it. The app under test and its sessions go through the pooler, with the settings the docs
prescribe for it: `BOOKWELL_DB_STATEMENT_CACHE_SIZE=0`, and `direct_database_url` (LISTEN,
the scheduler's lock) on PostgreSQL. What the tests do to the server themselves goes to
PostgreSQL: creating, copying and dropping databases (a pooler keeps server connections to a
database open, which blocks `CREATE DATABASE ... TEMPLATE` and `DROP DATABASE`), migrating
the template, and the plain asyncpg connections tests open to look at or lock rows.

Without TEST_DIRECT_DATABASE_URL nothing here changes anything.
"""

import os

from sqlalchemy import make_url

from bookwell.core.config import to_asyncpg_url

STATEMENT_CACHE = "BOOKWELL_DB_STATEMENT_CACHE_SIZE"

# Tests that, as written, check PostgreSQL itself rather than the app behind a pooler: in
# the pooled run their database is reached directly, with the statement cache at its
# default. "<file name>::<test name>" prefixes (names, not paths: tests move between
# folders), with why. Marking them `direct_postgres` in their files would do the same.
DIRECT_ONLY: dict[str, str] = {
    "test_deploy_files.py::test_statement_cache_on_by_default_keeps_named_statements": (
        "looks for asyncpg's named statements in pg_prepared_statements: the default cache "
        "on PostgreSQL itself, which PgBouncer in transaction mode cannot serve"
    ),
    "test_deploy_files.py::test_statement_cache_size_is_a_setting": (
        "reads Settings' default, 100, which the pooled run's environment sets to 0"
    ),
    "test_direct_database_url.py::": (
        "builds its 'direct' URL as a second role on the test's database URL, and checks "
        "that the default has no direct URL: through the pooler that role would have to be "
        "in PgBouncer's auth_file, and the pooled settings do have a direct URL"
    ),
    "test_subscriptions.py::test_a_listener_queue_that_falls_behind_holds_one_resync": (
        "starts a Listener on the test's database URL: LISTEN needs PostgreSQL itself (the "
        "app gives its listener the direct URL)"
    ),
    "test_scheduler.py::test_one_leader_at_a_time_and_a_takeover": (
        "makes Leaders on engines of the test's database URL: a session advisory lock needs "
        "PostgreSQL itself (the scheduler takes it on the direct URL)"
    ),
}

# Tests that fail through the pooler for a reason in the test's own fixtures, not run there
# until their owners fix them (xfail, not run: each would wait out its deadline).
POOLED_XFAIL: dict[str, str] = {}


def pooled() -> bool:
    """True in the pooled run: TEST_DATABASE_URL is a pooler, TEST_DIRECT_DATABASE_URL the
    server behind it."""
    return bool(os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_DIRECT_DATABASE_URL"))


def direct(url: str) -> str:
    """`url` on PostgreSQL itself: a URL on the pooler of TEST_DATABASE_URL becomes the same
    database on the server of TEST_DIRECT_DATABASE_URL (and its user, when `url` has the
    pooler's); any other URL, or any URL outside the pooled run, is returned as it is."""
    if not pooled():
        return url
    parsed = make_url(url)
    pooler = make_url(to_asyncpg_url(os.environ["TEST_DATABASE_URL"]))
    if (parsed.host, parsed.port) != (pooler.host, pooler.port):
        return url
    server = make_url(to_asyncpg_url(os.environ["TEST_DIRECT_DATABASE_URL"]))
    moved = parsed.set(host=server.host, port=server.port)
    if parsed.username == pooler.username:
        moved = moved.set(username=server.username, password=server.password)
    return moved.render_as_string(hide_password=False)


def _reason(table: dict[str, str], test: str) -> str | None:
    for prefix, reason in table.items():
        if test.startswith(prefix):
            return reason
    return None


def direct_only(test: str) -> str | None:
    """Why `test` ("<file name>::<test name>") runs on PostgreSQL directly in the pooled run,
    or None."""
    return _reason(DIRECT_ONLY, test)


def known_to_fail(test: str) -> str | None:
    """Why `test` ("<file name>::<test name>") is not run in the pooled run, or None."""
    return _reason(POOLED_XFAIL, test)


def statement_cache_size() -> int:
    """The statement cache the app's settings use (Settings' default, 100, unless the
    environment says otherwise; 0 in the pooled run)."""
    return int(os.environ.get(STATEMENT_CACHE, "100"))
