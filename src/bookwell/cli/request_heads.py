"""uvicorn's HTTP protocol with a deadline and a size limit on request heads.

uvicorn bounds an idle keep-alive connection, but not a client that opens a connection and
sends nothing, or drips a request's head a byte at a time: each byte resets nothing and
ties a connection (and a file descriptor) up for as long as the client likes. Here a head
must arrive whole within `head_timeout` seconds of the connection opening or of its first
byte after a finished response; else the connection is closed, as nginx's
`client_header_timeout` does. A head over `max_head_bytes` (request line and headers; the
parser has no limit of its own) stops the parser: uvicorn answers 400 and closes, as nginx
does for a header over `large_client_header_buffers`. Bodies are bounded by the app
(http/body_limits.py)."""

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeadTooLarge(Exception):
    """Raised from a parser callback: httptools stops and uvicorn answers 400."""


class HeadDeadlineProtocol(HttpToolsProtocol):
    head_timeout: float = 10.0
    max_head_bytes: int = 64 * 1024

    _head_deadline: asyncio.TimerHandle | None = None
    _head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        if self._head_deadline is None:  # the next request on a kept-alive connection
            self._arm_head_deadline()

    def on_url(self, url: bytes) -> None:
        self._count_head_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head_bytes(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_head_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._head_deadline = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _count_head_bytes(self, count: int) -> None:
        self._head_bytes += count
        if self._head_bytes > self.max_head_bytes:
            self._disarm_head_deadline()
            raise HeadTooLarge(self._head_bytes)

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.logger.info("closed a connection: no request head within %ss", self.head_timeout)
            self.transport.close()


def head_deadline_protocol(seconds: float) -> type[HeadDeadlineProtocol]:
    """The protocol class for uvicorn's `http=` option, with its deadline."""
    return type("HeadDeadlineProtocol", (HeadDeadlineProtocol,), {"head_timeout": seconds})
