"""`bookwell serve --workers N`, N > 1: uvicorn's parent process and N worker processes.

The parent does what must happen once, before the workers start: the embedded servers,
migrations, demo data and the secret key file (`serve`), and then the background work
(relay, worker, scheduler) in a thread of its own while uvicorn supervises the workers.
Each worker builds the app from the environment the parent leaves it (`app`).

Per worker, as per replica: its own database pool (BOOKWELL_DB_POOL_SIZE and
DB_MAX_OVERFLOW count per process), its own cache of API tokens and listing terms (both
dropped on NOTIFY), listing gate and in-flight limit. Rate limits are shared through Redis
when there is one; without it each worker counts its own, so each allows the full limit.

/metrics, whichever worker answers, counts for all of them: the parent gives the workers a
fresh directory in PROMETHEUS_MULTIPROC_DIR (removed when serve ends), where each writes
its counters and histograms, and a scrape sums them over the workers, those that exited or
were respawned included (observability/worker_metrics.py). The gauges are read at scrape
time: the database pool's are those of the worker that answered, the outbox's and queues'
are global anyway. process_* and python_* series are left out (they would describe one
worker only)."""

import asyncio
import contextlib
import logging
import os
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

import click
from starlette.applications import Starlette

from bookwell.app import Background, create_app
from bookwell.cli.request_heads import HeadDeadlineProtocol
from bookwell.cli.support import with_db
from bookwell.core.config import Settings
from bookwell.core.db import Database, secret_key
from bookwell.observability.worker_metrics import workers_directory

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bookwell.cli.serve import UvicornOptions

# Besides the pool: the readiness probe's connection and the LISTEN connection (app.py).
OWN_CONNECTIONS = 2
# How long a worker may take to answer uvicorn's health check (also while starting).
WORKER_HEALTHCHECK_SECONDS = 30


class WorkerHeadDeadline(HeadDeadlineProtocol):
    """The workers' HTTP protocol: uvicorn hands its options to them pickled, so the class
    goes by name, and `app` sets the deadline from the worker's settings."""


def app() -> Starlette:
    """The app of one worker (`uvicorn.run(..., factory=True)` calls it in each)."""
    from uvicorn.config import STARTUP_FAILURE

    try:
        settings = Settings()
        WorkerHeadDeadline.head_timeout = settings.head_timeout_seconds
        return create_app(settings)
    except Exception:
        # uvicorn respawns a worker that exits otherwise, for ever; this code stops them all.
        log.exception("the app could not be built")
        sys.exit(STARTUP_FAILURE)


def worker_environment(settings: Settings, url: str, queue_url: str | None) -> dict[str, str]:
    """What the workers' Settings must read beyond the parent's environment: the embedded
    servers the parent started, as if configured."""
    env = {}
    if settings.database_url is None:
        env["DATABASE_URL"] = url
    if queue_url is not None and settings.redis_url != queue_url:
        env["REDIS_URL"] = queue_url  # rate limits then shared, as serve_settings does
    return env


def run(
    settings: Settings,
    url: str,
    queue_url: str | None,
    work: Background | None,
    *,
    workers: int,
    options: "UvicornOptions",
) -> None:
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    if settings.database_url is None:
        # The embedded database is reached directly already (Settings.direct_url).
        os.environ.pop("BOOKWELL_DIRECT_DATABASE_URL", None)
    os.environ.update(worker_environment(settings, url, queue_url))
    # Created here, once: workers starting together would each write a key of their own.
    secret_key(settings)
    warn_about_limits(settings, url, queue_url, workers)
    by_name: dict[str, Any] = {
        **options,
        "http": f"{__name__}:WorkerHeadDeadline",
        # A new worker answers uvicorn's health check only once it has imported what the
        # `bookwell` command imports (multiprocessing's spawn runs the command's script
        # again): 5-7 s on a busy 2-core machine, over uvicorn's default of 5, and uvicorn
        # then kills and respawns each worker for ever.
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
    }
    # uvicorn.run's own steps for workers, with the supervisor kept: it knows whether a worker
    # failed to start (uvicorn.run would return as after a signal, and `serve` exit 0).
    config = uvicorn.Config(f"{__name__}:app", factory=True, workers=workers, **by_name)
    background = BackgroundThread(work) if work is not None else contextlib.nullcontext()
    # The workers are spawned (a new interpreter each): they read the metrics directory from
    # the environment before they import prometheus_client.
    with background, workers_directory():
        supervisor = Multiprocess(config, sockets=[config.bind_socket()])
        supervisor.run()
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        raise click.ClickException("A worker failed to start (see the log above).")


def warn_about_limits(settings: Settings, url: str, queue_url: str | None, workers: int) -> None:
    per_worker = settings.db_pool_size + settings.db_max_overflow + OWN_CONNECTIONS
    limit = with_db(url, connection_limit)
    if workers * per_worker > limit:
        click.echo(
            f"  Warning: {workers} workers may open {workers * per_worker} connections "
            f"({per_worker} each, pool + overflow + 2) and PostgreSQL allows {limit}: lower "
            "BOOKWELL_DB_POOL_SIZE / BOOKWELL_DB_MAX_OVERFLOW, or put PgBouncer in front.\n"
        )
    if settings.rate_limits and queue_url is None:
        click.echo(
            f"  Warning: rate limits are counted per worker without REDIS_URL: each of the "
            f"{workers} allows the full limit.\n"
        )


async def connection_limit(db: Database) -> int:
    """The connections PostgreSQL (or a pooler in front) lets ordinary roles open."""
    async with db.read_connection() as connection:
        found = await connection.exec_driver_sql(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
        )
        return int(found.scalar_one())


class BackgroundThread:
    """Background work in a thread of the parent, on an event loop of its own: started
    before the workers, stopped after they have."""

    def __init__(self, work: Background):
        self.work = work
        self._thread = threading.Thread(target=self._run, name="background", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def __enter__(self) -> "BackgroundThread":
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            await self.work.start()
        except BaseException as error:  # raised again in the main thread
            self._error = error
        self._started.set()
        try:
            if self._error is None:
                await self._stop.wait()
        finally:
            await self.work.stop()  # undoes what started, even after a failed start
