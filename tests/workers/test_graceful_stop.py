"""`bookwell worker` stopped with SIGTERM mid-batch: running messages finish, the rest go
back to the queue at once, and the next worker sends every email exactly once."""

import asyncio
import signal
import subprocess
import tempfile

import pytest
import redis

from tests.workers.queue_helpers import (
    deliveries,
    forget_queue,
    forty_emails_queued,
    queue_settings,
    scalar,
    start_worker,
)

pytestmark = pytest.mark.slow

STOP_WAIT = 90


async def test_a_worker_stopped_by_sigterm_hands_back_its_messages(
    db, host, guest, settings, database_url, redis_server_url, queue_namespace, smtp_sink
):
    config = queue_settings(
        settings, redis_url=redis_server_url, namespace=queue_namespace, smtp_url=smtp_sink.url
    )
    await forty_emails_queued(db, host, guest)
    smtp_sink.slow_down(0.2)
    # Dramatiq's defaults for finding dead workers (a minute's silence, then a rare check):
    # the second worker can only see the first one's messages in time if they were handed
    # back when it stopped.
    with tempfile.TemporaryFile() as second_output:
        first = start_worker(config, database_url, output=subprocess.PIPE)
        second = None
        try:
            await smtp_sink.wait_for(lambda got: len(got) >= 4, within=60)
            first.send_signal(signal.SIGTERM)
            # Within the worker's own stop deadline (75 s), after which it prints its threads'
            # stacks and exits 1: a failure here then says where it was stuck.
            output, _ = first.communicate(timeout=STOP_WAIT)
            assert first.returncode == 0, output.decode()
            assert b"Stopping: letting running messages finish" in output
            done = await scalar(db, "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL")
            assert done < 20, "the worker finished before it could be stopped"
            # Whatever it had started, it finished: every email of a delivered event was sent.
            assert len(smtp_sink.messages) == 2 * done

            second = start_worker(config, database_url, output=second_output)
            await smtp_sink.wait_for(lambda got: len(deliveries(got)) == 40, within=45)
            second.send_signal(signal.SIGTERM)
            returncode = second.wait(STOP_WAIT)
            second_output.seek(0)
            assert returncode == 0, second_output.read().decode()
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.kill()
            forget_queue(redis.Redis.from_url(redis_server_url), queue_namespace)
    counted = deliveries(smtp_sink.messages)
    assert len(counted) == 40 and set(counted.values()) == {1}  # each exactly once
    assert await scalar(db, "SELECT count(*) FROM notification_log") == 40
    assert await scalar(db, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL") == 0


async def test_sigusr1_prints_where_every_thread_is_and_the_worker_goes_on(
    settings, database_url, redis_server_url, queue_namespace, smtp_sink
):
    config = queue_settings(
        settings, redis_url=redis_server_url, namespace=queue_namespace, smtp_url=smtp_sink.url
    )
    with tempfile.TemporaryFile() as output:
        worker = start_worker(config, database_url, output=output)
        try:
            await _printed(output, b"Worker running")
            worker.send_signal(signal.SIGUSR1)
            # Every thread's header ends so; "Current thread" only marks the one the signal
            # landed on, which may hold no Python state (CI once printed none).
            await _printed(output, b"(most recent call first)")
            await asyncio.sleep(0.5)  # the handler writes thread after thread
            output.seek(0)
            stacks = output.read()
            assert b'File "' in stacks
            assert stacks.count(b"hread 0x") >= 2  # "Thread 0x..." and "Current thread 0x..."
            assert worker.poll() is None
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(STOP_WAIT) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
            forget_queue(redis.Redis.from_url(redis_server_url), queue_namespace)


async def _printed(output, text: bytes, within: float = 30) -> bytes:
    for _ in range(int(within * 10)):
        output.seek(0)
        printed = output.read()
        if text in printed:
            return printed
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} not printed within {within} s: {printed.decode()}")
