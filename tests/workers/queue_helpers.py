"""What the queue tests share: settings pointing at a real Redis and SMTP server, a booking
made through the services, and polling the database."""

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import SecretStr
from sqlalchemy import text

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.services.accounts.principal import Principal
from tests.factories import MANY_HOLDS, book, in_days, make_listing


def queue_settings(settings: Settings, *, redis_url: str, namespace: str, smtp_url: str, **more):
    return settings.model_copy(
        update={
            "redis_url": redis_url,
            "queue_namespace": namespace,
            "smtp_url": SecretStr(smtp_url),
            "relay_poll_seconds": 0.2,
            "queue_min_backoff_ms": 100,
            "queue_max_backoff_ms": 1000,
            "worker_threads": 2,
            **more,
        }
    )


async def forty_emails_queued(db: Database, host: Principal, guest: Principal) -> None:
    """Twenty one-night bookings on one listing: 40 emails (an owner's and a guest's each)."""
    listing_id = await make_listing(db, host, units=30, **MANY_HOLDS)
    for day in range(20):
        await book(db, guest, listing_id, in_days(10 + day), nights=1, as_the_api_does=True)


def deliveries(messages) -> Counter:
    """Each (Message-ID, recipient) the SMTP sink received, and how often."""
    return Counter((m["Message-ID"], str(m["To"])) for m in messages)


async def scalar(db: Database, sql: str, **params: Any) -> Any:
    async with db.read() as session:
        return (await session.execute(text(sql), params)).scalar()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def forget_queue(client, namespace: str) -> None:
    """Remove a test's keys from a shared Redis."""
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)


def addressed_to(messages, email: str) -> list:
    return [m for m in messages if email.lower() in str(m["To"]).lower()]


def start_worker(
    config: Settings, database_url: str, *, output: int = subprocess.DEVNULL, **env: str
) -> subprocess.Popen:
    """A real `bookwell worker` process on `config`'s queue, with extra environment `env`.
    Its stdout and stderr go to `output` (PIPE: read it all, or the worker may block)."""
    environment = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": config.redis_url,
        "SMTP_URL": config.smtp_url.get_secret_value(),
        "BOOKWELL_QUEUE_NAMESPACE": config.queue_namespace,
        "BOOKWELL_WORKER_THREADS": "4",
        "BOOKWELL_RELAY_POLL_SECONDS": "0.2",
        **env,
    }
    command = [os.path.join(os.path.dirname(sys.executable), "bookwell"), "worker"]
    return subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)
