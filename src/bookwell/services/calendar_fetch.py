"""Fetching a calendar from its URL: http(s) only (webcal:// is https), a timeout, a size
limit, and errors a host can act on (field "url"), never the body of a failed answer."""

import asyncio
import ipaddress
from urllib.parse import urlsplit

import httpx

from bookwell.services.errors import DomainError, check_text, invalid

TIMEOUT_SECONDS = 10.0
MAX_BYTES = 2 * 1024 * 1024
MAX_URL = 500
MAX_REDIRECTS = 5
USER_AGENT = "Bookwell calendar import"


def check_url(url: str) -> str:
    """The URL to fetch (webcal:// becomes https://), or INVALID_INPUT."""
    url = check_text(url, "url").strip()
    if len(url) > MAX_URL:
        raise invalid("url", f"A calendar URL has at most {MAX_URL} characters.")
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise invalid("url", "The calendar URL must be an http:// or https:// address.")
    return url


async def refuse_private_hosts(request: httpx.Request) -> None:
    """A host may not make the server fetch from its own network (cloud metadata, admin
    ports): every request, redirects included, must go to public addresses. (A DNS answer
    that changes between this check and the connection is not caught.)"""
    host = request.url.host
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, request.url.port or 443)
    except OSError:
        raise invalid("url", f"The calendar host {host} could not be found.") from None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise invalid("url", f"The calendar host {host} is a private or local address.")


async def fetch_calendar(url: str, *, private_addresses: bool = False) -> str:
    """The calendar's text, or INVALID_INPUT (field "url") saying what went wrong.
    `private_addresses` allows loopback and private networks (tests, an intranet)."""
    target = check_url(url)
    hooks = {} if private_addresses else {"request": [refuse_private_hosts]}
    try:
        async with (
            httpx.AsyncClient(
                timeout=TIMEOUT_SECONDS,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers={"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"},
                event_hooks=hooks,
            ) as client,
            client.stream("GET", target) as response,
        ):
            if response.status_code != 200:
                raise invalid("url", f"The calendar URL answered HTTP {response.status_code}.")
            body = await _read_limited(response)
            encoding = response.encoding or "utf-8"
    except httpx.TimeoutException:
        raise invalid(
            "url", f"The calendar URL did not answer within {TIMEOUT_SECONDS:g} seconds."
        ) from None
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
