"""Alembic environment: async engine, metadata from bookwell.models."""

import asyncio
import os

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from bookwell.core.config import Settings, to_asyncpg_url
from bookwell.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("Set DATABASE_URL, or run `bookwell migrate` to use the embedded server.")
    return to_asyncpg_url(url)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    # 0 behind PgBouncer in transaction mode (docs/scaling.md), as for the app's pool.
    cache = Settings().db_statement_cache_size
    engine = create_async_engine(
        _url(),
        # A failed statement's error names no bound values (they may be personal data).
        hide_parameters=True,
        connect_args={"statement_cache_size": cache, "prepared_statement_cache_size": cache},
    )
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
