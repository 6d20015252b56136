"""Short-lived Redis connections for probes and scrapes: a PING, and the queue sizes
`bookwell outbox status` shows (the same keys Dramatiq's Redis broker uses)."""

from collections.abc import Sequence

from redis.asyncio import Redis

TIMEOUT_SECONDS = 2.0


def _client(url: str) -> Redis:
    return Redis.from_url(
        url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )


async def ping(url: str) -> None:
    client = _client(url)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def queue_sizes(
    url: str, namespace: str, queues: Sequence[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """(waiting or delayed per queue, dead letters per queue) of `queues`, the broker's
    (workers/broker.py: QUEUES, passed in by the app)."""
    client = _client(url)
    try:
        async with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.llen(f"{namespace}:{queue}")
                pipe.llen(f"{namespace}:{queue}.DQ")
                pipe.zcard(f"{namespace}:{queue}.XQ")
            answers = await pipe.execute()
    finally:
        await client.aclose()
    depths, dead = {}, {}
    for index, queue in enumerate(queues):
        waiting, delayed, dead_count = answers[3 * index : 3 * index + 3]
        depths[queue] = int(waiting) + int(delayed)
        dead[queue] = int(dead_count)
    return depths, dead
