"""The Stripe adapter and webhook, never over the network.

Outgoing calls go through stripe-python's own request code into a fake HTTP client that
answers recorded responses (tests/fixtures/stripe/); webhooks are recorded event payloads
signed with Stripe's scheme (HMAC-SHA256 of "{timestamp}.{body}" in `Stripe-Signature`)
and verified by stripe-python's `construct_event` inside the app.
"""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe
from pydantic import SecretStr
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.services.payments import (
    ChargeStatus,
    ProviderUnavailable,
    build_provider,
)
from bookwell.services.payments.currency import from_minor_units, to_minor_units
from bookwell.services.payments.stripe_adapter import StripeProvider
from tests.factories import book_over_graphql, make_listing
from tests.payments.payment_calls import PAY, show
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stripe"
API_KEY = "sk_test_bookwell"
WEBHOOK_SECRET = "whsec_test_bookwell"
INTENT_ID = "pi_3QkT0ZLmWq9hR2Bx1aV7cD4e"
RESERVATION_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def recorded(name: str) -> str:
    return (FIXTURES / name).read_text()


@dataclass
class SentRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]


class RecordedStripe(stripe.HTTPClient):
    """Answers stripe-python's requests with recorded responses; anything else fails."""

    name = "recorded"

    def __init__(self, responses: dict[tuple[str, str], tuple[int, str]]):
        super().__init__()
        self.responses = responses
        self.sent: list[SentRequest] = []

    async def request_async(self, method, url, headers, post_data=None):
        path = urlsplit(url).path
        form = parse_qs(post_data or "")
        self.sent.append(SentRequest(method.upper(), path, dict(headers), form))
        status, body = self.responses[(method.upper(), path)]
        return body.encode(), status, {"Request-Id": "req_recorded"}

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError("the adapter must not make synchronous requests")

    async def close_async(self) -> None:
        return None

    def sleep_async(self, secs: float):
        return asyncio.sleep(0)


def stripe_with(responses: dict[tuple[str, str], tuple[int, str]]):
    http = RecordedStripe(responses)
    provider = StripeProvider(
        api_key=API_KEY, webhook_secret=WEBHOOK_SECRET, http_client=http, max_network_retries=0
    )
    return provider, http


INTENT_CREATED = {("POST", "/v1/payment_intents"): (200, recorded("payment_intent.created.json"))}
REFUND_CREATED = {("POST", "/v1/refunds"): (200, recorded("refund.created.json"))}


def sign(payload: bytes, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(name: str, reservation_id: str, **changes: Any) -> bytes:
    """A recorded event for our reservation, with some fields of its object changed."""
    event = json.loads(recorded(name))
    subject = event["data"]["object"]
    subject["metadata"]["reservation_id"] = reservation_id
    subject.update(changes)
    return json.dumps(event).encode()


# --- amounts ---------------------------------------------------------------------------


def test_minor_units_follow_the_currency():
    assert to_minor_units(Decimal("120.50"), "EUR") == 12050
    assert to_minor_units(Decimal("5000"), "JPY") == 5000
    assert to_minor_units(Decimal("5000.00"), "jpy") == 5000
    assert to_minor_units(Decimal("1.25"), "KWD") == 1250
    assert from_minor_units(5000, "JPY") == Decimal("5000.00")
    assert from_minor_units(12050, "eur") == Decimal("120.50")
    with pytest.raises(ValueError):
        to_minor_units(Decimal("5000.50"), "JPY")


# --- outgoing calls ---------------------------------------------------------------------


async def test_a_charge_creates_a_payment_intent():
    provider, http = stripe_with(INTENT_CREATED)
    reservation_id = uuid.uuid4()
    charge = await provider.charge(
        amount=Decimal("360.00"),
        currency="EUR",
        idempotency_key="bookwell-pay-1",
        reservation_id=reservation_id,
        description="Bookwell reservation",
    )
    assert charge.status is ChargeStatus.REQUIRES_ACTION
    assert charge.provider_ref == INTENT_ID
    assert charge.client_secret.startswith(f"{INTENT_ID}_secret_")
    [sent] = http.sent
    assert (sent.method, sent.path) == ("POST", "/v1/payment_intents")
    assert sent.headers["Idempotency-Key"] == "bookwell-pay-1"
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.form["amount"] == ["36000"]
    assert sent.form["currency"] == ["eur"]
    assert sent.form["metadata[reservation_id]"] == [str(reservation_id)]
    assert sent.form["automatic_payment_methods[enabled]"] == ["true"]


async def test_a_yen_charge_has_no_minor_units():
    provider, http = stripe_with(INTENT_CREATED)
    await provider.charge(
        amount=Decimal("45000.00"),
        currency="JPY",
        idempotency_key="bookwell-pay-jpy",
        reservation_id=uuid.uuid4(),
        description="Bookwell reservation",
    )
    assert http.sent[0].form["amount"] == ["45000"]
    assert http.sent[0].form["currency"] == ["jpy"]


async def test_a_card_error_is_a_failed_charge():
    provider, _ = stripe_with(
        {("POST", "/v1/payment_intents"): (402, recorded("card_declined.error.json"))}
    )
    charge = await provider.charge(
        amount=Decimal("360.00"),
        currency="EUR",
        idempotency_key="k",
        reservation_id=uuid.uuid4(),
        description="d",
    )
    assert charge.status is ChargeStatus.FAILED
    assert charge.failure_message == "Your card was declined."


async def test_a_stripe_outage_is_provider_unavailable():
    provider, _ = stripe_with({("POST", "/v1/payment_intents"): (500, recorded("api_error.json"))})
    with pytest.raises(ProviderUnavailable):
        await provider.charge(
            amount=Decimal("1.00"),
            currency="EUR",
            idempotency_key="k",
            reservation_id=uuid.uuid4(),
            description="d",
        )


async def test_a_refund_names_the_payment_intent_and_amount():
    provider, http = stripe_with(REFUND_CREATED)
    result = await provider.refund(
        provider_ref=INTENT_ID, amount=Decimal("180.00"), currency="EUR", idempotency_key="r-1"
    )
    assert result.succeeded
    assert result.provider_ref == "re_3QkT0ZLmWq9hR2Bx1Fz9sY2m"
    [sent] = http.sent
    assert (sent.method, sent.path) == ("POST", "/v1/refunds")
    assert sent.form["payment_intent"] == [INTENT_ID]
    assert sent.form["amount"] == ["18000"]
    assert sent.headers["Idempotency-Key"] == "r-1"


# --- the app with Stripe ---------------------------------------------------------------


@pytest.fixture
def recorded_stripe():
    return stripe_with({**INTENT_CREATED, **REFUND_CREATED})


@pytest.fixture
async def stripe_app(settings, recorded_stripe) -> AsyncIterator[Any]:
    provider, _ = recorded_stripe
    configured = settings.model_copy(
        update={
            "payment_provider": "stripe",
            "stripe_api_key": SecretStr(API_KEY),
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
        }
    )
    app = create_app(configured, payments=provider)
    async with started(app) as app:
        yield app


@pytest.fixture
async def http(stripe_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=stripe_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def deliver(http: httpx.AsyncClient, payload: bytes, signature: str | None = None):
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = sign(payload) if signature is None else signature
    return await http.post("/webhooks/stripe", content=payload, headers=headers)


async def stripe_hold(http, db, host, guest_token) -> tuple[GraphQLClient, dict]:
    """A 360.00 EUR hold, paid with Stripe: the PaymentIntent awaits the guest's browser."""
    client = GraphQLClient(http)
    listing = await make_listing(db, host, nightly_price="120.00", currency="EUR")
    booked = await book_over_graphql(
        client, guest_token, listing, date.today() + timedelta(days=30), 3
    )
    paid = (await client(PAY, {"id": booked["id"], "key": "pay-1"}, token=guest_token)).data
    assert paid["payReservation"]["errors"] == []
    return client, paid["payReservation"]["reservation"]


async def test_a_stripe_payment_waits_for_the_browser(http, db, host, guest_token, recorded_stripe):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    assert reservation["status"] == "PENDING"
    payment = reservation["payment"]
    assert payment["status"] == "UNPAID"
    assert payment["provider"] == "stripe"
    assert payment["clientSecret"].startswith(f"{INTENT_ID}_secret_")

    again = await client(PAY, {"id": reservation["id"], "key": "pay-2"}, token=guest_token)
    assert (
        again.data["payReservation"]["reservation"]["payment"]["clientSecret"]
        == (payment["clientSecret"])
    )
    _, sent = recorded_stripe
    keys = {request.headers["Idempotency-Key"] for request in sent.sent}
    # One PaymentIntent, replayed; its key names the reservation by its database id.
    assert keys == {f"bookwell-pay-{reservation['databaseId']}-pay-1"}
    assert (await show(client, guest_token, reservation["id"]))["payment"]["status"] == "UNPAID"


async def test_payment_succeeded_confirms_once(http, db, host, guest_token):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    payload = event_payload("payment_intent.succeeded.json", reservation["databaseId"])

    first = await deliver(http, payload)
    assert (first.status_code, first.json()["outcome"]) == (200, "paid")
    seen = await show(client, guest_token, reservation["id"])
    assert seen["status"] == "CONFIRMED"
    assert seen["payment"]["status"] == "PAID"
    assert seen["payment"]["amount"] == {"amount": "360.00", "currency": "EUR"}

    redelivered = await deliver(http, payload)
    assert (redelivered.status_code, redelivered.json()["outcome"]) == (200, "unchanged")
    assert await show(client, guest_token, reservation["id"]) == seen


async def test_payment_failed_records_the_reason(http, db, host, guest_token):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    payload = event_payload("payment_intent.payment_failed.json", reservation["databaseId"])

    first = await deliver(http, payload)
    assert (first.status_code, first.json()["outcome"]) == (200, "failed")
    seen = await show(client, guest_token, reservation["id"])
    assert seen["status"] == "PENDING"
    assert seen["payment"]["status"] == "FAILED"
    assert seen["payment"]["failureMessage"] == "Your card has insufficient funds."
    assert (await deliver(http, payload)).json()["outcome"] == "unchanged"


async def test_charge_refunded_records_partial_then_full(http, db, host, guest_token):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    await deliver(http, event_payload("payment_intent.succeeded.json", reservation["databaseId"]))

    half = event_payload("charge.refunded.json", reservation["databaseId"])
    assert (await deliver(http, half)).json()["outcome"] == "refunded"
    assert (await deliver(http, half)).json()["outcome"] == "unchanged"
    async with db.read() as session:
        query = text("SELECT status, refunded_amount FROM payments WHERE reservation_id = :id")
        row = (await session.execute(query, {"id": reservation["databaseId"]})).one()
    assert (row.status, row.refunded_amount) == ("PARTIALLY_REFUNDED", Decimal("180.00"))

    full = event_payload(
        "charge.refunded.json", reservation["databaseId"], amount_refunded=36000, refunded=True
    )
    assert (await deliver(http, full)).json()["outcome"] == "refunded"
    assert (await deliver(http, half)).json()["outcome"] == "unchanged"  # late, out of order
    seen = await show(client, guest_token, reservation["id"])
    assert seen["payment"]["status"] == "REFUNDED"


async def test_a_payment_after_the_hold_ended_is_refunded(
    http, db, host, guest_token, recorded_stripe
):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": reservation["databaseId"]},
        )
    answer = await deliver(
        http, event_payload("payment_intent.succeeded.json", reservation["databaseId"])
    )
    assert answer.json()["outcome"] == "refunded"
    _, sent = recorded_stripe
    refunds = [r for r in sent.sent if r.path == "/v1/refunds"]
    assert [r.form["amount"] for r in refunds] == [["36000"]]
    seen = await show(client, guest_token, reservation["id"])
    assert seen["status"] == "PENDING"  # an expired hold; expiry will mark it
    assert seen["payment"]["status"] == "REFUNDED"


async def test_a_refund_stripe_refuses_is_delivered_again(
    http, db, host, guest_token, recorded_stripe
):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    _, sent = recorded_stripe
    sent.responses[("POST", "/v1/refunds")] = (400, recorded("charge_already_refunded.error.json"))
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": reservation["databaseId"]},
        )
    answer = await deliver(
        http, event_payload("payment_intent.succeeded.json", reservation["databaseId"])
    )
    assert answer.status_code == 500  # Stripe will deliver it again
    assert (await show(client, guest_token, reservation["id"]))["payment"]["status"] == "UNPAID"


async def test_a_payment_we_did_not_record_is_found_by_its_metadata(http, db, host, guest_token):
    client = GraphQLClient(http)
    listing = await make_listing(db, host, nightly_price="120.00", currency="EUR")
    booked = await book_over_graphql(
        client, guest_token, listing, date.today() + timedelta(days=30), 3
    )
    answer = await deliver(
        http, event_payload("payment_intent.succeeded.json", booked["databaseId"])
    )
    assert answer.json()["outcome"] == "paid"
    seen = await show(client, guest_token, booked["id"])
    assert (seen["status"], seen["payment"]["status"]) == ("CONFIRMED", "PAID")


async def test_a_bad_signature_is_refused(http, db, host, guest_token):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    payload = event_payload("payment_intent.succeeded.json", reservation["databaseId"])
    wrong_secret = await deliver(http, payload, sign(payload, secret="whsec_someone_else"))
    tampered = await deliver(http, payload.replace(b"36000", b"1"), sign(payload))
    missing = await http.post("/webhooks/stripe", content=payload)
    assert [r.status_code for r in (wrong_secret, tampered, missing)] == [400, 400, 400]
    assert (await show(client, guest_token, reservation["id"]))["payment"]["status"] == "UNPAID"


async def test_a_stale_signature_is_refused(http, db, host, guest_token):
    _, reservation = await stripe_hold(http, db, host, guest_token)
    payload = event_payload("payment_intent.succeeded.json", reservation["databaseId"])
    ten_minutes_ago = int(time.time()) - 600
    answer = await deliver(http, payload, sign(payload, timestamp=ten_minutes_ago))
    assert answer.status_code == 400


async def test_a_signed_body_that_is_not_json_is_refused(http):
    body = b"not json"
    assert (await deliver(http, body)).status_code == 400


async def test_other_events_are_acknowledged_and_ignored(http):
    payload = recorded("customer.created.json").encode()
    answer = await deliver(http, payload)
    assert (answer.status_code, answer.json()["outcome"]) == (200, "ignored")


async def test_events_for_unknown_payments_are_ignored(http):
    payload = event_payload("payment_intent.succeeded.json", str(uuid.uuid4()))
    assert (await deliver(http, payload)).json()["outcome"] == "ignored"


async def test_without_stripe_the_webhook_is_not_there(client):
    answer = await client.http.post("/webhooks/stripe", content=b"{}")
    assert answer.status_code == 404


def test_stripe_without_keys_fails_at_start(settings):
    with pytest.raises(RuntimeError, match="STRIPE_API_KEY"):
        create_app(settings.model_copy(update={"payment_provider": "stripe"}))


def test_stripe_is_built_from_settings(settings):
    keys = {"stripe_api_key": SecretStr(API_KEY), "stripe_webhook_secret": SecretStr("")}
    chosen = settings.model_copy(update={"payment_provider": "stripe", **keys})
    with pytest.raises(RuntimeError):
        build_provider(chosen)
    keys["stripe_webhook_secret"] = SecretStr(WEBHOOK_SECRET)
    provider = build_provider(chosen.model_copy(update=keys))
    assert isinstance(provider, StripeProvider)
    assert provider.name == "stripe"
    assert build_provider(settings).name == "builtin"
