"""A cheap Python load client: raw HTTP/1.1 keep-alive over asyncio streams (uvloop when
installed), one connection per client, every response timed and classified.

httpx would do, but it costs several times more CPU per request, and the client shares the
machine's two cores with the server and PostgreSQL.
"""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.report import Measurement

HOST = "127.0.0.1"  # the bench only ever talks to this machine
MAX_REQUESTS_PER_RUN = 1_000_000
REQUEST_TIMEOUT = 30  # seconds; a slower answer counts as an exception
# uvicorn and Node close a keep-alive connection idle for 5 s: one idle for longer than this
# (a contender between slow rounds) is reopened rather than found closed mid-request.
IDLE_REOPEN = 4.0

# Outcome kinds, as reported: `ok` and UNAVAILABLE are answers; the rest are failures.
OK, UNAVAILABLE, TYPED, GRAPHQL, HTTP, EXCEPTION = (
    "ok", "UNAVAILABLE", "other typed error", "GraphQL error", "HTTP non-200", "exception",
)  # fmt: skip
KINDS = (OK, UNAVAILABLE, TYPED, GRAPHQL, HTTP, EXCEPTION)


class HttpConnection:
    def __init__(self, port: int, headers: dict[str, str] | None = None):
        self.port = port
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._head = f"Host: {HOST}\r\nContent-Type: application/json\r\n{extra}".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = 0.0  # time.monotonic() of the last answer

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self._writer is not None and time.monotonic() - self._used > IDLE_REOPEN:
            await self.close()
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self.port)
        assert self._reader is not None
        self._writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self._head, len(body), body)
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = dict(line.lower().split(b": ", 1) for line in lines[1:] if b": " in line)
        if headers.get(b"transfer-encoding") == b"chunked":
            payload = await self._chunked()
        else:
            payload = await self._reader.readexactly(int(headers.get(b"content-length", 0)))
        self._used = time.monotonic()
        if headers.get(b"connection") == b"close":
            await self.close()
        return status, payload

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        while size := int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self._reader.readexactly(size + 2))
        await self._reader.readuntil(b"\r\n")
        return b"".join(part[:-2] for part in parts)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None


@dataclass
class Result:
    """Latencies in seconds; outcomes by kind, with the first example of each failure."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, latency: float, kind: str, example: str = "") -> None:
        self.latencies.append(latency)
        self.outcomes[kind] += 1
        if kind not in (OK, UNAVAILABLE) and kind not in self.examples:
            self.examples[kind] = example[:300]

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Nearest rank, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.5) - 1))] * 1000


Classify = Callable[[int, bytes], tuple[str, str]]


def classify_graphql(
    status: int,
    body: bytes,
    mutation: str | None = None,
    refusals: frozenset[str] = frozenset({"UNAVAILABLE"}),
) -> tuple[str, str]:
    """(kind, example) for one GraphQL answer; `mutation` names the payload to look into for
    typed errors (errors { code message }), of which `refusals` are answers (UNAVAILABLE)."""
    text = body.decode(errors="replace")
    if status != 200:
        return HTTP, f"HTTP {status}: {text}"
    try:
        doc = json.loads(body)
    except ValueError:
        return HTTP, f"not JSON: {text}"
    if doc.get("errors"):
        return GRAPHQL, text
    if mutation is not None:
        errors = (doc.get("data") or {}).get(mutation, {}).get("errors") or []
        if errors:
            code = errors[0].get("code")
            return (UNAVAILABLE, "") if code in refusals else (TYPED, text)
    return OK, ""


def classify_json(status: int, body: bytes) -> tuple[str, str]:
    """The bare handler: any 200 with a JSON body is an answer."""
    if status != 200:
        return HTTP, f"HTTP {status}: {body[:200]!r}"
    return OK, ""


async def timed(conn: HttpConnection, path: str, body: bytes, classify: Classify):
    """(latency, kind, example) of one request; an exception is an outcome, not a crash."""
    started = time.perf_counter()
    try:
        status, payload = await asyncio.wait_for(conn.post(path, body), REQUEST_TIMEOUT)
        kind, example = classify(status, payload)
    except Exception as error:  # a failure to count, whatever it is
        await conn.close()
        kind, example = EXCEPTION, f"{type(error).__name__}: {error}"
    return time.perf_counter() - started, kind, example


async def closed_loop(
    *,
    port: int,
    path: str,
    bodies: list[bytes],
    classify: Classify,
    clients: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    tokens: list[str] | None = None,
    max_requests: int = MAX_REQUESTS_PER_RUN,
) -> Result:
    """`clients` connections, each sending its next request as soon as the last is answered,
    until `seconds` have passed or `max_requests` were sent. Bodies are taken in turn; with
    `tokens`, connection n signs in with tokens[n]."""
    result = Result()
    sent = 0
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal sent
        signed = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"} if tokens else {}
        conn = HttpConnection(port, {**(headers or {}), **signed})
        try:
            while time.perf_counter() < deadline and sent < max_requests:
                body = bodies[sent % len(bodies)]
                sent += 1
                result.add(*await timed(conn, path, body, classify))
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    result.seconds = time.perf_counter() - started
    return result


def measurement(result: Result) -> Measurement:
    return Measurement(
        requests=result.requests,
        seconds=result.seconds,
        p50_ms=result.percentile(0.50),
        p99_ms=result.percentile(0.99),
        outcomes=+result.outcomes,
        examples=dict(result.examples),
    )
