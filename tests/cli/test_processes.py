"""The guarantee across API processes: two real servers share one database."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import date, timedelta

import httpx
import pytest

from bookwell.models import Role
from tests.factories import create_reservation_mutation, make_listing, make_token, make_user
from tests.support.database import inventory_drift, over_allocated_nights

pytestmark = pytest.mark.slow

BOOK = create_reservation_mutation("id startDate endDate quantity status")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(database_url: str, data_dir, port: int) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "BOOKWELL_SECRET_KEY": "shared-secret-for-both-processes-0123456789",
        "BOOKWELL_DATA_DIR": str(data_dir),
        "BOOKWELL_DB_POOL_SIZE": "10",
        "BOOKWELL_DB_MAX_OVERFLOW": "10",
    }
    command = [sys.executable, "-m", "uvicorn", "bookwell.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(command, env=env)


async def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            assert process.poll() is None, "server process exited"
            try:
                if (await http.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(url)


@pytest.fixture
async def two_servers(database_url, tmp_path):
    ports = [_free_port(), _free_port()]
    processes = [_start_server(database_url, tmp_path, port) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, processes, strict=True):
            await _wait_until_up(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


async def test_two_processes_never_over_allocate(two_servers, db, host):
    listing_id = await make_listing(db, host, units=3)
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in range(100)]
    start = (date.today() + timedelta(days=12)).isoformat()
    booking = {
        "query": BOOK,
        "variables": {"input": {"listingId": str(listing_id), "startDate": start, "nights": 2}},
    }

    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    f"{two_servers[n % 2]}/graphql",
                    json=booking,
                    headers={"Authorization": f"Bearer {token}"},
                )
                for n, token in enumerate(tokens)
            )
        )

    assert [r.status_code for r in responses] == [200] * 100
    payloads = [r.json()["data"]["createReservation"] for r in responses]
    winners = [p for p in payloads if p["reservation"]]
    losers = [p for p in payloads if not p["reservation"]]
    assert len(winners) == 3
    assert {e["code"] for p in losers for e in p["errors"]} == {"UNAVAILABLE"}
    assert len(losers) == 97
    assert await over_allocated_nights(db) == []
    assert await inventory_drift(db) == []
