"""A few idle pool connections kept checked out for Database.raw_read (issue 18).

Taking one from the pool and giving it back costs two greenlet switches and the pool's
checkout and reset, ~6% of a compiled read's CPU; one kept here is taken and given back
by a list pop and append. Kept ones stay checked out of the pool, so its bound holds; and
at most max_overflow are kept (core/db.py), so sessions can still have pool_size at once.
"""

from typing import TYPE_CHECKING, Any

from asyncpg.exceptions import InterfaceError, PostgresConnectionError, PostgresError
from asyncpg.exceptions._base import InternalClientError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

if TYPE_CHECKING:
    import asyncpg

# A statement's own error (a timeout, a constraint) leaves the connection ready for the next:
# PostgreSQL said so in full. Anything else raised while it was in use (the server gone, a
# FATAL error such as pg_terminate_backend's, a cancellation mid-statement, an error of the
# driver's own such as "another operation is in progress" after a restart) may leave it
# mid-exchange: it is invalidated, never handed on.
FATAL = ("FATAL", "PANIC")
DRIVER_OR_IO = (InterfaceError, InternalClientError, OSError)


# What raw_read holds while it uses a connection: the pool's proxy, its asyncpg connection
# (the proxy's driver_connection costs ~0.4 us a lookup), and the proxy's record and pool,
# whose times say whether the pool has marked it stale since (_stale).
Used = tuple[PoolProxiedConnection, "asyncpg.Connection", Any, Any]


def using(pooled: PoolProxiedConnection) -> Used:
    """A connection just taken from the pool, as raw_read holds it."""
    return pooled, pooled.driver_connection, pooled._connection_record, pooled._pool


class IdleConnections:
    """A LIFO of at most `keep` idle pooled connections, none in a transaction."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._idle: list[Used] = []

    def __len__(self) -> int:
        return len(self._idle)

    def take(self) -> Used | None:
        """The last one given back that is still usable, or None: take one from the pool."""
        while self._idle:
            used = self._idle.pop()
            pooled, driver, record, pool = used
            # Never busy (give_back keeps none that is): closed since, or stale, at most.
            if not driver.is_closed() and not _stale(record, pool):
                return used
            # Closed while idle (the server restarted), or made before the pool was marked
            # stale: the pool forgets it (closed without waiting: no greenlet needed).
            pooled.invalidate()
        return None

    async def give_back(self, used: Used) -> None:
        """After a statement that went well: kept, or back to the pool when enough are kept;
        invalidated if an exchange of the driver's is still under way (the block left a
        statement running, or a cancelled one's cancellation)."""
        pooled, driver, _, _ = used
        if _busy(driver):
            await greenlet_spawn(pooled.invalidate)
        elif not driver.is_in_transaction() and len(self._idle) < self.keep:
            self._idle.append(used)
        else:
            # The pool's checkin may await the driver: inside a greenlet.
            await greenlet_spawn(pooled.close)

    @staticmethod
    async def after_error(used: Used, error: BaseException) -> None:
        """After an exception: a broken or busy connection is invalidated, any other goes
        back to the pool (whose checkin rolls back), never kept."""
        pooled, driver, _, _ = used
        if connection_broken(error) or _busy(driver):
            await greenlet_spawn(pooled.invalidate, error)
        else:
            await greenlet_spawn(pooled.close)

    async def close(self) -> None:
        """Every kept one back to the pool (before the pool is disposed)."""
        while self._idle:
            await greenlet_spawn(self._idle.pop()[0].close)


def connection_broken(error: BaseException) -> bool:
    """Whether `error`, raised while a connection was in use, may have left it unusable."""
    if isinstance(error, PostgresError):
        return isinstance(error, PostgresConnectionError) or error.severity in FATAL
    # Raised by our code after the statement answered (a refusal made from its error, a
    # stale price): the connection is idle again. From the driver or the loop: unknown.
    return not isinstance(error, Exception) or isinstance(error, DRIVER_OR_IO)


def _stale(record: Any, pool: Any) -> bool:
    """Whether the pool has marked the connection stale: SQLAlchemy does, for every connection
    made before, when it finds one disconnected, and its checkout replaces them; a kept one
    is not checked out again, so asked here. Private to SQLAlchemy (_ConnectionRecord,
    Pool._invalidate_time), no public equivalent. The rest of that checkout's test (a soft
    or hard invalidation, pool_recycle) cannot apply: raw_read invalidates only those it
    drops, and core/db.py sets no pool_recycle."""
    return bool(pool._invalidate_time > record.starttime)


def _busy(driver: "asyncpg.Connection") -> bool:
    """Whether asyncpg is still in an exchange on `driver`: closed, a cancellation not yet
    acknowledged, or a prepared statement's execution (fetch*, execute with arguments)
    awaiting its answer. Private to asyncpg: the protocol's own "operation in progress"
    (its waiter) is not visible from Python; these are the parts that are."""
    return (
        driver.is_closed()
        or driver._protocol._is_cancelling()
        or bool(driver._stmt_exclusive_section._acquired)
    )
