"""`bookwell worker` stopped with SIGTERM mid-batch: running messages finish, the rest go
back to the queue at once, and the next worker sends every email exactly once."""

import signal
import subprocess

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
    first = start_worker(config, database_url, output=subprocess.PIPE)
    second = None
    try:
        await smtp_sink.wait_for(lambda got: len(got) >= 4, within=60)
        first.send_signal(signal.SIGTERM)
        output, _ = first.communicate(timeout=60)
        assert first.returncode == 0, output.decode()
        assert b"Stopping: letting running messages finish" in output
        done = await scalar(db, "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL")
        assert done < 20, "the worker finished before it could be stopped"
        # Whatever it had started, it finished: every email of a delivered event was sent.
        assert len(smtp_sink.messages) == 2 * done

        second = start_worker(config, database_url)
        await smtp_sink.wait_for(lambda got: len(deliveries(got)) == 40, within=45)
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0  # as for the first: a loaded CI machine is slow to stop
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
        forget_queue(redis.Redis.from_url(redis_server_url), queue_namespace)
    counted = deliveries(smtp_sink.messages)
    assert len(counted) == 40 and set(counted.values()) == {1}  # each exactly once
    assert await scalar(db, "SELECT count(*) FROM notification_log") == 40
    assert await scalar(db, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL") == 0
