"""Where a webhook may be sent: the calendar import's SSRF guard (services/calendar/fetch.py)
applied to endpoint URLs, at registration and again at every connection.

An endpoint is an https:// URL whose host resolves only to public addresses. With
`allow_loopback` (BOOKWELL_WEBHOOKS_ALLOW_HTTP_LOOPBACK, development and tests) loopback
addresses pass too, and http:// is allowed for a host that resolves only to loopback. At
delivery the connection goes to the very addresses that were checked (PinnedBackend), so a
DNS answer that changes after the check (rebinding) changes nothing.
"""

import asyncio
import ipaddress
from collections.abc import Callable

import httpcore
import httpx

from bookwell.core.errors import check_text, invalid
from bookwell.core.urls import split_url
from bookwell.services.calendar.fetch import IPAddress, PinnedBackend, Resolver, is_public, resolve

MAX_URL = 500
# A resolver that does not answer in this long finds nothing (no request waits on it).
RESOLVE_SECONDS = 5.0


def allowed_addresses(*, allow_loopback: bool) -> Callable[[IPAddress], bool]:
    def allowed(ip: IPAddress) -> bool:
        return is_public(ip) or (allow_loopback and ip.is_loopback)

    return allowed


def check_url(url: str, *, allow_http_loopback: bool) -> str:
    """The endpoint URL as given (trimmed), or INVALID_INPUT on `url`."""
    url = check_text(url, "url").strip()
    if len(url) > MAX_URL:
        raise invalid("url", f"An endpoint URL has at most {MAX_URL} characters.")
    if any(character.isspace() or not character.isprintable() for character in url):
        raise invalid("url", "An endpoint URL has no spaces, line breaks or control characters.")
    parts, _ = split_url(
        url, field="url", not_valid="The endpoint URL is not a valid https:// address."
    )
    schemes = ("https", "http") if allow_http_loopback else ("https",)
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise invalid("url", "The endpoint URL must be an https:// address.")
    if parts.username is not None or parts.password is not None:
        raise invalid("url", "The endpoint URL may not carry a user name or password.")
    return url


async def check_reachable(
    url: str, *, allow_http_loopback: bool, resolver: Resolver = resolve
) -> str:
    """The URL, if its host resolves and every address is one a webhook may go to (and,
    for http://, every one is loopback); else INVALID_INPUT on `url`."""
    url = check_url(url, allow_http_loopback=allow_http_loopback)
    parts, port = split_url(url, field="url", not_valid="")  # checked just above
    host = parts.hostname or ""
    addresses = await addresses_of(host, port, resolver)
    allowed = allowed_addresses(allow_loopback=allow_http_loopback)
    if not all(allowed(address) for address in addresses):
        raise invalid("url", f"The endpoint host {host} is a private or local address.")
    if parts.scheme.lower() == "http" and not all(a.is_loopback for a in addresses):
        raise invalid("url", "The endpoint URL must be an https:// address.")
    return url


async def addresses_of(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            found = await resolver(host, port)
    except (OSError, UnicodeError, TimeoutError):
        found = []
    if not found:
        raise invalid("url", f"The endpoint host {host} could not be found.")
    return [ipaddress.ip_address(address) for address in found]


class GuardedBackend(PinnedBackend):
    """The calendar import's pinned backend with the webhook rule of allowed addresses."""

    def __init__(self, *, allow_loopback: bool, resolver: Resolver = resolve):
        super().__init__(
            allowed=allowed_addresses(allow_loopback=allow_loopback), resolver=resolver
        )
        self._allowed_address = allowed_addresses(allow_loopback=allow_loopback)
        self._resolve = resolver

    async def _checked(self, host: str, port: int) -> list[str]:
        # The parent's check, worded for endpoints (its messages speak of calendars).
        addresses = await addresses_of(host, port, self._resolve)
        if not all(self._allowed_address(address) for address in addresses):
            raise invalid("url", f"The endpoint host {host} is a private or local address.")
        return [str(address) for address in addresses]


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a pool connecting through `backend` (as the calendar fetch's
    transport does: httpx takes no network backend, so its pool is replaced)."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend):
        super().__init__()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=backend
        )
