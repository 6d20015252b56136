"""Fetching a calendar from its URL: http(s) only (webcal:// is https), a time limit on the
whole fetch, a size limit, and errors a host can act on (field "url"), never the body of a
failed answer.

A host may not make the server fetch from its own network (cloud metadata, admin ports):
every connection, redirects included, goes to an address that was checked to be public, and
to that very address (`PinnedBackend`): the name is resolved once, so a DNS answer that
changes between the check and the connection (DNS rebinding) changes nothing. The Host
header and TLS's server name stay the URL's. Environment proxies are not used.
"""

import asyncio
import ipaddress
import socket
import zlib
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from bookwell.core.errors import DomainError, check_text, invalid
from bookwell.core.urls import split_url

TIMEOUT_SECONDS = 10.0
MAX_BYTES = 2 * 1024 * 1024
MAX_URL = 500
MAX_REDIRECTS = 5
USER_AGENT = "Bookwell calendar import"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


def check_url(url: str) -> str:
    """The URL to fetch (webcal:// becomes https://), or INVALID_INPUT."""
    url = check_text(url, "url").strip()
    if len(url) > MAX_URL:
        raise invalid("url", f"A calendar URL has at most {MAX_URL} characters.")
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    if any(character.isspace() or not character.isprintable() for character in url):
        raise invalid("url", "A calendar URL has no spaces, line breaks or control characters.")
    parts, _ = split_url(
        url, field="url", not_valid="The calendar URL is not a valid http(s) address."
    )
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise invalid("url", "The calendar URL must be an http:// or https:// address.")
    return url


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, each once, in the resolver's order."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(address[0]) for *_, address in found))


# NAT64 (RFC 6052): the well-known prefix embeds the IPv4 address in its last 32 bits; the
# local-use prefix (RFC 8215) is routed only inside its operator's network, in a layout of
# the operator's choosing, so nothing under it is public.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a connection to `ip` may end up at: NAT64, 6to4, Teredo (its
    server and client), IPv4-mapped and IPv4-compatible addresses embed one (two); :: and
    ::1 count as 0.0.0.0 and 0.0.0.1, neither public."""
    last32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        return [last32]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def is_public(ip: IPAddress) -> bool:
    """Globally reachable; an IPv6 address that carries an IPv4 address is judged by that
    address (a gateway delivers the connection there)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_global
    if ip in NAT64_LOCAL:
        return False
    embedded = embedded_ipv4(ip)
    if embedded:
        return all(address.is_global for address in embedded)
    return ip.is_global


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting to the addresses it checked itself."""

    def __init__(
        self,
        *,
        allowed: Callable[[IPAddress], bool] = is_public,
        resolver: Resolver = resolve,
    ):
        self._allowed = allowed
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._checked(host, port)
        for address in addresses[:-1]:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue  # the next address
        return await self._inner.connect_tcp(
            addresses[-1], port, timeout, local_address, socket_options
        )

    async def _checked(self, host: str, port: int) -> list[str]:
        """Every address of the host, if all are allowed: a name that also points inside
        is refused whichever address a connection would take."""
        try:
            addresses = await self._resolver(host, port)
        except (OSError, UnicodeError):  # UnicodeError: a name IDNA cannot encode
            addresses = []
        if not addresses:
            raise invalid("url", f"The calendar host {host} could not be found.")
        if not all(self._allowed(ipaddress.ip_address(a)) for a in addresses):
            raise invalid("url", f"The calendar host {host} is a private or local address.")
        return addresses

    async def connect_unix_socket(
        self, *args: object, **kwargs: object
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("Calendars are fetched over TCP only.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool with `backend`. httpx takes no network
    backend, so its pool (`_pool`, stable since httpx 0.18) is replaced by one that does."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend):
        super().__init__()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=backend
        )


async def fetch_calendar(
    url: str, *, private_addresses: bool = False, backend: PinnedBackend | None = None
) -> str:
    """The calendar's text, or INVALID_INPUT (field "url") saying what went wrong.
    `private_addresses` allows loopback and private networks (tests, an intranet);
    `backend` (tests) resolves and checks addresses its own way."""
    target = check_url(url)
    if backend is None:
        backend = PinnedBackend(allowed=(lambda _: True) if private_addresses else is_public)
    try:
        async with (
            asyncio.timeout(TIMEOUT_SECONDS),
            httpx.AsyncClient(
                transport=_PinnedTransport(backend),
                timeout=TIMEOUT_SECONDS,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "text/calendar, */*;q=0.5",
                    "Accept-Encoding": "gzip, deflate",  # those _Inflater reads
                },
            ) as client,
            client.stream("GET", target) as response,
        ):
            if response.status_code != 200:
                raise invalid("url", f"The calendar URL answered HTTP {response.status_code}.")
            body = await _read_limited(response)
            encoding = response.encoding or "utf-8"
    except (TimeoutError, httpx.TimeoutException):
        raise invalid(
            "url", f"The calendar URL did not answer within {TIMEOUT_SECONDS:g} seconds."
        ) from None
    except httpx.InvalidURL:  # a redirect to a URL httpx cannot parse
        raise invalid("url", "The calendar URL redirects to an invalid address.") from None
    except httpx.TooManyRedirects:
        raise invalid("url", "The calendar URL redirects too many times.") from None
    except httpx.HTTPError as error:
        reason = type(error).__name__
        raise invalid("url", f"The calendar could not be fetched ({reason}).") from None
    return _decode(body, encoding)


async def _read_limited(response: httpx.Response) -> bytes:
    """The body, decompressed here as it arrives (httpx would inflate each network read
    whole: a 64 KB gzip read becomes 64 MB), every stage limited to MAX_BYTES."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
        raise _too_large()
    # Content-Encoding lists encodings in the order applied: undo them from the last.
    encodings = [
        name.strip().lower()
        for name in response.headers.get("content-encoding", "").split(",")
        if name.strip() and name.strip().lower() != "identity"
    ]
    layers = [_Inflater(name) for name in reversed(encodings)]
    chunks, size = [], 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > MAX_BYTES:
            raise _too_large()
        for layer in layers:
            chunk = layer.feed(chunk)
        chunks.append(chunk)
    for number, layer in enumerate(layers):
        rest = layer.finish()
        for later in layers[number + 1 :]:
            rest = later.feed(rest)
        chunks.append(rest)
    return b"".join(chunks)


class _Inflater:
    """One Content-Encoding undone (gzip, a concatenation of gzip members; deflate, with or
    without its zlib header, as browsers read it) with zlib's max_length: never more than
    MAX_BYTES out, however small the input. Other encodings are refused: this fetch asks
    for gzip and deflate only."""

    def __init__(self, encoding: str):
        if encoding not in ("gzip", "x-gzip", "deflate"):
            raise invalid(
                "url", f"The calendar URL answered in an encoding not accepted ({encoding[:40]})."
            )
        self._encoding = encoding
        self._wbits = zlib.MAX_WBITS | 16 if encoding != "deflate" else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False
        self._room = MAX_BYTES

    def feed(self, data: bytes) -> bytes:
        out = []
        try:
            while data:
                piece = self._inflate(data)
                out.append(piece)
                data = b""
                if self._inflater.eof and self._inflater.unused_data:
                    if self._encoding == "deflate":
                        raise zlib.error("data after the end of the stream")
                    data = self._inflater.unused_data  # the next gzip member
                    self._inflater = zlib.decompressobj(self._wbits)
        except zlib.error:
            raise invalid(
                "url", f"The calendar could not be decompressed ({self._encoding})."
            ) from None
        return b"".join(out)

    def _inflate(self, data: bytes) -> bytes:
        if not self._started and self._wbits == zlib.MAX_WBITS:
            self._started = True
            try:
                return self._limited(self._inflater.decompress(data, self._room + 1))
            except zlib.error:  # deflate without the zlib header
                self._wbits = -zlib.MAX_WBITS
                self._inflater = zlib.decompressobj(self._wbits)
        self._started = True
        return self._limited(self._inflater.decompress(data, self._room + 1))

    def _limited(self, piece: bytes) -> bytes:
        # More than the room left means more was there: unconsumed_tail holds the rest.
        if len(piece) > self._room:
            raise _too_large()
        self._room -= len(piece)
        return piece

    def finish(self) -> bytes:
        try:
            return self._limited(self._inflater.flush())
        except zlib.error:
            raise invalid(
                "url", f"The calendar could not be decompressed ({self._encoding})."
            ) from None


def _too_large() -> DomainError:
    return invalid("url", f"The calendar is larger than {MAX_BYTES // (1024 * 1024)} MB.")


def _decode(body: bytes, encoding: str) -> str:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        # iCalendar is UTF-8 (RFC 5545); a wrong charset header should not lose the file.
        return body.decode("utf-8", errors="replace")
