"""A URL a user gives for the server to connect to (a calendar to import, a webhook endpoint),
parsed once as it will be connected to: anything the parsers would refuse later, or read
differently from how it looks, is bad input on the URL's field up front (never a 500)."""

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

import httpx

from bookwell.core.errors import invalid

# A last label of digits or 0x-hex makes the resolver read the host as an IPv4 address in
# any of inet_aton's forms (0177.0.0.1, 0x7f.1, 2130706433 are all 127.0.0.1).
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


def split_url(url: str, *, field: str, not_valid: str) -> tuple[SplitResult, int]:
    """`url`'s parts and the port it connects to, or INVALID_INPUT on `field` (with the
    message `not_valid` when it does not parse at all)."""
    try:
        parts = urlsplit(url)
        httpx.URL(url)
        host = parts.hostname or ""
        host.encode("idna")  # what the resolver sends: labels of 1-63
        port = parts.port  # raises on a port out of 0-65535 or not ASCII digits
    except (ValueError, UnicodeError, httpx.InvalidURL):
        raise invalid(field, not_valid) from None
    if port == 0:
        raise invalid(field, "A URL's port is a number from 1 to 65535.")
    if "%" in host:
        raise invalid(field, "A URL's host may not contain percent escapes.")
    if ":" not in host and _NUMERIC_LABEL.fullmatch(host.rstrip(".").rsplit(".", 1)[-1]):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise invalid(
                field, "Write an IPv4 address in a URL as four decimal numbers (a.b.c.d)."
            ) from None
    return parts, port or (443 if parts.scheme.lower() in ("https", "wss") else 80)
