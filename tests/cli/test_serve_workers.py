"""`bookwell serve --workers 2`: two API processes answer, the background work runs once (in
the parent), and SIGTERM stops everything cleanly."""

import asyncio
import signal

import asyncpg
import psutil
import pytest
from sqlalchemy import make_url

from bookwell.cli.serve_workers import worker_environment
from bookwell.core.config import Settings
from tests.cli.serving import answered_by, serve_two_workers

pytestmark = [pytest.mark.slow, pytest.mark.direct_postgres]

HEALTH = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n"


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


def test_two_workers_answer_the_background_runs_once_and_sigterm_stops_all(tmp_path, database_url):
    serve, port, workers = serve_two_workers(tmp_path, database_url, "--background")

    answers = [answered_by(port, workers, HEALTH) for _ in range(200)]
    assert all(answer.startswith(b"HTTP/1.1 200") for _, answer in answers)
    assert {pid for pid, _ in answers} == set(workers)

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
