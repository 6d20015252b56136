"""The bench database: BENCH_DATABASE_URL, else `bookwell_bench` on an embedded PostgreSQL
in .bookwell/bench-pg (never the developer's .bookwell/pg nor the test suite's)."""

import os
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url

from bookwell.core.config import to_asyncpg_url
from bookwell.core.db import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / ".bookwell"


@contextmanager
def bench_database():
    """Yields the SQLAlchemy URL; an embedded server started here is stopped afterwards."""
    configured = os.environ.get("BENCH_DATABASE_URL")
    if configured:
        url = to_asyncpg_url(configured)
        check_is_bench(url)
        yield url
        return
    embedded = EmbeddedPostgres(DATA_DIR, name="bench-pg", database="bookwell_bench")
    try:
        yield embedded.start()
    finally:
        embedded.stop()


def check_is_bench(url: str) -> None:
    """Loading truncates every table: refuse a database whose name does not say "bench"."""
    name = make_url(url).database or ""
    if "bench" not in name:
        raise SystemExit(f"BENCH_DATABASE_URL must name a bench database (got {name!r}).")


def plain(url: str) -> str:
    """The URL for asyncpg itself (postgresql://), from SQLAlchemy's postgresql+asyncpg://."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
