"""SSRF through IPv6 addresses that carry an IPv4 one: a NAT64 gateway (64:ff9b::/96), a
6to4 or Teredo relay, or a stack that reads IPv4-mapped and IPv4-compatible addresses as
IPv4 delivers the connection to the embedded address. The calendar fetch's guard judges
such an address by the IPv4 address inside it; the local-use NAT64 prefix
(64:ff9b:1::/48), routed only inside its operator's network, is refused outright."""

import ipaddress

import pytest

from bookwell.core.errors import DomainError
from bookwell.services.calendar.fetch import PinnedBackend, fetch_calendar, is_public

INSIDE = [
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
    "64:ff9b::a00:7",  # NAT64 of 10.0.0.7
    "64:ff9b::c0a8:101",  # NAT64 of 192.168.1.1
    "64:ff9b:1::a00:7",  # local-use NAT64 (RFC 8215)
    "64:ff9b:1:ffff::808:808",  # local-use, whatever it embeds
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:0:a00:7:8000:63bf:3fff:fdd2",  # Teredo, server 10.0.0.7
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.7",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "::10.0.0.7",
    "::a9fe:a9fe",
    "::",
    "::1",
]
OUTSIDE = [
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "::ffff:8.8.8.8",
    "2606:4700:4700::1111",
    "8.8.8.8",
    "1.1.1.1",
]


@pytest.mark.parametrize("address", INSIDE)
def test_an_embedded_private_ipv4_address_is_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", OUTSIDE)
def test_an_embedded_public_ipv4_address_is_public(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::"])
async def test_a_calendar_host_resolving_to_nat64_of_a_private_address_is_refused(address):
    async def resolver(host: str, port: int) -> list[str]:
        return [address]

    with pytest.raises(DomainError) as refused:
        await fetch_calendar(
            "https://calendar.example/feed.ics", backend=PinnedBackend(resolver=resolver)
        )
    assert refused.value.field == ("url",)
    assert "private or local address" in refused.value.message
