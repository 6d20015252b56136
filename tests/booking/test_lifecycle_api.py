"""Every lifecycle mutation once through the app: holds, confirmation, cancellation, changes
of dates, check-in and check-out, and the refusals (FORBIDDEN, PAYMENT_REQUIRED,
UNAVAILABLE, INVALID_STATE, NOT_FOUND) as payload errors."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from bookwell.models import Role
from bookwell.services.booking import lifecycle
from bookwell.services.listings.stays import today_in
from tests.factories import book_over_graphql, make_listing, make_token, make_user

FIELDS = """id databaseId status startDate endDate nights quantity createdAt expiresAt confirmedAt
checkedInAt checkedOutAt cancelledAt cancelReason
price { lineItems { kind amount { amount } } total { amount currency }
        cancellationPolicy { freeCancellationDays lateRefundPercent } }"""


def mutation(arguments: str, field: str) -> str:
    payload = f"{{ reservation {{ {FIELDS} }} errors {{ code field message }} }}"
    return f"mutation({arguments}) {{ {field} {payload} }}"


CREATE = mutation("$input: CreateReservationInput!", "createReservation(input: $input)")
PAY = mutation("$id: ID!, $key: String!", "payReservation(id: $id, idempotencyKey: $key)")
CONFIRM = mutation("$id: ID!", "confirmReservation(id: $id)")
CANCEL = mutation("$id: ID!, $reason: String", "cancelReservation(id: $id, reason: $reason)")
CHANGE = mutation("$input: ChangeReservationDatesInput!", "changeReservationDates(input: $input)")
CHECK_IN = mutation("$id: ID!", "checkIn(id: $id)")
CHECK_OUT = mutation("$id: ID!", "checkOut(id: $id)")
READ = "query($id: ID!) { reservation(id: $id) { " + FIELDS + " } }"


async def call(client, operation: str, token: str, **variables: Any) -> dict[str, Any]:
    """The mutation's payload."""
    answer = await client(operation, variables, token=token)
    assert answer.status == 200
    (payload,) = answer.data.values()
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def read(client, token: str, reservation_id: str) -> dict[str, Any]:
    return (await client(READ, {"id": reservation_id}, token=token)).data["reservation"]


async def confirmed_by_payment(db, database_id: str) -> None:
    """Payment arrived (an instant-book listing): the stay is CONFIRMED."""
    async with db.transaction() as session:
        await lifecycle.mark_paid(session=session, reservation_id=uuid.UUID(database_id))


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_create_reservation_is_a_pending_hold_with_a_deadline(client, db, host, guest_token):
    listing_id = await make_listing(db, host, units=2, nightly_price="80.00", currency="EUR")
    start = today_in("UTC") + timedelta(days=10)

    made = await book_over_graphql(
        client, guest_token, listing_id, start, quantity=2, fields=FIELDS
    )

    assert made["status"] == "PENDING"
    assert made["nights"] == 2 and made["quantity"] == 2
    hold = moment(made["expiresAt"]) - moment(made["createdAt"])
    assert timedelta(minutes=14) < hold <= timedelta(minutes=15, seconds=1)
    assert made["confirmedAt"] is made["cancelledAt"] is made["checkedInAt"] is None
    assert made["price"]["total"] == {"amount": "320.00", "currency": "EUR"}
    assert made["price"]["lineItems"][0] == {"kind": "NIGHTS", "amount": {"amount": "320.00"}}
    assert made["price"]["cancellationPolicy"]["freeCancellationDays"] >= 0


async def test_confirmation_is_the_hosts_and_needs_payment(
    client, db, host, guest, host_token, guest_token
):
    listing_id = await make_listing(db, host, units=1, nightly_price="90.00")
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET instant_book = false WHERE id = :id"), {"id": listing_id}
        )
    stranger_token = await make_token(db, await make_user(db, Role.HOST))
    made = await book_over_graphql(
        client, guest_token, listing_id, today_in("UTC") + timedelta(days=3), fields=FIELDS
    )

    assert codes(await call(client, CONFIRM, guest_token, id=made["id"])) == ["FORBIDDEN"]
    assert codes(await call(client, CONFIRM, stranger_token, id=made["id"])) == ["NOT_FOUND"]
    unpaid = await call(client, CONFIRM, host_token, id=made["id"])
    assert unpaid["errors"] == [
        {
            "code": "PAYMENT_REQUIRED",
            "field": ["id"],
            "message": "The guest has not paid for this reservation yet.",
        }
    ]

    paid = await call(client, PAY, guest_token, id=made["id"], key="pay-1")
    assert paid["errors"] == []
    assert paid["reservation"]["status"] == "PENDING"  # now waiting for the host
    assert moment(paid["reservation"]["expiresAt"]) > moment(made["expiresAt"])
    confirmed = await call(client, CONFIRM, host_token, id=made["id"])
    assert confirmed["errors"] == []
    assert confirmed["reservation"]["status"] == "CONFIRMED"
    assert confirmed["reservation"]["confirmedAt"] is not None
    assert confirmed["reservation"]["expiresAt"] is None
    again = await call(client, CONFIRM, host_token, id=made["id"])
    assert codes(again) == ["INVALID_STATE"]


async def test_cancel_keeps_its_reason_and_happens_once(client, db, host, guest_token):
    listing_id = await make_listing(db, host, units=1)
    made = await book_over_graphql(
        client, guest_token, listing_id, today_in("UTC") + timedelta(days=3), fields=FIELDS
    )

    cancelled = await call(client, CANCEL, guest_token, id=made["id"], reason="  Flight moved ")

    assert cancelled["errors"] == []
    assert cancelled["reservation"]["status"] == "CANCELLED"
    assert cancelled["reservation"]["cancelReason"] == "Flight moved"
    assert cancelled["reservation"]["cancelledAt"] is not None
    assert (await read(client, guest_token, made["id"]))["cancelReason"] == "Flight moved"
    again = await call(client, CANCEL, guest_token, id=made["id"], reason="again")
    assert codes(again) == ["INVALID_STATE"]
    assert (await read(client, guest_token, made["id"]))["cancelReason"] == "Flight moved"


async def test_change_of_dates_moves_the_stay_or_changes_nothing(client, db, host, guest_token):
    listing_id = await make_listing(db, host, units=1, nightly_price="100.00")
    other_token = await make_token(db, await make_user(db, Role.GUEST))
    day = today_in("UTC") + timedelta(days=20)
    mine = await book_over_graphql(
        client, guest_token, listing_id, day, fields=FIELDS
    )  # nights day, day+1
    await book_over_graphql(
        client, other_token, listing_id, day + timedelta(days=6), fields=FIELDS
    )  # day+6, day+7

    moved = await call(
        client,
        CHANGE,
        guest_token,
        input={"id": mine["id"], "startDate": (day + timedelta(2)).isoformat(), "nights": 3},
    )
    assert moved["errors"] == []
    assert moved["reservation"]["startDate"] == (day + timedelta(2)).isoformat()
    assert moved["reservation"]["endDate"] == (day + timedelta(5)).isoformat()
    assert moved["reservation"]["price"]["total"]["amount"] == "300.00"
    freed = await book_over_graphql(
        client, other_token, listing_id, day, fields=FIELDS
    )  # the old nights are free
    assert freed["status"] == "PENDING"

    clash = await call(
        client,
        CHANGE,
        guest_token,
        input={
            "id": mine["id"],
            "startDate": (day + timedelta(4)).isoformat(),
            "endDate": (day + timedelta(7)).isoformat(),
        },
    )
    assert codes(clash) == ["UNAVAILABLE"]
    assert clash["reservation"] is None
    kept = await read(client, guest_token, mine["id"])
    assert (kept["startDate"], kept["endDate"]) == (
        moved["reservation"]["startDate"],
        moved["reservation"]["endDate"],
    )
    assert kept["price"] == moved["reservation"]["price"]
    too_many = await call(
        client,
        CHANGE,
        guest_token,
        input={
            "id": mine["id"],
            "startDate": (day + timedelta(2)).isoformat(),
            "nights": 3,
            "quantity": 2,
        },
    )
    assert codes(too_many) == ["INVALID_INPUT"]


async def test_check_in_waits_for_the_first_day(client, db, host, host_token, guest_token):
    listing_id = await make_listing(db, host, units=1)
    made = await book_over_graphql(
        client, guest_token, listing_id, today_in("UTC") + timedelta(days=1), fields=FIELDS
    )
    await confirmed_by_payment(db, made["databaseId"])

    early = await call(client, CHECK_IN, host_token, id=made["id"])

    assert codes(early) == ["INVALID_STATE"]
    assert early["errors"][0]["message"].startswith("Check-in opens on")
    assert (await read(client, host_token, made["id"]))["status"] == "CONFIRMED"


async def test_a_stay_from_check_in_to_early_check_out(client, db, host, host_token, guest_token):
    zone = "Pacific/Kiritimati"  # UTC+14: "today" there is often not today in UTC
    listing_id = await make_listing(db, host, units=1, timezone=zone)
    today = today_in(zone)
    other_token = await make_token(db, await make_user(db, Role.GUEST))
    made = await book_over_graphql(client, guest_token, listing_id, today, nights=3, fields=FIELDS)
    assert codes(await call(client, CHECK_IN, host_token, id=made["id"])) == ["INVALID_STATE"]
    await confirmed_by_payment(db, made["databaseId"])

    assert codes(await call(client, CHECK_IN, guest_token, id=made["id"])) == ["FORBIDDEN"]
    arrived = await call(client, CHECK_IN, host_token, id=made["id"])
    assert arrived["errors"] == []
    assert arrived["reservation"]["status"] == "ACTIVE"
    assert arrived["reservation"]["checkedInAt"] is not None
    assert codes(await call(client, CANCEL, guest_token, id=made["id"])) == ["INVALID_STATE"]
    later = {"nights": 2}
    tomorrow = today + timedelta(1)
    full = await call(
        client,
        CREATE,
        other_token,
        input={"listingId": str(listing_id), "startDate": tomorrow.isoformat(), **later},
    )
    assert codes(full) == ["UNAVAILABLE"]

    assert codes(await call(client, CHECK_OUT, guest_token, id=made["id"])) == ["FORBIDDEN"]
    left = await call(client, CHECK_OUT, host_token, id=made["id"])
    assert left["errors"] == []
    assert left["reservation"]["status"] == "COMPLETED"
    assert left["reservation"]["checkedOutAt"] is not None
    assert left["reservation"]["endDate"] == tomorrow.isoformat()  # one night, not three
    rebooked = await book_over_graphql(
        client, other_token, listing_id, tomorrow, **later, fields=FIELDS
    )
    assert rebooked["status"] == "PENDING"
    assert codes(await call(client, CHECK_OUT, host_token, id=made["id"])) == ["INVALID_STATE"]


async def test_illegal_transitions_are_invalid_state(client, db, host, host_token, guest_token):
    listing_id = await make_listing(db, host, units=1)
    day = today_in("UTC") + timedelta(days=5)
    pending = await book_over_graphql(client, guest_token, listing_id, day, fields=FIELDS)
    cancelled = await book_over_graphql(
        client, guest_token, listing_id, day + timedelta(3), fields=FIELDS
    )
    await call(client, CANCEL, guest_token, id=cancelled["id"])
    change = {"startDate": (day + timedelta(9)).isoformat(), "nights": 1}

    for operation, token, variables in [
        (CHECK_IN, host_token, {"id": pending["id"]}),
        (CHECK_OUT, host_token, {"id": pending["id"]}),
        (CONFIRM, host_token, {"id": cancelled["id"]}),
        (CANCEL, host_token, {"id": cancelled["id"]}),
        (CHECK_IN, host_token, {"id": cancelled["id"]}),
        (PAY, guest_token, {"id": cancelled["id"], "key": "late"}),
        (CHANGE, guest_token, {"input": {"id": cancelled["id"], **change}}),
    ]:
        payload = await call(client, operation, token, **variables)
        assert codes(payload) == ["INVALID_STATE"], (operation, payload)
        assert payload["reservation"] is None
    assert (await read(client, guest_token, pending["id"]))["status"] == "PENDING"
    assert (await read(client, guest_token, cancelled["id"]))["status"] == "CANCELLED"


async def test_strangers_find_nothing(client, db, host, guest_token):
    listing_id = await make_listing(db, host, units=1)
    made = await book_over_graphql(
        client, guest_token, listing_id, today_in("UTC") + timedelta(days=5), fields=FIELDS
    )
    stranger_token = await make_token(db, await make_user(db, Role.GUEST))
    change = {"startDate": (today_in("UTC") + timedelta(days=9)).isoformat(), "nights": 1}

    for reservation_id in (made["id"], str(uuid.uuid4()), "not-an-id"):
        for operation, variables in [
            (CONFIRM, {"id": reservation_id}),
            (CANCEL, {"id": reservation_id, "reason": "mine now"}),
            (CHANGE, {"input": {"id": reservation_id, **change}}),
            (CHECK_IN, {"id": reservation_id}),
            (CHECK_OUT, {"id": reservation_id}),
        ]:
            payload = await call(client, operation, stranger_token, **variables)
            assert codes(payload) == ["NOT_FOUND"], (operation, reservation_id, payload)
    kept = await read(client, guest_token, made["id"])
    assert (kept["status"], kept["cancelReason"]) == ("PENDING", None)


async def test_lifecycle_mutations_need_a_principal(client, db, host, guest_token):
    listing_id = await make_listing(db, host, units=1)
    made = await book_over_graphql(
        client, guest_token, listing_id, today_in("UTC") + timedelta(days=5), fields=FIELDS
    )

    answer = await client(CHECK_IN, {"id": made["id"]})

    assert answer.status == 401
    assert answer.codes == ["UNAUTHENTICATED"]
