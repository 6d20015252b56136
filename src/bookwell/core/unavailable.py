"""Which failures mean "the database cannot serve right now, retry" rather than a bug: a
pool checkout that timed out, PostgreSQL down or restarting, a statement or lock wait that
ran past its timeout (core/db.py sets them). `unavailable_reason` names the reason, or None."""

import asyncio
from types import TracebackType

import asyncpg
from asyncpg.exceptions._base import InternalClientError
from sqlalchemy import exc

from bookwell.core.errors import ServiceUnavailable

# SQLSTATEs: 57014 query_canceled (statement_timeout, a cancel request), 55P03
# lock_not_available (lock_timeout), 57P01-03 the server shutting down, crashed or starting
# up, 53300 too many connections, class 08 connection exceptions.
_BY_SQLSTATE = {
    "57014": "statement_timeout",
    "55P03": "lock_timeout",
    "57P01": "database_down",
    "57P02": "database_down",
    "57P03": "database_down",
    "53300": "database_down",
}
_DRIVERS = ("/sqlalchemy/", "/asyncpg/")
_CONNECTION_STATES = (
    "connection is closed",
    "another operation is in progress",
    "another operation is cancelling",
    "pool is clos",
)


def unavailable_reason(error: BaseException) -> str | None:
    """Why `error` (or an error it was raised from) means the database is unavailable."""
    for each in _chain(error):
        if isinstance(each, ServiceUnavailable):
            return each.reason
        if isinstance(each, exc.TimeoutError):  # the pool's checkout
            return "pool_timeout"
        sqlstate = getattr(each, "sqlstate", None)
        if isinstance(sqlstate, str):
            if sqlstate in _BY_SQLSTATE:
                return _BY_SQLSTATE[sqlstate]
            if sqlstate.startswith("08"):
                return "database_down"
        if isinstance(each, asyncpg.ConnectionDoesNotExistError | asyncpg.CannotConnectNowError):
            return "database_down"
        # "cannot switch to state ...; another operation is in progress": a connection the
        # server dropped (a restart) before asyncpg saw its end, refused before anything was
        # sent; the connection is invalidated (core/idle_connections.connection_broken).
        if isinstance(each, InternalClientError) and _raised_in_driver(each.__traceback__):
            return "database_down"
        if isinstance(each, exc.DBAPIError) and each.connection_invalidated:
            return "database_down"
        # Connecting (refused, unreachable) and asyncpg's connect and command timeouts come
        # unwrapped: they count when raised in the drivers, not in other clients (Redis, HTTP).
        if isinstance(each, OSError | TimeoutError | asyncio.TimeoutError) and _raised_in_driver(
            each.__traceback__
        ):
            return "database_down"
        # asyncpg's InterfaceError is also its answer to our mistakes (a wrong number of
        # arguments, a value of the wrong type): only a connection's state counts.
        if (
            isinstance(each, asyncpg.InterfaceError)
            and not isinstance(each, asyncpg.DataError)
            and any(state in str(each) for state in _CONNECTION_STATES)
            and _raised_in_driver(each.__traceback__)
        ):
            return "database_down"
    return None


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not s for s in seen) and len(seen) < 10:
        seen.append(current)
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException) and all(orig is not s for s in seen):
            seen.append(orig)
        current = current.__cause__ or current.__context__
    return seen


def _raised_in_driver(traceback: TracebackType | None) -> bool:
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if any(part in filename for part in _DRIVERS):
            return True
        traceback = traceback.tb_next
    return False
