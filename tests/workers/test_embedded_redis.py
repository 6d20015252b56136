"""The embedded Redis stops with the process that started it, not with a visitor."""

import redis

from bookwell.workers.embedded_redis import EmbeddedRedis


def test_a_visitor_leaves_the_server_running_and_the_process_that_started_it_stops_it(
    tmp_path,
):
    owner = EmbeddedRedis(tmp_path)
    url = owner.start()
    client = redis.Redis.from_url(url)
    client.set("kept", "1")

    visitor = EmbeddedRedis(tmp_path)  # `bookwell outbox status` beside `bookwell serve`
    assert visitor.start() == url
    visitor.stop()
    assert client.get("kept") == b"1"

    owner.stop()  # even with a client still connected
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        return
    raise AssertionError("the embedded Redis is still running")
