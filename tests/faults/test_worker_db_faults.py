"""Fault suite, issue 16: a frozen PostgreSQL (SIGSTOP) fails the worker's database work by
its own timeouts (BOOKWELL_WORKER_DB_*), never hangs it, and the same engine works again
once PostgreSQL continues. Before, the worker's engine had the drivers' defaults: no
command timeout, so a relay pass waited on a frozen server for as long as it stayed frozen."""

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from bookwell.core.config import Settings
from bookwell.workers.relay import relay_batch
from bookwell.workers.runtime import WorkerRuntime
from tests.faults.processes import BOOKWELL, PrivatePostgres

FROZEN_SECONDS = 12.0
FAIL_BOUND_SECONDS = 8.0  # a 2 s command timeout (and a 2 s connect timeout), with margin


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKWELL_")}
        subprocess.run(
            [BOOKWELL, "migrate"],
            env=env | {"DATABASE_URL": server.url},
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield server
    finally:
        server.cleanup()


async def test_a_frozen_postgres_fails_the_relay_by_timeout_and_it_recovers(postgres, tmp_path):
    settings = Settings(
        database_url=postgres.url,
        data_dir=tmp_path,
        worker_db_command_timeout_seconds=2,
        worker_db_connect_timeout_seconds=2,
        worker_db_pool_timeout_seconds=2,
    )
    runtime = WorkerRuntime(settings, postgres.url)
    try:
        assert await relay_batch(runtime.db, lambda rows: None) == 0
        with postgres.frozen():
            began = time.monotonic()
            failure: BaseException | None = None
            try:
                # The test's own bound is far past the timeouts: reaching it is the hang.
                async with asyncio.timeout(FROZEN_SECONDS):
                    await relay_batch(runtime.db, lambda rows: None)
            except BaseException as error:
                failure = error
            failed_after = time.monotonic() - began
        assert failure is not None, "the relay pass succeeded against a frozen database"
        assert failed_after < FAIL_BOUND_SECONDS, (failed_after, repr(failure))
        # Continued: the same engine serves again (its broken connection replaced).
        deadline = time.monotonic() + 20
        while True:
            try:
                assert await relay_batch(runtime.db, lambda rows: None) == 0
                break
            except Exception:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.5)
        print(f"frozen: the relay pass failed after {failed_after:.2f} s: {failure!r}"[:300])
    finally:
        await runtime.close()
