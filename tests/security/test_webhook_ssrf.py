"""SSRF through webhook endpoints: a host may not make the server POST into its own network.

Endpoint URLs pass the calendar import's guard at registration (every address the name
resolves to must be public; https only) and again at every connection, on the addresses
resolved then (DNS rebinding changes nothing). Loopback and http:// are allowed only with
BOOKWELL_WEBHOOKS_ALLOW_HTTP_LOOPBACK (off in production); private networks never. Redirects
are never followed.
"""

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.core.errors import DomainError
from bookwell.core.sealed import webhook_box
from bookwell.services.webhooks import deliveries
from bookwell.services.webhooks.addresses import GuardedBackend, check_reachable
from bookwell.services.webhooks.deliveries import Claimed
from bookwell.services.webhooks.endpoints import create_endpoint as register
from bookwell.services.webhooks.sender import send
from bookwell.workers.webhooks import deliver_webhook
from tests.factories import book, in_days, make_listing
from tests.security.odd_urls import ODD_URLS, with_scheme
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started
from tests.webhooks.helpers import UPDATE, create_endpoint, endpoints
from tests.webhooks.receiver import running_receiver

INSIDE = [
    "https://127.0.0.1/hook",
    "https://localhost/hook",  # a name that resolves to 127.0.0.1
    "https://10.0.0.1/hook",
    "https://192.168.1.1/hook",
    "https://172.16.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[::1]/hook",
    "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped
    "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "https://[fd00::1]/hook",
    "https://0.0.0.0/hook",
]


@pytest.fixture
async def strict_client(settings):
    """The API as production runs it: loopback and http:// not allowed."""
    strict = settings.model_copy(update={"webhooks_allow_http_loopback": False})
    async with started(create_app(strict)) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)


@pytest.mark.parametrize("url", INSIDE)
async def test_an_inside_address_is_refused_at_registration(strict_client, host_token, url):
    made = await create_endpoint(strict_client, host_token, url, ["RESERVATION_CREATED"])
    assert made["endpoint"] is None
    assert [(e["code"], e["field"]) for e in made["errors"]] == [
        ("INVALID_INPUT", ["input", "url"])
    ]
    assert "private or local" in made["errors"][0]["message"]
    assert (await endpoints(strict_client, host_token))["totalCount"] == 0


@pytest.mark.parametrize("url", ODD_URLS)
async def test_an_odd_url_is_bad_input_at_registration(strict_client, client, host_token, url):
    """The calendar's odd URLs (bad ports, NUL and escapes in the host, numbers that only
    look like addresses), in production and with the development flag: INVALID_INPUT on url,
    never INTERNAL_ERROR, and no endpoint saved."""
    for api, scheme in ((strict_client, "https"), (client, "https"), (client, "http")):
        made = await create_endpoint(
            api, host_token, with_scheme(url, scheme), ["RESERVATION_CREATED"]
        )
        assert made["endpoint"] is None, made
        assert [(e["code"], e["field"]) for e in made["errors"]] == [
            ("INVALID_INPUT", ["input", "url"])
        ], (scheme, made)
    assert (await endpoints(client, host_token))["totalCount"] == 0


@pytest.mark.parametrize("url", ODD_URLS)
async def test_an_odd_url_is_bad_input_when_an_endpoint_is_changed(client, host_token, url):
    made = await create_endpoint(
        client, host_token, "http://127.0.0.1:9/hook", ["RESERVATION_CREATED"]
    )
    endpoint_id = made["endpoint"]["id"]
    for scheme in ("https", "http"):
        answer = await client(
            UPDATE,
            {"input": {"id": endpoint_id, "url": with_scheme(url, scheme)}},
            token=host_token,
        )
        assert answer.status < 500 and "Unexpected error" not in str(answer.body), answer.body
        changed = answer.data["updateWebhookEndpoint"]
        assert [(e["code"], e["field"]) for e in changed["errors"]] == [
            ("INVALID_INPUT", ["input", "url"])
        ], (scheme, changed)
    (kept,) = [edge["node"] for edge in (await endpoints(client, host_token))["edges"]]
    assert kept["url"] == "http://127.0.0.1:9/hook"


async def test_plain_http_is_refused_unless_loopback_is_allowed(strict_client, client, host_token):
    made = await create_endpoint(
        strict_client, host_token, "http://127.0.0.1:9/hook", ["RESERVATION_CREATED"]
    )
    assert "https://" in made["errors"][0]["message"]
    # With the development flag, loopback only: a private network stays out.
    for url in ("http://10.0.0.1/hook", "https://10.0.0.1/hook", "https://192.168.1.1/"):
        made = await create_endpoint(client, host_token, url, ["RESERVATION_CREATED"])
        assert [e["code"] for e in made["errors"]] == ["INVALID_INPUT"], url


async def test_a_name_that_rebinds_to_loopback_after_registration_is_refused_at_delivery():
    answers = {"first": ["93.184.216.34"], "then": ["127.0.0.1"]}

    async def registration_resolver(host: str, port: int) -> list[str]:
        return answers["first"]

    async def delivery_resolver(host: str, port: int) -> list[str]:
        return answers["then"]

    with running_receiver() as receiver:
        port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
        url = f"https://hooks.example.test:{port}/hook"
        # Registration saw a public address...
        assert (
            await check_reachable(url, allow_http_loopback=False, resolver=registration_resolver)
            == url
        )
        # ...the name now points inside: the connection is refused before it is made.
        claimed = Claimed(
            id=uuid.uuid4(),
            endpoint_id=uuid.uuid4(),
            url=url,
            secret="whsec_" + "A" * 44,
            message_id="msg_test",
            payload="{}",
            attempt_count=0,
        )
        backend = GuardedBackend(allow_loopback=False, resolver=delivery_resolver)
        attempt = await send(claimed, allow_http_loopback=False, timeout_seconds=5, backend=backend)
        await asyncio.sleep(0.2)
        assert receiver.received == []
    assert attempt.succeeded is False and attempt.status_code is None
    assert "private or local" in (attempt.error or "")


async def test_an_endpoint_registered_on_loopback_gets_nothing_once_loopback_is_off(
    db, host, guest, settings
):
    """An endpoint saved while the flag was on (or written by hand) is checked again at
    every delivery, through the real worker function."""
    listing_id = await make_listing(db, host)
    with running_receiver() as receiver:
        async with db.transaction() as session:
            await register(
                session=session,
                principal=host,
                url=receiver.url,
                events=["reservation.created"],
                listing_ids=None,
                is_global=False,
                box=webhook_box(settings),
            )
        row = await book(db, guest, listing_id, in_days(10))
        async with db.read() as session:
            outbox_id = (
                await session.execute(
                    text("SELECT id FROM outbox WHERE reservation_id = :id"), {"id": row.id}
                )
            ).scalar_one()
        async with db.transaction() as session:
            (delivery_id,) = await deliveries.fan_out(session=session, outbox_id=outbox_id)
        strict = settings.model_copy(update={"webhooks_allow_http_loopback": False})
        retry_in = await deliver_webhook(db, _NoMail(), strict, delivery_id)
        assert receiver.received == []
    assert retry_in is not None  # a failed attempt, retried on the schedule
    async with db.read() as session:
        error = (
            await session.execute(
                text("SELECT error FROM webhook_attempts WHERE delivery_id = :id"),
                {"id": delivery_id},
            )
        ).scalar_one()
    assert "https://" in error


async def test_a_redirect_is_never_followed():
    with (
        running_receiver() as inside,
        running_receiver(default=302, redirect_to=inside.url) as outside,
    ):
        claimed = Claimed(
            id=uuid.uuid4(),
            endpoint_id=uuid.uuid4(),
            url=outside.url,
            secret="whsec_" + "A" * 44,
            message_id="msg_test",
            payload="{}",
            attempt_count=0,
        )
        attempt = await send(claimed, allow_http_loopback=True, timeout_seconds=5)
        await asyncio.sleep(0.2)
        assert len(outside.received) == 1
        assert inside.received == []
    assert attempt.succeeded is False and attempt.status_code == 302
    assert "redirects are not followed" in (attempt.error or "")


async def test_the_guard_refuses_inside_addresses_however_written():
    for url in INSIDE:
        with pytest.raises(DomainError) as refused:
            await check_reachable(url, allow_http_loopback=False)
        assert refused.value.field == ("url",), url


class _NoMail:
    async def send(self, message) -> None:
        raise AssertionError("nobody is emailed here")
