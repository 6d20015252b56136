"""`Listener.stop` returns even when the connection is lost at the very moment it is asked to
stop (CI stop 22: behind PgBouncer a failed UNLISTEN marked the connection lost as the relay
task ended; the worker's stop then cancelled the listener in the same few loop turns, Python
3.11's `asyncio.wait_for` swallowed that cancellation, and the listener kept reconnecting for
ever: `bookwell worker` never exited on SIGTERM)."""

import asyncio

import asyncpg

from bookwell.core.pg_listen import Listener


async def test_a_listener_stops_when_its_connection_is_lost_as_it_is_stopped(database_url):
    listener = Listener(database_url, min_backoff=0.01)
    await listener.start()
    await asyncio.sleep(0.05)  # the watcher waits for a lost connection

    async def relay_ends() -> None:  # its UNLISTEN failed: the connection is marked lost
        listener._connection_failed(asyncpg.InterfaceError("lost as the relay ended"))

    await asyncio.gather(asyncio.create_task(relay_ends()))
    await asyncio.wait_for(listener.stop(), 10)
    await asyncio.sleep(0.1)
    assert not listener.connected, "reconnected after it was stopped"


async def test_a_listener_stops_at_any_point_of_a_reconnection(database_url):
    for turns in range(8):
        listener = Listener(database_url, min_backoff=0.01)
        await listener.start()
        await asyncio.sleep(0.05)
        listener._connection_failed(asyncpg.InterfaceError("lost"))
        for _ in range(turns):
            await asyncio.sleep(0)
        await asyncio.wait_for(listener.stop(), 10)
        await asyncio.sleep(0.05)
        assert not listener.connected, f"reconnected after it was stopped ({turns} turns)"
