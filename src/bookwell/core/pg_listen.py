"""PostgreSQL LISTEN/NOTIFY for a whole process: one connection, any number of subscribers.

`Listener` keeps ONE asyncpg connection that LISTENs on every channel someone subscribed to
and hands each payload to that channel's subscribers. If the connection drops (server
restart, `pg_terminate_backend`, a dead network found by the health check) it reconnects
with backoff. Notifications sent while it was away are lost for good, so after every
reconnect each subscriber receives `None`: "resync, you may have missed something".

    listener = Listener(database_url)
    await listener.start()
    async with listener.subscribe("bookwell_outbox") as queue:
        payload = await queue.get()  # a str, or None to resync
    await listener.stop()

A subscription is established when `subscribe` yields: any NOTIFY committed after that
reaches its queue (or a resync does). Queues are bounded: a subscriber `queue_size` payloads
behind has its backlog replaced by a single resync, so memory never grows with a slow reader.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import asyncpg

log = logging.getLogger(__name__)

Accept = Callable[[str], bool]

_DRIVER_PREFIXES = ("postgresql+asyncpg://", "postgres://", "postgresql://")
# TimeoutError is an OSError; InterfaceError: the connection is closed or busy.
_CONNECTION_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


def plain_dsn(url: str) -> str:
    """asyncpg wants postgresql://; SQLAlchemy URLs here say postgresql+asyncpg://.
    Query parameters (a unix socket's `?host=/path`) pass through unchanged."""
    for prefix in _DRIVER_PREFIXES:
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    raise ValueError("not a PostgreSQL URL")


@dataclass(eq=False)
class _Subscriber:
    accept: Accept | None
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    # Set once `subscribe` has yielded: from then on nothing committed is missed unnoticed.
    established: bool = False

    def offer(self, payload: str | None) -> None:
        if self.queue.full():
            # Whatever is queued is stale anyway: one resync says it all.
            while not self.queue.empty():
                self.queue.get_nowait()
            payload = None
        self.queue.put_nowait(payload)


class Listener:
    def __init__(
        self,
        url: str,
        *,
        application_name: str = "bookwell-listen",
        queue_size: int = 256,
        min_backoff: float = 0.2,
        max_backoff: float = 10.0,
        health_interval: float = 15.0,
        command_timeout: float = 10.0,
    ):
        self._dsn = plain_dsn(url)
        self._application_name = application_name
        self._queue_size = queue_size
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._health_interval = health_interval
        self._command_timeout = command_timeout
        self._subscribers: dict[str, set[_Subscriber]] = {}
        self._connection: asyncpg.Connection | None = None
        self._listening: set[str] = set()
        # Serialises every use of the connection: asyncpg runs one command at a time.
        self._lock = asyncio.Lock()
        self._lost = asyncio.Event()
        self._first_attempt = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    @property
    def backend_pid(self) -> int | None:
        """The server process of the current connection (None while disconnected)."""
        connection = self._connection
        if connection is None or connection.is_closed():
            return None
        pid: int = connection.get_server_pid()
        return pid

    def subscriber_count(self, channel: str) -> int:
        """Established subscriptions to `channel` (for health pages and tests)."""
        return sum(s.established for s in self._subscribers.get(channel, ()))

    async def start(self) -> None:
        """Connect (waiting for the first attempt only); if the database is not reachable yet,
        keep trying in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="bookwell-listen")
            await self._first_attempt.wait()

    async def stop(self) -> None:
        """Stop reconnecting and close the connection. The reconnecting task is told by a
        flag as well as cancelled: Python 3.11's `asyncio.wait_for` drops a cancellation
        that arrives as the future it waits on completes (a connection lost just as the
        stop came), and the task would then reconnect for ever."""
        self._stopping = True
        self._lost.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=self._command_timeout)
            if not task.done():
                log.error(
                    "LISTEN task did not stop within %.0f s; left behind", self._command_timeout
                )
        async with self._lock:
            await self._drop_connection()

    @contextlib.asynccontextmanager
    async def subscribe(
        self, channel: str, *, accept: Accept | None = None
    ) -> AsyncIterator[asyncio.Queue[str | None]]:
        """A queue of the channel's payloads (`None`: resync). `accept` filters payloads
        before they are queued, so a subscriber is not woken for what it would ignore."""
        subscriber = _Subscriber(accept, asyncio.Queue(self._queue_size))
        # Registered before any await, and removed in `finally` before any await: a
        # cancelled subscriber never stays behind.
        self._subscribers.setdefault(channel, set()).add(subscriber)
        try:
            async with self._lock:
                if self.connected and channel not in self._listening:
                    try:
                        await self._listen(channel)
                    except _CONNECTION_ERRORS as error:
                        # The reconnect LISTENs on it again and resyncs this subscriber.
                        self._connection_failed(error)
            subscriber.established = True
            yield subscriber.queue
        finally:
            subscribers = self._subscribers.get(channel, set())
            subscribers.discard(subscriber)
            if not subscribers:
                self._subscribers.pop(channel, None)
                await self._unlisten(channel)

    async def _unlisten(self, channel: str) -> None:
        async with self._lock:
            # Someone may have subscribed again while this waited for the lock.
            if channel in self._subscribers:
                return
            if self.connected and channel in self._listening:
                self._listening.discard(channel)
                try:
                    assert self._connection is not None
                    await asyncio.wait_for(
                        self._connection.remove_listener(channel, self._dispatch),
                        self._command_timeout,
                    )
                except _CONNECTION_ERRORS as error:
                    self._connection_failed(error)

    async def _listen(self, channel: str) -> None:
        assert self._connection is not None
        await asyncio.wait_for(
            self._connection.add_listener(channel, self._dispatch), self._command_timeout
        )
        self._listening.add(channel)

    def _dispatch(self, connection: object, pid: int, channel: str, payload: str) -> None:
        for subscriber in tuple(self._subscribers.get(channel, ())):
            if subscriber.accept is None or subscriber.accept(payload):
                subscriber.offer(payload)

    def _resync_all(self) -> None:
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.offer(None)

    async def _run(self) -> None:
        delay = self._min_backoff
        ever_connected = False
        while not self._stopping:
            try:
                await self._connect()
            except Exception as error:
                # Whatever it was (a bad URL too), this task must live on: it is retried.
                log.warning("LISTEN connection failed (%s); retrying in %.1f s", error, delay)
                self._first_attempt.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
                continue
            if ever_connected:
                log.warning("LISTEN connection re-established; subscribers resync")
            ever_connected = True
            delay = self._min_backoff
            self._first_attempt.set()
            await self._watch()
            if self._stopping:
                return
            log.warning("LISTEN connection lost; reconnecting")
            async with self._lock:
                await self._drop_connection()
            await asyncio.sleep(delay)

    async def _connect(self) -> None:
        connection = await asyncpg.connect(
            self._dsn,
            timeout=self._command_timeout,
            # asyncpg's UNLISTEN is a prepared statement: unnamed ones survive a PgBouncer.
            statement_cache_size=0,
            server_settings={"application_name": self._application_name},
        )
        self._lost.clear()
        connection.add_termination_listener(lambda _connection: self._lost.set())
        async with self._lock:
            self._connection = connection
            self._listening = set()
            try:
                # A copy: subscribers come and go while this awaits.
                for channel in list(self._subscribers):
                    await self._listen(channel)
            except BaseException:
                await self._drop_connection()
                raise
            # Under the lock: exactly the subscribers that may have missed something.
            self._resync_all()

    async def _watch(self) -> None:
        """Return when the connection is gone: closed under us, or failing a health check
        (a dead peer on a silent network is found only by talking to it)."""
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._health_interval):
                    await self._lost.wait()
                return
            async with self._lock:
                if not self.connected:
                    return
                try:
                    assert self._connection is not None
                    await self._connection.execute("SELECT 1", timeout=self._command_timeout)
                except Exception as error:
                    log.warning("LISTEN connection failed its health check (%s)", error)
                    return

    def _connection_failed(self, error: BaseException) -> None:
        log.warning("LISTEN connection failed (%s)", error)
        self._lost.set()

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        self._listening = set()
        if connection is None or connection.is_closed():
            return
        try:
            await asyncio.wait_for(connection.close(), timeout=2)
        except _CONNECTION_ERRORS:
            connection.terminate()
        except asyncio.CancelledError:
            connection.terminate()
            raise
