"""What a worker process's actors share: settings, and a database and a mailer made on
first use inside the worker's event loop (an engine belongs to the loop it was made in)."""

from dramatiq import Middleware
from dramatiq.asyncio import get_event_loop_thread

from bookwell.core.config import Settings
from bookwell.core.db import Database, Timeouts, connect
from bookwell.mail import Mailer, build_mailer


class WorkerRuntime:
    def __init__(self, settings: Settings, database_url: str, *, mailer: Mailer | None = None):
        self.settings = settings
        self.database_url = database_url
        self._db: Database | None = None
        self._mailer = mailer

    @property
    def db(self) -> Database:
        if self._db is None:
            # Async actors share one event loop; each worker thread waits on one at a time.
            threads = self.settings.worker_threads
            self._db = connect(
                self.database_url,
                pool_size=threads,
                max_overflow=threads,
                statement_cache_size=self.settings.db_statement_cache_size,
                timeouts=Timeouts.of(self.settings, "worker"),
            )
        return self._db

    @property
    def mailer(self) -> Mailer:
        if self._mailer is None:
            self._mailer = build_mailer(self.settings)
        return self._mailer

    async def close(self) -> None:
        if self._db is not None:
            await self._db.dispose()
            self._db = None


class CloseRuntime(Middleware):
    """Closes the runtime's connections when the worker stops, while its event loop still
    runs (after-hooks run in reverse order, so this one goes before AsyncIO's)."""

    def __init__(self, runtime: WorkerRuntime):
        self.runtime = runtime

    def after_worker_shutdown(self, broker, worker) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(self.runtime.close())
