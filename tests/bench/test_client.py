"""bench/client.py: a keep-alive connection left idle past the servers' timeout is reopened."""

import asyncio

from bench import client
from bench.client import HttpConnection


async def _serve_one_request_per_connection(reader, writer):
    """Like a server whose keep-alive timeout passed: answers once, then closes."""
    await reader.readuntil(b"\r\n\r\n")
    await reader.readexactly(2)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    await writer.drain()
    writer.close()


async def test_idle_connection_is_reopened(monkeypatch):
    server = await asyncio.start_server(_serve_one_request_per_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    conn = HttpConnection(port)
    try:
        assert await conn.post("/", b"{}") == (200, b"ok")
        await asyncio.sleep(0.05)  # the server has closed its side by now
        monkeypatch.setattr(client, "IDLE_REOPEN", 0.01)
        assert await conn.post("/", b"{}") == (200, b"ok")
    finally:
        await conn.close()
        server.close()
        await server.wait_closed()
