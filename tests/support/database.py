"""The test server's databases: URLs, administration statements, copies of the migrated
template, and the capacity invariant recounted from the reservations."""

import asyncpg
from sqlalchemy import make_url, text

from bookwell.core.db import Database
from tests import pooler


def plain_url(url: str) -> str:
    """asyncpg wants postgresql://, SQLAlchemy postgresql+asyncpg://. The plain asyncpg
    connections of the tests (administration, looking at or locking rows) reach PostgreSQL
    itself, never the pooler of the pooled run."""
    return (
        make_url(pooler.direct(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def admin_execute(server_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(plain_url(server_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def copy_template(server_url: str, template_url: str, name: str) -> str:
    """A fresh database `name` cloned from the migrated template (drop_database removes it),
    for tests that need several databases, such as one per Hypothesis example."""
    template = make_url(template_url).database
    await admin_execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


INVENTORY_FAULTS = text("""
    WITH taken AS (
        SELECT r.listing_id, d::date AS night, sum(r.quantity) AS booked
        FROM reservations r
        JOIN listings l ON l.id = r.listing_id AND l.kind = 'STAY'
        CROSS JOIN generate_series(r.start_date, r.end_date - 1, interval '1 day') d
        WHERE r.status IN ('PENDING', 'CONFIRMED', 'ACTIVE')
        GROUP BY 1, 2
    )
    SELECT coalesce(n.listing_id, t.listing_id) AS listing_id,
           coalesce(n.night, t.night) AS night,
           n.booked AS inventory, t.booked AS recount, l.units
    FROM listing_nights n
    FULL JOIN taken t ON t.listing_id = n.listing_id AND t.night = n.night
    JOIN listings l ON l.id = coalesce(n.listing_id, t.listing_id)
    WHERE coalesce(n.booked, 0) <> coalesce(t.booked, 0)
       OR coalesce(t.booked, 0) > l.units
       OR coalesce(n.booked, 0) > n.units
    ORDER BY 1, 2
""")


async def inventory_faults(db: Database) -> list:
    """Nights of stay listings whose inventory row disagrees with a recount of the holding
    reservations (PENDING, CONFIRMED, ACTIVE), or whose units are over-allocated: [] when
    the capacity invariant holds."""
    async with db.read() as session:
        return [tuple(row) for row in await session.execute(INVENTORY_FAULTS)]


async def over_allocated_nights(db) -> list:
    """Nights where the units taken by holding reservations exceed the listing's units,
    recomputed from the reservations themselves (not from the inventory rows)."""
    query = text("""
        SELECT r.listing_id, d::date AS night, sum(r.quantity) AS taken, l.units
        FROM reservations r
        JOIN listings l ON l.id = r.listing_id
        CROSS JOIN generate_series(r.start_date, r.end_date - 1, interval '1 day') d
        WHERE r.status IN ('PENDING', 'CONFIRMED', 'ACTIVE')
        GROUP BY r.listing_id, d::date, l.units
        HAVING sum(r.quantity) > l.units
    """)
    async with db.read() as session:
        return list(await session.execute(query))


async def inventory_drift(db) -> list:
    """Inventory rows that disagree with the reservations they summarise."""
    query = text("""
        WITH taken AS (
            SELECT r.listing_id, d::date AS night, sum(r.quantity) AS booked
            FROM reservations r
            CROSS JOIN generate_series(r.start_date, r.end_date - 1, interval '1 day') d
            WHERE r.status IN ('PENDING', 'CONFIRMED', 'ACTIVE')
            GROUP BY 1, 2
        )
        SELECT coalesce(n.listing_id, t.listing_id), coalesce(n.night, t.night),
               n.booked, t.booked
        FROM listing_nights n
        FULL JOIN taken t ON t.listing_id = n.listing_id AND t.night = n.night
        WHERE coalesce(n.booked, 0) <> coalesce(t.booked, 0)
    """)
    async with db.read() as session:
        return list(await session.execute(query))
