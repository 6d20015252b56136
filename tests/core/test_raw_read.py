"""Database.raw_read (core/db.py): the pool's asyncpg connection, in autocommit, given back."""

from bookwell.core.db import Database


async def test_raw_read_answers_outside_a_transaction_and_gives_the_connection_back(
    db: Database,
) -> None:
    pool = db.engine.sync_engine.pool
    async with db.raw_read() as connection:
        assert pool.checkedout() == 1  # type: ignore[attr-defined]
        assert not connection.is_in_transaction()
        assert await connection.fetchval("SELECT $1::int + 1", 41) == 42
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    async with db.raw_read() as again:  # the same connection, usable again
        assert await again.fetchval("SELECT 1") == 1
