"""A few idle pool connections kept checked out for Database.raw_read (issue 18).

Taking one from the pool and giving it back costs two greenlet switches and the pool's
checkout and reset, ~6% of a compiled read's CPU; one kept here is taken and given back
by a list pop and append. Kept ones stay checked out of the pool, so its bound holds.
"""

from typing import TYPE_CHECKING

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


class IdleConnections:
    """A LIFO of at most `keep` idle pooled connections, none in a transaction."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._idle: list[PoolProxiedConnection] = []

    def __len__(self) -> int:
        return len(self._idle)

    def take(self) -> PoolProxiedConnection | None:
        """The last one given back that is still open, or None: take one from the pool."""
        while self._idle:
            pooled = self._idle.pop()
            if not _driver(pooled).is_closed():
                return pooled
            # Closed while idle (the server restarted): the pool forgets it.
            pooled.invalidate()
        return None

    async def give_back(self, pooled: PoolProxiedConnection) -> None:
        """After a statement that went well: kept, or back to the pool when enough are kept."""
        driver = _driver(pooled)
        idle = not driver.is_closed() and not driver.is_in_transaction()
        if idle and len(self._idle) < self.keep:
            self._idle.append(pooled)
        else:
            # The pool's checkin may await the driver: inside a greenlet.
            await greenlet_spawn(pooled.close)

    @staticmethod
    async def after_error(pooled: PoolProxiedConnection, error: BaseException) -> None:
        """After an exception: a broken connection is invalidated, any other goes back to
        the pool (whose checkin rolls back), never kept."""
        if connection_broken(error) or _driver(pooled).is_closed():
            await greenlet_spawn(pooled.invalidate, error)
        else:
            await greenlet_spawn(pooled.close)

    async def close(self) -> None:
        """Every kept one back to the pool (before the pool is disposed)."""
        while self._idle:
            await greenlet_spawn(self._idle.pop().close)


def connection_broken(error: BaseException) -> bool:
    """Whether `error`, raised while a connection was in use, may have left it unusable."""
    if isinstance(error, PostgresError):
        return isinstance(error, PostgresConnectionError) or error.severity in FATAL
    # Raised by our code after the statement answered (a refusal made from its error, a
    # stale price): the connection is idle again. From the driver or the loop: unknown.
    return not isinstance(error, Exception) or isinstance(error, DRIVER_OR_IO)


def _driver(pooled: PoolProxiedConnection) -> "asyncpg.Connection":
    driver: asyncpg.Connection = pooled.driver_connection
    return driver
