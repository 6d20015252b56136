"""The scheduler: one leader at a time, every job once per due thing however many run."""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import make_url

from bookwell.cli import main
from bookwell.core.config import Settings
from bookwell.core.db import Database, connect
from bookwell.services.booking import holds
from bookwell.services.listings.stays import Stay, today_in
from bookwell.services.payments import BuiltinProvider
from bookwell.services.payments.service import pay_reservation
from bookwell.workers.leader import SCHEDULER_LOCK, Leader
from bookwell.workers.scheduler import run_scheduler, tick
from tests.factories import make_listing
from tests.support.database import admin_execute, inventory_faults, with_database
from tests.support.lifecycle_steps import sql
from tests.support.stay_clock import AUCKLAND, local_now, stay_listing, stay_on

DEADLINE_SECONDS = 30.0


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll `condition` until it holds, or fail after a generous deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def lock_holders(db: Database) -> list[int]:
    """Backends holding the scheduler lock in this test's database."""
    rows = await sql(
        db,
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = :space AND objid = :key AND objsubid = 2"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        space=SCHEDULER_LOCK[0],
        key=SCHEDULER_LOCK[1],
    )
    return [row.pid for row in rows]


async def place_holds(db: Database, guest, listing_ids: list[uuid.UUID], each: int) -> list:
    start = today_in("UTC") + timedelta(days=20)
    placed = []
    for listing_id in listing_ids:
        for _ in range(each):
            async with db.transaction() as session:
                row = await holds.place_hold(
                    session=session,
                    listing_id=listing_id,
                    guest_id=guest.user_id,
                    booked=Stay(start, start + timedelta(days=2)),
                    quantity=1,
                )
            placed.append(row.id)
    return placed


async def backdate_holds(db: Database) -> None:
    await sql(
        db,
        "UPDATE reservations SET expires_at = now() - interval '1 second' WHERE status = 'PENDING'",
    )


async def expiry_events(db: Database) -> dict[uuid.UUID, int]:
    rows = await sql(
        db,
        "SELECT reservation_id, count(*) AS n FROM outbox"
        " WHERE event = 'reservation.expired' GROUP BY reservation_id",
    )
    return {row.reservation_id: row.n for row in rows}


async def statuses(db: Database, ids: list[uuid.UUID]) -> set[str]:
    rows = await sql(db, "SELECT DISTINCT status FROM reservations WHERE id = ANY(:ids)", ids=ids)
    return {row.status for row in rows}


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(update={"scheduler_tick_seconds": 0.05})


async def test_two_schedulers_expire_each_hold_once(db, database_url, host, guest, fast):
    listing_ids = [await make_listing(db, host, units=10) for _ in range(4)]
    hold_ids = await place_holds(db, guest, listing_ids, each=10)
    stop = asyncio.Event()
    databases = [connect(database_url, pool_size=3, max_overflow=2) for _ in range(2)]
    schedulers = [
        asyncio.create_task(run_scheduler(each, fast, BuiltinProvider(), stop=stop))
        for each in databases
    ]
    seen_leaders: list[list[int]] = []

    async def one_leader() -> bool:
        seen_leaders.append(await lock_holders(db))
        return len(seen_leaders[-1]) == 1

    async def all_expired() -> bool:
        seen_leaders.append(await lock_holders(db))
        return await statuses(db, hold_ids) == {"EXPIRED"}

    try:
        await until(one_leader, "a leader")
        await backdate_holds(db)
        await until(all_expired, "every hold to expire")
        assert not any(task.done() for task in schedulers)  # both still running
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*schedulers), DEADLINE_SECONDS)
        for each in databases:
            await each.dispose()

    assert await expiry_events(db) == dict.fromkeys(hold_ids, 1)
    assert all(len(holders) <= 1 for holders in seen_leaders)
    assert len({pid for holders in seen_leaders for pid in holders}) == 1  # no takeover
    assert await lock_holders(db) == []  # released on stop
    assert await inventory_faults(db) == []


async def test_racing_ticks_expire_each_hold_once(db, database_url, host, guest, settings):
    listing_ids = [await make_listing(db, host, units=10) for _ in range(3)]
    hold_ids = await place_holds(db, guest, listing_ids, each=10)
    await backdate_holds(db)
    databases = [connect(database_url, pool_size=3, max_overflow=2) for _ in range(3)]
    try:
        reports = await asyncio.gather(
            *(tick(each, settings, BuiltinProvider()) for each in databases)
        )
    finally:
        for each in databases:
            await each.dispose()

    assert sum(report.expired for report in reports) == len(hold_ids)
    assert all(report.failed == () for report in reports)
    assert await expiry_events(db) == dict.fromkeys(hold_ids, 1)


async def test_one_leader_at_a_time_and_a_takeover_when_the_leader_dies(db, database_url):
    databases = [connect(database_url, pool_size=2, max_overflow=2) for _ in range(2)]
    first, second = (Leader(each.engine) for each in databases)
    try:
        assert await first.ensure()
        assert not await second.ensure()
        assert await first.ensure()  # still leading
        [first_pid] = await lock_holders(db)

        await first.release()
        assert not first.leading
        assert await second.ensure()
        assert not await first.ensure()
        [second_pid] = await lock_holders(db)
        assert second_pid != first_pid

        # The leader's connection dies: PostgreSQL drops the lock, another takes over ...
        await sql(db, "SELECT pg_terminate_backend(:pid)", pid=second_pid)
        await until(first.ensure, "the first to take over")
        # ... and the old leader notices on its next check and steps down.
        assert not await second.ensure()
        assert not second.leading
        assert len(await lock_holders(db)) == 1
    finally:
        await first.release()
        await second.release()
        for each in databases:
            await each.dispose()
    assert await lock_holders(db) == []


async def test_a_scheduler_takes_over_when_the_leaders_connection_dies(
    db, database_url, host, guest, fast
):
    listing_id = await make_listing(db, host, units=10)
    hold_ids = await place_holds(db, guest, [listing_id], each=5)
    stop = asyncio.Event()
    databases = [connect(database_url, pool_size=3, max_overflow=2) for _ in range(2)]
    schedulers = [
        asyncio.create_task(run_scheduler(each, fast, BuiltinProvider(), stop=stop))
        for each in databases
    ]

    async def leader_pid() -> int | None:
        holders = await lock_holders(db)
        return holders[0] if holders else None

    try:
        await until(lambda: _has_leader(db), "a leader")
        old = await leader_pid()
        await sql(db, "SELECT pg_terminate_backend(:pid)", pid=old)

        async def new_leader() -> bool:
            pid = await leader_pid()
            return pid is not None and pid != old

        await until(new_leader, "a new leader")
        await backdate_holds(db)
        await until(lambda: _expired(db, hold_ids), "every hold to expire")
        assert not any(task.done() for task in schedulers)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*schedulers), DEADLINE_SECONDS)
        for each in databases:
            await each.dispose()
    assert await expiry_events(db) == dict.fromkeys(hold_ids, 1)


async def _expired(db: Database, ids: list[uuid.UUID]) -> bool:
    return await statuses(db, ids) == {"EXPIRED"}


async def test_stop_and_cancel_give_up_leadership(db, settings):
    slow = settings.model_copy(update={"scheduler_tick_seconds": 3600})
    for ending in ("stop", "cancel"):
        stop = asyncio.Event()
        task = asyncio.create_task(run_scheduler(db, slow, BuiltinProvider(), stop=stop))
        await until(lambda: _has_leader(db), "a leader")
        if ending == "stop":
            stop.set()
            await asyncio.wait_for(task, DEADLINE_SECONDS)
        else:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert await lock_holders(db) == [], ending


async def _has_leader(db: Database) -> bool:
    return bool(await lock_holders(db))


class RefundsFail(BuiltinProvider):
    async def refund(self, **kwargs):
        raise RuntimeError("the provider is down")


async def test_a_failing_job_is_logged_and_the_others_still_run(db, host, guest, settings, caplog):
    listing_id = await make_listing(db, host)
    await sql(db, "UPDATE listings SET instant_book = false")
    [paid] = await place_holds(db, guest, [listing_id], each=1)
    async with db.transaction() as session:
        await pay_reservation(
            session=session,
            principal=guest,
            reservation_id=paid,
            idempotency_key="pay",
            provider=BuiltinProvider(),
        )
    await backdate_holds(db)  # expired awaiting the host: to be refunded
    arrival = local_now(AUCKLAND) - timedelta(hours=2)
    stays = await stay_listing(db, host, AUCKLAND, check_in=arrival.time())
    arrived = await stay_on(
        db, guest, stays, arrival.date(), arrival.date() + timedelta(days=1), "CONFIRMED"
    )

    with caplog.at_level(logging.ERROR, logger="bookwell.workers.scheduler"):
        report = await tick(db, settings, RefundsFail())

    assert report.failed == ("sweep_holds",)
    assert "scheduled job sweep_holds failed" in caplog.text
    assert report.checked_in == 1
    assert await statuses(db, [paid]) == {"EXPIRED"}
    assert await statuses(db, [arrived]) == {"ACTIVE"}
    again = await tick(db, settings, BuiltinProvider())  # the next tick catches up
    assert (again.refunded, again.failed) == (1, ())


@pytest.fixture
def cli_database(server_url: str, template_url: str):
    name = f"bookwell_scheduler_cli_{uuid.uuid4().hex[:12]}"
    template = make_url(template_url).database
    asyncio.run(admin_execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield with_database(server_url, name)
    asyncio.run(admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_cli_scheduler_once(cli_database, tmp_path):
    env = {"DATABASE_URL": cli_database, "BOOKWELL_DATA_DIR": str(tmp_path)}
    result = CliRunner(env=env).invoke(main, ["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "Expired 0 hold(s)" in result.output
    assert "purged 0 idempotency key(s)" in result.output
    assert "--once" in CliRunner().invoke(main, ["scheduler", "--help"]).output
