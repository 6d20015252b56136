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


def test_the_queue_survives_a_restart_of_the_embedded_server(tmp_path):
    first = EmbeddedRedis(tmp_path)
    client = redis.Redis.from_url(first.start())
    client.lpush("queued", "a message")
    first.stop()

    again = EmbeddedRedis(tmp_path)
    client = redis.Redis.from_url(again.start())
    try:
        assert client.lrange("queued", 0, -1) == [b"a message"]
    finally:
        again.stop()


def test_a_data_dir_too_deep_for_a_unix_socket_still_gets_one(tmp_path):
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 5)
    server = EmbeddedRedis(deep)
    url = server.start()
    try:
        assert redis.Redis.from_url(url).ping()
        assert EmbeddedRedis(deep).start() == url  # every process finds the same socket
    finally:
        server.stop()
