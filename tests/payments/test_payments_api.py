"""payReservation and Reservation.payment through the API, with the built-in provider."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import event, text

from bookwell.models import Role
from tests.factories import MANY_HOLDS, book_over_graphql, make_listing, make_token, make_user
from tests.payments.payment_calls import PAY, show

CANCEL = """
mutation($id: ID!) { cancelReservation(id: $id) { reservation { status } errors { code } } }"""


def soon(days: int = 30) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


async def pay(client, token: str, reservation_id: str, key: str) -> dict:
    answer = await client(PAY, {"id": reservation_id, "key": key}, token=token)
    return answer.data["payReservation"]


async def payment_rows(db, database_id: str) -> list:
    async with db.read() as session:
        query = text("SELECT status, provider_ref FROM payments WHERE reservation_id = :id")
        return list(await session.execute(query, {"id": database_id}))


def parse(instant: str) -> datetime:
    return datetime.fromisoformat(instant)


async def test_unpaid_reservation_shows_its_total_as_unpaid(client, db, host, guest_token):
    listing = await make_listing(db, host, nightly_price="120.00", currency="EUR")
    booked = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    assert booked["status"] == "PENDING"
    seen = await show(client, guest_token, booked["id"])
    assert seen["payment"] == {
        "status": "UNPAID",
        "provider": "builtin",
        "failureMessage": None,
        "amount": {"amount": "360.00", "currency": "EUR"},
    }


async def test_paying_confirms_an_instant_book_reservation(client, db, host, guest_token):
    listing = await make_listing(db, host, nightly_price="120.00", currency="EUR")
    booked = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    paid = await pay(client, guest_token, booked["id"], "pay-1")
    assert paid["errors"] == []
    reservation = paid["reservation"]
    assert reservation["status"] == "CONFIRMED"
    assert reservation["expiresAt"] is None
    payment = reservation["payment"]
    assert payment["status"] == "PAID"
    assert payment["provider"] == "builtin"
    assert payment["amount"] == {"amount": "360.00", "currency": "EUR"}
    assert payment["refundedAmount"] == {"amount": "0.00", "currency": "EUR"}
    assert payment["clientSecret"] is None
    assert payment["paidAt"] is not None
    assert (await show(client, guest_token, booked["id"]))["payment"]["status"] == "PAID"


async def test_paying_an_approval_listing_waits_for_the_host(client, db, host, guest_token):
    listing = await make_listing(db, host)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET instant_book = false, approval_hours = 48 WHERE id = :id"),
            {"id": listing},
        )
    booked = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    paid = await pay(client, guest_token, booked["id"], "pay-1")
    assert paid["errors"] == []
    reservation = paid["reservation"]
    assert reservation["status"] == "PENDING"
    assert reservation["payment"]["status"] == "PAID"
    extended = parse(reservation["expiresAt"]) - datetime.now(UTC)
    assert timedelta(hours=47) < extended <= timedelta(hours=48)
    assert parse(reservation["expiresAt"]) > parse(booked["expiresAt"])


async def test_a_decline_is_kept_and_a_new_key_pays(client, db, host, guest_token):
    listing = await make_listing(db, host)
    booked = await book_over_graphql(client, guest_token, listing, soon(30), 3)

    declined = await pay(client, guest_token, booked["id"], "decline-1")
    assert declined["reservation"] is None
    assert [(e["code"], e["field"]) for e in declined["errors"]] == [("PAYMENT_FAILED", ["id"])]
    seen = await show(client, guest_token, booked["id"])
    assert seen["status"] == "PENDING"  # the hold stays
    assert seen["payment"]["status"] == "FAILED"
    assert seen["payment"]["failureMessage"] == "Your card was declined."

    replay = await pay(client, guest_token, booked["id"], "decline-1")
    assert [e["code"] for e in replay["errors"]] == ["PAYMENT_FAILED"]

    retried = await pay(client, guest_token, booked["id"], "card-2")
    assert retried["errors"] == []
    assert retried["reservation"]["status"] == "CONFIRMED"
    assert retried["reservation"]["payment"]["status"] == "PAID"
    assert retried["reservation"]["payment"]["failureMessage"] is None
    assert [row.status for row in await payment_rows(db, booked["databaseId"])] == ["PAID"]


async def test_only_the_guest_may_pay(client, db, host, host_token, guest_token):
    listing = await make_listing(db, host)
    booked = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    stranger = await make_token(db, await make_user(db, Role.GUEST))

    by_stranger = await pay(client, stranger, booked["id"], "pay-1")
    assert [e["code"] for e in by_stranger["errors"]] == ["NOT_FOUND"]
    by_host = await pay(client, host_token, booked["id"], "pay-1")
    assert [e["code"] for e in by_host["errors"]] == ["FORBIDDEN"]
    nonsense = await pay(client, guest_token, "not-an-id", "pay-1")
    assert [e["code"] for e in nonsense["errors"]] == ["NOT_FOUND"]
    assert await payment_rows(db, booked["databaseId"]) == []


async def test_paying_needs_a_token(client):
    answer = await client(PAY, {"id": "00000000-0000-0000-0000-000000000000", "key": "k"})
    assert answer.status == 401
    assert answer.codes == ["UNAUTHENTICATED"]


async def test_an_expired_hold_cannot_be_paid(client, db, host, guest_token):
    listing = await make_listing(db, host)
    booked = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": booked["databaseId"]},
        )
    answer = await pay(client, guest_token, booked["id"], "pay-1")
    assert [e["code"] for e in answer["errors"]] == ["INVALID_STATE"]
    assert "expired" in answer["errors"][0]["message"]
    assert await payment_rows(db, booked["databaseId"]) == []


async def test_a_cancelled_reservation_cannot_be_paid(client, db, host, guest_token):
    listing = await make_listing(db, host)
    booked = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    cancelled = await client(CANCEL, {"id": booked["id"]}, token=guest_token)
    assert cancelled.data["cancelReservation"]["reservation"]["status"] == "CANCELLED"
    answer = await pay(client, guest_token, booked["id"], "pay-1")
    assert [e["code"] for e in answer["errors"]] == ["INVALID_STATE"]
    assert await payment_rows(db, booked["databaseId"]) == []


async def test_paying_again_changes_nothing(client, db, host, guest_token):
    listing = await make_listing(db, host)
    booked = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    first = await pay(client, guest_token, booked["id"], "pay-1")
    rows = await payment_rows(db, booked["databaseId"])

    same_key = await pay(client, guest_token, booked["id"], "pay-1")
    other_key = await pay(client, guest_token, booked["id"], "pay-2")
    assert same_key == first
    assert other_key["errors"] == []
    assert other_key["reservation"]["payment"] == first["reservation"]["payment"]
    assert await payment_rows(db, booked["databaseId"]) == rows


async def test_a_key_used_for_one_reservation_cannot_pay_another(client, db, host, guest_token):
    listing = await make_listing(db, host, units=2)
    first = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    second = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    assert (await pay(client, guest_token, first["id"], "pay-1"))["errors"] == []
    reused = await pay(client, guest_token, second["id"], "pay-1")
    assert [(e["code"], e["field"]) for e in reused["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])
    ]
    assert (await pay(client, guest_token, second["id"], ""))["errors"][0]["code"] == (
        "INVALID_INPUT"
    )


async def test_the_host_sees_the_payment(client, db, host, host_token, guest_token):
    listing = await make_listing(db, host)
    booked = await book_over_graphql(client, guest_token, listing, soon(30), 3)
    await pay(client, guest_token, booked["id"], "pay-1")
    seen = await show(client, host_token, booked["id"])
    assert seen["payment"]["status"] == "PAID"
    assert Decimal(seen["payment"]["amount"]["amount"]) == Decimal("300.00")


async def test_payments_of_a_list_are_read_in_one_query(app, client, db, host, guest_token):
    listing = await make_listing(db, host, units=5, **MANY_HOLDS)
    booked = [await book_over_graphql(client, guest_token, listing, soon(30), 3) for _ in range(4)]
    await pay(client, guest_token, booked[0]["id"], "pay-1")
    await pay(client, guest_token, booked[1]["id"], "decline-1")

    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    engine = app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        answer = await client(
            "{ reservations(first: 10) { edges { node { id payment { status } } } } }",
            token=guest_token,
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    statuses = {
        edge["node"]["id"]: edge["node"]["payment"]["status"]
        for edge in answer.data["reservations"]["edges"]
    }
    assert statuses == {
        booked[0]["id"]: "PAID",
        booked[1]["id"]: "FAILED",
        booked[2]["id"]: "UNPAID",
        booked[3]["id"]: "UNPAID",
    }
    assert len([s for s in statements if "FROM payments" in s]) == 1
