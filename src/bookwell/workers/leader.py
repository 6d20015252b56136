"""One leader among any number of schedulers: a PostgreSQL session-level advisory lock.

The leader takes the lock on a connection of its own and keeps that connection for as long
as it leads. If the process dies or the connection breaks, PostgreSQL drops the lock with
the session and another scheduler takes over on its next try; the old leader finds its
connection gone on its next check and steps down. Between the break and that check both may
run jobs for a moment, which is safe: leadership only saves duplicate work, each job is safe
to run concurrently on its own (SKIP LOCKED, guarded updates, dedupe keys).

The connection is a SQLAlchemy AsyncConnection from the engine it is given: the
application's, or one on BOOKWELL_DIRECT_DATABASE_URL when set (scheduler.run_scheduler),
since through PgBouncer in transaction mode the lock would stay on a pooled server
connection. It is in autocommit so it never sits idle inside a transaction. A session lock
survives the pool's reset-on-return, so the connection never goes back to the pool while it
might hold the lock: it is unlocked first, or else discarded (invalidated).
"""

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# Two-key advisory lock ("SCHD", 1), apart from the waitlist's ("WAIT", listing) locks.
SCHEDULER_LOCK = (0x53434844, 1)
# A check that takes longer than this counts as a lost connection.
CHECK_TIMEOUT_SECONDS = 10.0

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:space, :key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:space, :key)")
_PING = text("SELECT 1")


class Leader:
    """Leadership for one process: `ensure()` before each round of work."""

    def __init__(self, engine: AsyncEngine, lock: tuple[int, int] = SCHEDULER_LOCK) -> None:
        self._engine = engine
        self._params = {"space": lock[0], "key": lock[1]}
        self._connection: AsyncConnection | None = None

    @property
    def leading(self) -> bool:
        return self._connection is not None

    async def ensure(self) -> bool:
        """True while this process leads: checks the lock's connection is alive, or tries
        to take the lock. Database errors count as not leading (the caller retries)."""
        if self._connection is not None:
            if await self._alive():
                return True
            log.warning("scheduler lock connection lost; stepping down")
        return await self._try_acquire()

    async def release(self) -> None:
        """Stop leading (another scheduler may take over at once)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await connection.execute(_UNLOCK, self._params)
                await connection.close()
            log.info("scheduler leadership released")
        except Exception:
            await _discard(connection)

    async def _alive(self) -> bool:
        assert self._connection is not None
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await self._connection.execute(_PING)
            return True
        except Exception:
            connection, self._connection = self._connection, None
            await _discard(connection)
            return False

    async def _try_acquire(self) -> bool:
        connection = None
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                connection = await self._engine.connect()
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                acquired = (await connection.execute(_TRY_LOCK, self._params)).scalar_one()
        except BaseException as error:  # cancellation too: never leak a connection
            if connection is not None:
                # The lock may have been granted before the error: never pool this one.
                await _discard(connection)
            if not isinstance(error, Exception):
                raise
            log.warning("could not try the scheduler lock: %s", error)
            return False
        if not acquired:
            await connection.close()
            return False
        self._connection = connection
        log.info("this process now leads the scheduler")
        return True


async def _discard(connection: AsyncConnection) -> None:
    """Close the physical connection; PostgreSQL releases its session locks with it."""
    try:
        await connection.invalidate()
        await connection.close()
    except Exception:
        log.debug("discarding the scheduler lock connection failed", exc_info=True)
