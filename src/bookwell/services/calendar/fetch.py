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
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from bookwell.core.errors import DomainError, check_text, invalid

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
    try:
        # What the fetch will parse: a URL httpx refuses (a bad IPv4 or IPv6 literal such
        # as 0177.0.0.1, a port that is no number, a host IDNA cannot encode) is bad input.
        parts = urlsplit(url)
        httpx.URL(url)
        (parts.hostname or "").encode("idna")  # what the resolver sends: labels of 1-63
    except (ValueError, UnicodeError, httpx.InvalidURL):
        raise invalid("url", "The calendar URL is not a valid http(s) address.") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise invalid("url", "The calendar URL must be an http:// or https:// address.")
    return url


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, each once, in the resolver's order."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(address[0]) for *_, address in found))


def is_public(ip: IPAddress) -> bool:
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
                headers={"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"},
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
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
        raise _too_large()
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> DomainError:
    return invalid("url", f"The calendar is larger than {MAX_BYTES // (1024 * 1024)} MB.")


def _decode(body: bytes, encoding: str) -> str:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        # iCalendar is UTF-8 (RFC 5545); a wrong charset header should not lose the file.
        return body.decode("utf-8", errors="replace")
