"""Background work run inside a process: the outbox relay, a Dramatiq worker's thread pool,
the broker's upkeep (heartbeat, dead workers' messages requeued), and optionally the
scheduler. `bookwell worker` runs the first two; `bookwell serve` in
embedded mode runs all three beside the API, so one command shows emails arriving."""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import dramatiq

from bookwell.core.config import Settings
from bookwell.core.db import Database, Timeouts, connect
from bookwell.core.pg_listen import Listener
from bookwell.mail import build_mailer
from bookwell.workers.actors import Actors, declare_actors
from bookwell.workers.broker import build_broker, close_broker
from bookwell.workers.broker_upkeep import run_broker_upkeep
from bookwell.workers.lost_messages import RedisView, redis_view
from bookwell.workers.relay import Relayed, run_relay
from bookwell.workers.runtime import WorkerRuntime
from bookwell.workers.webhooks import run_webhook_sweep

log = logging.getLogger(__name__)

# How long a stopping worker lets running messages finish; the rest are requeued.
STOP_TIMEOUT_MS = 30_000
# Dramatiq waits that long for its worker threads, then as long again for its consumers;
# a stop not done by then is stuck (`bookwell worker` then prints its threads and exits 1).
STOP_DEADLINE_SECONDS = 2 * STOP_TIMEOUT_MS / 1000 + 15

OUTBOX_CHANNEL = "bookwell_outbox"

Task = Callable[[Database, asyncio.Event], Coroutine[Any, Any, None]]


class BackgroundWork:
    def __init__(
        self,
        settings: Settings,
        *,
        database_url: str,
        redis_url: str,
        relay: bool = True,
        worker: bool = True,
        scheduler: Task | None = None,
    ):
        self.settings = settings
        self.database_url = database_url
        self.broker = build_broker(settings, redis_url)
        self.runtime = WorkerRuntime(settings, database_url)
        self.actors: Actors = declare_actors(self.broker, self.runtime)
        self._relay = relay
        self._worker = (
            dramatiq.Worker(self.broker, worker_threads=settings.worker_threads) if worker else None
        )
        self._scheduler = scheduler
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._db: Database | None = None
        self._listener: Listener | None = None
        self._started = contextlib.AsyncExitStack()

    def enqueue_outbox(self, rows: list[Relayed]) -> None:
        for outbox_id, request_id in rows:
            # The worker binds it to the delivery's log lines (observability/dramatiq_context).
            send = self.actors.deliver_notification.send_with_options
            if request_id:
                send(args=(outbox_id,), request_id=request_id)
            else:
                send(args=(outbox_id,))

    async def start(self) -> None:
        """Start each part; `stop` undoes exactly what started, in reverse, even after a
        failed start."""
        started = self._started
        started.callback(close_broker, self.broker)
        if self._worker is not None:
            self._worker.start()
            started.push_async_callback(asyncio.to_thread, self._worker.stop, STOP_TIMEOUT_MS)
        self._db = connect(
            self.database_url,
            pool_size=2,
            max_overflow=2,
            statement_cache_size=self.settings.db_statement_cache_size,
            timeouts=Timeouts.of(self.settings, "worker"),
        )
        started.push_async_callback(self._db.dispose)
        if self._relay:
            self._listener = Listener(
                self.settings.direct_url(self.database_url), application_name="bookwell-relay"
            )
            await self._listener.start()
            started.push_async_callback(self._listener.stop)
            self._tasks.append(asyncio.create_task(self._run_relay(), name="outbox-relay"))
            # Webhook messages lost, owner emails not sent: made good beside the relay.
            sweep = run_webhook_sweep(
                self._db,
                build_mailer(self.settings),
                self.settings,
                self.actors.schedule_webhook,
                stop=self._stop,
            )
            self._tasks.append(asyncio.create_task(sweep, name="webhook-sweep"))
        upkeep = run_broker_upkeep(
            self.broker, self.settings, stop=self._stop, consuming=self._worker is not None
        )
        self._tasks.append(asyncio.create_task(upkeep, name="broker-upkeep"))
        if self._scheduler is not None:
            scheduled = self._scheduler(self._db, self._stop)
            self._tasks.append(asyncio.create_task(scheduled, name="scheduler"))

    async def _run_relay(self) -> None:
        """Woken by NOTIFY bookwell_outbox (migration 0005) as soon as an event commits."""
        assert self._db is not None and self._listener is not None
        async with self._listener.subscribe(OUTBOX_CHANNEL) as wakeups:
            await run_relay(
                self._db,
                self.enqueue_outbox,
                self.settings,
                stop=self._stop,
                wakeups=wakeups,
                look=self.look,
            )

    def look(self) -> RedisView:
        return redis_view(self.broker)

    async def stop(self) -> None:
        self._stop.set()
        for outcome in await asyncio.gather(*self._tasks, return_exceptions=True):
            if isinstance(outcome, BaseException):
                log.error("background task ended with %r", outcome)
        await self._started.aclose()
