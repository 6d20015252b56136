"""A decompression bomb at a calendar URL: a few hundred kilobytes that gzip or deflate
(or a stack of encodings) inflate to hundreds of megabytes. The 2 MB limit must hold for
the decompressed bytes as they are inflated, whether the body declares a Content-Length or
comes chunked, so the fetch never holds much more than the limit in memory; encodings the
fetch does not inflate itself (br, zstd...) are refused, never passed through."""

import gzip
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bookwell.core.errors import DomainError
from bookwell.services.calendar.fetch import MAX_BYTES, fetch_calendar
from tests.calendar.calendars import ics

INFLATED = 200 * 1024 * 1024
CALENDAR = ics("airbnb").encode()


def _compressed(compressor) -> bytes:
    block = b"BEGIN:VCALENDAR\r\n" + b" " * (1024 * 1024 - 17)
    parts = [compressor.compress(block) for _ in range(INFLATED // len(block))]
    return b"".join(parts) + compressor.flush()


def _bombs() -> dict[str, tuple[str, bytes]]:
    gzipped = _compressed(zlib.compressobj(9, zlib.DEFLATED, 31))
    return {
        "gzip": ("gzip", gzipped),
        "x-gzip": ("x-gzip", gzipped),
        "deflate": ("deflate", _compressed(zlib.compressobj(9, zlib.DEFLATED, 15))),
        "raw-deflate": ("deflate", _compressed(zlib.compressobj(9, zlib.DEFLATED, -15))),
        "gzip-twice": ("gzip, gzip", gzip.compress(gzipped)),
        "gzip-members": ("gzip", gzip.compress(b"BEGIN:VCALENDAR\r\n") + gzipped),
        "br": ("br", b"\x1b\xff\xff" + b"\x00" * 1000),
        "zstd": ("zstd", b"\x28\xb5\x2f\xfd" + b"\x00" * 1000),
        "fine-gzip": ("gzip", gzip.compress(CALENDAR)),
        "fine-deflate": ("deflate", zlib.compress(CALENDAR)),
    }


class _BombServer(BaseHTTPRequestHandler):
    bombs: dict[str, tuple[str, bytes]] = {}

    def do_GET(self) -> None:
        name, _, framing = self.path.strip("/").partition("/")
        encoding, body = self.bombs[name]
        self.protocol_version = "HTTP/1.1"
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Encoding", encoding)
        if framing == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            if framing == "chunked":
                for start in range(0, len(body), 16 * 1024):
                    piece = body[start : start + 16 * 1024]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what it should do

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def bomb_server() -> Iterator[str]:
    _BombServer.bombs = _bombs()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BombServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("framing", ["length", "chunked"])
@pytest.mark.parametrize(
    "bomb", ["gzip", "x-gzip", "deflate", "raw-deflate", "gzip-twice", "gzip-members"]
)
async def test_a_compressed_calendar_is_limited_as_it_inflates(bomb_server, bomb, framing):
    tracemalloc.start()
    try:
        with pytest.raises(DomainError) as refused:
            await fetch_calendar(f"{bomb_server}/{bomb}/{framing}", private_addresses=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.field == ("url",)
    assert "larger than 2 MB" in refused.value.message or "encoding" in refused.value.message
    assert peak < 6 * MAX_BYTES, f"{peak / 2**20:.0f} MiB held while reading"


@pytest.mark.parametrize("bomb", ["br", "zstd"])
async def test_an_encoding_not_inflated_here_is_refused(bomb_server, bomb):
    with pytest.raises(DomainError) as refused:
        await fetch_calendar(f"{bomb_server}/{bomb}/length", private_addresses=True)
    assert refused.value.field == ("url",)
    assert "encoding" in refused.value.message


@pytest.mark.parametrize("framing", ["length", "chunked"])
@pytest.mark.parametrize("name", ["fine-gzip", "fine-deflate"])
async def test_a_compressed_calendar_within_the_limit_is_read(bomb_server, name, framing):
    text = await fetch_calendar(f"{bomb_server}/{name}/{framing}", private_addresses=True)
    assert text.encode() == CALENDAR
