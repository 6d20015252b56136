"""`bookwell serve --workers 2`: two API processes answer, the background work runs once (in
the parent), and SIGTERM stops everything cleanly."""

import asyncio
import re
import signal
import socket

import asyncpg
import psutil
import pytest
from sqlalchemy import make_url

from bookwell.cli.serve_workers import worker_environment
from bookwell.core.config import Settings
from tests.cli.serving import Serve, serve_env
from tests.support.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.direct_postgres]

TWICE_STARTED = r"(Started server process \[\d+\][\s\S]*){2}"
TWICE_COMPLETE = r"(Application startup complete[\s\S]*){2}"


def _sessions(database_url: str) -> dict[str, int]:
    """This database's sessions by application_name."""

    async def count() -> dict[str, int]:
        url = make_url(database_url)
        db = await asyncpg.connect(url.set(drivername="postgresql", database="postgres")
                                   .render_as_string(hide_password=False))  # fmt: skip
        try:
            rows = await db.fetch(
                "SELECT application_name, count(*) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid() GROUP BY 1",
                url.database,
            )
            return {row[0]: row[1] for row in rows}
        finally:
            await db.close()

    return asyncio.run(count())


def _worker_answering(port: int, workers: list[int]) -> int:
    """Sends GET /health on a new connection; the worker whose socket took it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")
        mine = connection.getsockname()[1]
        for pid in workers:
            for held in psutil.Process(pid).net_connections(kind="tcp"):
                if held.laddr.port == port and held.raddr and held.raddr.port == mine:
                    return pid
    raise AssertionError(f"no worker holds the connection from port {mine}")


def test_two_workers_answer_the_background_runs_once_and_sigterm_stops_all(tmp_path, database_url):
    port = free_port()
    env = serve_env(
        DATABASE_URL=database_url,
        BOOKWELL_DATA_DIR=str(tmp_path / "data"),
        BOOKWELL_SEED_DEMO_DATA="false",
    )
    env = {k: v for k, v in env.items() if k not in ("REDIS_URL", "SMTP_URL")}
    serve = Serve(["--port", str(port), "--workers", "2", "--background"], env)
    serve.wait_for("Uvicorn running on http://127.0.0.1:" + str(port), timeout=180)
    # the two workers' lines interleave in any order: two of each
    serve.wait_for(TWICE_STARTED, timeout=240)
    serve.wait_for(TWICE_COMPLETE, timeout=240)
    workers = [int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", serve.output)]
    assert len(set(workers)) == 2
    assert all(psutil.Process(pid).ppid() == serve.process.pid for pid in workers)

    answered = {_worker_answering(port, workers) for _ in range(200)}
    assert answered == set(workers)

    sessions = _sessions(database_url)
    assert sessions.get("bookwell-listen") == 2  # each worker's LISTEN (caches, subscriptions)
    assert sessions.get("bookwell-relay") == 1  # the relay runs once, in the parent
    assert serve.output.count("now leads the scheduler") == 1

    serve.process.send_signal(signal.SIGTERM)
    assert serve.finish(timeout=120) == 0, serve.output
    assert "Stopped." in serve.output
    assert not any(psutil.pid_exists(pid) for pid in workers)
    assert not [name for name in _sessions(database_url) if name.startswith("bookwell")]


def test_workers_read_the_embedded_servers_from_the_environment():
    embedded = Settings().model_copy(update={"database_url": None, "redis_url": None})
    assert worker_environment(embedded, "postgresql://db", "redis://q") == {
        "DATABASE_URL": "postgresql://db",
        "REDIS_URL": "redis://q",
    }
    configured = embedded.model_copy(
        update={"database_url": "postgresql://db", "redis_url": "redis://q"}
    )
    assert worker_environment(configured, "postgresql://db", "redis://q") == {}
    assert worker_environment(embedded, "postgresql://db", None) == {
        "DATABASE_URL": "postgresql://db"
    }
