"""Booking without an account (issue 17.7): a listing that allows guest checkout takes
createReservation with a name and an email and no token; the answer's manage token views,
pays, changes and cancels that booking; checkout users are not accounts."""

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bookwell.cli.seed import seed
from bookwell.core.db import Database
from bookwell.services.booking.manage_tokens import ManageTokens
from bookwell.workers.delivery import deliver
from tests.factories import in_days, make_listing, make_slot_listing
from tests.support.graphql_client import database_id
from tests.support.guest_checkout import (
    CANCEL,
    CHANGE,
    CHECKOUT,
    PAY,
    READ,
    REVOKE,
    checkout,
    checkout_input,
    checkout_listing,
    try_checkout,
)

REGISTER = """mutation($email: String!) {
  register(input: {email: $email, password: "correct horse battery staple 9", name: "Real",
                   role: GUEST}) { accessToken errors { code field } }
}"""
LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } }
}"""
TERMS = """mutation($id: ID!, $allow: Boolean!) {
  updateListingTerms(listingId: $id, input: {allowGuestCheckout: $allow}) {
    listing { allowGuestCheckout } errors { code }
  }
}"""


async def checkout_users(db: Database, email: str) -> list[tuple]:
    async with db.read() as session:
        rows = await session.execute(
            text(
                "SELECT id, checkout, password_hash IS NULL, role FROM users "
                "WHERE lower(email) = lower(:email) ORDER BY checkout"
            ),
            {"email": email},
        )
        return [tuple(row) for row in rows]


async def test_a_guest_books_without_an_account_and_manages_it_with_the_token(
    client, db, host, settings
):
    listing = await checkout_listing(db, host)
    booked = await checkout(client, listing, "Wanda@Example.com")
    reservation = booked["reservation"]
    assert reservation["status"] == "PENDING"
    assert reservation["guestName"] == "Wanda Walkin"
    token = booked["manageToken"]
    assert booked["manageUrl"] == settings.manage_url_template.replace("{token}", token)

    # One checkout user for the address: GUEST, no password.
    [(_, is_checkout, no_password, role)] = await checkout_users(db, "wanda@example.com")
    assert (is_checkout, no_password, role) == (True, True, "GUEST")

    seen = await client(READ, {"id": reservation["id"]}, token=token)
    assert seen.data["reservation"]["id"] == reservation["id"]

    later = in_days(20)
    changed = await client(
        CHANGE,
        {"input": {"id": reservation["id"], "startDate": str(later), "nights": 3}},
        token=token,
    )
    assert changed.data["changeReservationDates"]["errors"] == []
    assert changed.data["changeReservationDates"]["reservation"]["startDate"] == str(later)

    paid = await client(PAY, {"id": reservation["id"], "key": "pay-1"}, token=token)
    assert paid.data["payReservation"]["errors"] == []
    assert paid.data["payReservation"]["reservation"]["status"] == "CONFIRMED"

    cancelled = await client(CANCEL, {"id": reservation["id"]}, token=token)
    assert cancelled.data["cancelReservation"]["errors"] == []
    assert cancelled.data["cancelReservation"]["reservation"]["status"] == "CANCELLED"


async def test_the_same_address_shares_one_checkout_user(client, db, host):
    listing = await checkout_listing(db, host)
    first = await checkout(client, listing, "same@example.com")
    second = await checkout(client, listing, "SAME@example.com", start=in_days(30))
    assert first["reservation"]["id"] != second["reservation"]["id"]
    assert first["manageToken"] != second["manageToken"]
    assert len(await checkout_users(db, "same@example.com")) == 1


async def test_a_listing_without_guest_checkout_refuses_as_before(client, db, host):
    listing = await make_listing(db, host)
    answer = await try_checkout(client, listing, "nobody@example.com")
    assert answer.status == 401
    assert answer.codes == ["UNAUTHENTICATED"]
    assert await checkout_users(db, "nobody@example.com") == []
    # An unknown listing answers the same: nothing more is learnt without an account.
    unknown = await try_checkout(client, uuid.uuid4(), "nobody@example.com")
    assert unknown.codes == ["UNAUTHENTICATED"]


async def test_a_host_turns_guest_checkout_on_with_the_listing_terms(client, db, host, host_token):
    listing = await make_listing(db, host)
    answer = await client(TERMS, {"id": str(listing), "allow": True}, token=host_token)
    assert answer.data["updateListingTerms"]["listing"] == {"allowGuestCheckout": True}
    await checkout(client, listing, "after@example.com")


async def test_name_and_email_are_required_without_an_account(client, db, host):
    listing = await checkout_listing(db, host)
    answer = await try_checkout(client, listing, "not an email", name="  ")
    payload = answer.data["createReservation"]
    assert payload["reservation"] is None and payload["manageToken"] is None
    assert {(e["code"], tuple(e["field"])) for e in payload["errors"]} == {
        ("INVALID_INPUT", ("input", "guestEmail")),
        ("INVALID_INPUT", ("input", "guestName")),
    }
    # Without guestName at all: the same.
    answer = await client(
        CHECKOUT,
        {"input": {k: v for k, v in checkout_input(listing).items() if k != "guestName"}},
    )
    errors = answer.data["createReservation"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", ["input", "guestName"])]


async def test_signed_in_callers_book_as_themselves_without_a_manage_token(
    client, db, host, guest_token
):
    listing = await checkout_listing(db, host)
    answer = await client(
        """mutation($input: CreateReservationInput!) {
          createReservation(input: $input) { reservation { id } manageToken errors { code field } }
        }""",
        {"input": {"listingId": str(listing), "startDate": str(in_days(5)), "nights": 1}},
        token=guest_token,
    )
    payload = answer.data["createReservation"]
    assert payload["errors"] == [] and payload["manageToken"] is None


async def test_a_checkout_user_never_signs_in_and_a_real_account_is_untouched(client, db, host):
    listing = await checkout_listing(db, host)
    await checkout(client, listing, "both@example.com")

    # Registering the address still works: the checkout row does not take it.
    registered = await client(REGISTER, {"email": "both@example.com"})
    assert registered.data["register"]["errors"] == []
    assert registered.data["register"]["accessToken"]
    rows = await checkout_users(db, "both@example.com")
    assert [row[1] for row in rows] == [False, True]

    # The account signs in; no password signs in as the checkout user.
    good = await client(
        LOGIN, {"email": "both@example.com", "password": "correct horse battery staple 9"}
    )
    account_token = good.data["login"]["accessToken"]
    assert account_token
    me = await client("{ me { email } }", token=account_token)
    assert me.data["me"]["email"] == "both@example.com"
    bad = await client(LOGIN, {"email": "both@example.com", "password": ""})
    assert bad.data["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]

    # The account sees none of the checkout bookings of its address.
    mine = await client("{ reservations { totalCount } }", token=account_token)
    assert mine.data["reservations"]["totalCount"] == 0

    # And checkout again after registering still books as the checkout user.
    await checkout(client, listing, "both@example.com", start=in_days(40))
    assert len(await checkout_users(db, "both@example.com")) == 2


async def test_an_idempotent_replay_answers_the_same_reservation_and_token(client, db, host):
    listing = await checkout_listing(db, host)
    key = str(uuid.uuid4())
    first = await checkout(client, listing, "retry@example.com", idempotencyKey=key)
    again = await checkout(client, listing, "retry@example.com", idempotencyKey=key)
    assert again["reservation"]["id"] == first["reservation"]["id"]
    assert again["manageToken"] == first["manageToken"]
    async with db.read() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM reservations WHERE listing_id = :id"), {"id": listing}
        )
    assert count == 1
    # A short key is refused without an account: a replay hands out the manage token.
    short = await try_checkout(client, listing, "retry@example.com", idempotencyKey="k1")
    errors = short.data["createReservation"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_INPUT", ["input", "idempotencyKey"])
    ]


async def test_the_same_address_hits_the_per_guest_hold_limit(client, db, host):
    listing = await checkout_listing(db, host, max_guest_holds=2)
    for days in (10, 20):
        await checkout(client, listing, "greedy@example.com", start=in_days(days))
    refused = await try_checkout(client, listing, "Greedy@Example.com", start=in_days(30))
    errors = refused.data["createReservation"]["errors"]
    assert [e["code"] for e in errors] == ["HOLD_LIMIT"]
    # Another address is another guest.
    await checkout(client, listing, "other@example.com", start=in_days(30))


async def test_the_booking_belongs_to_the_checkout_user(client, db, host):
    listing = await checkout_listing(db, host)
    booked = await checkout(client, listing, "owner@example.com")
    [(user_id, *_)] = await checkout_users(db, "owner@example.com")
    async with db.read() as session:
        guest_id = await session.scalar(
            text("SELECT guest_id FROM reservations WHERE id = :id"),
            {"id": database_id(booked["reservation"]["id"])},
        )
    assert guest_id == user_id


class Outbox:
    """A mailer that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list = []

    async def send(self, message) -> None:
        self.messages.append(message)


async def test_the_confirmation_email_carries_the_manage_link_until_revoked(
    client, db, host, settings
):
    listing = await checkout_listing(db, host, title="Quay Cottage")
    booked = await checkout(client, listing, "mailme@example.com")
    rid = database_id(booked["reservation"]["id"])
    async with db.read() as session:
        outbox_id = await session.scalar(
            text(
                "SELECT id FROM outbox WHERE reservation_id = :id AND event = 'reservation.created'"
            ),
            {"id": rid},
        )
    links = ManageTokens.for_settings(settings, settings.secret_key)

    async def guest_email() -> str:
        mailer = Outbox()
        await deliver(
            db, mailer, outbox_id, sender="b@example.com", public_url="http://x", manage_links=links
        )
        [message] = [m for m in mailer.messages if "mailme@example.com" in m["To"]]
        async with db.transaction() as session:  # let the same event be delivered again
            await session.execute(text("DELETE FROM notification_log"))
        return message.get_body(("plain",)).get_content()

    plain = await guest_email()
    assert booked["manageUrl"] in plain.replace("=\n", "")
    # A link revoked since the booking is not sent again.
    await client(REVOKE, {"id": booked["reservation"]["id"]}, token=booked["manageToken"])
    assert booked["manageUrl"] not in (await guest_email()).replace("=\n", "")


async def test_the_demo_data_has_guest_checkout_listings_and_a_booking_without_account(db):
    await seed(db, reservations_count=10)
    async with db.read() as session:
        allowing = await session.scalar(
            text("SELECT count(*) FROM listings WHERE allow_guest_checkout")
        )
        walk_ins = await session.scalar(
            text(
                "SELECT count(*) FROM reservations r JOIN users u ON u.id = r.guest_id "
                "WHERE u.checkout"
            )
        )
    # The booking without an account, and the demo host's phone booking for Mme Rousseau.
    assert allowing >= 1 and walk_ins == 2


BOOK_SLOT = """mutation($input: BookSlotInput!) {
  bookSlot(input: $input) {
    reservation { id status } manageToken manageUrl errors { code field }
  }
}"""


async def test_a_slot_is_booked_without_an_account_and_cancelled_with_its_link(client, db, host):
    space = await make_slot_listing(db, host)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET allow_guest_checkout = true WHERE id = :id"), {"id": space}
        )
    starts_at = datetime.combine(in_days(7, "Europe/Berlin"), time(10), ZoneInfo("Europe/Berlin"))
    slot = {"listingId": str(space), "startsAt": starts_at.isoformat()}
    walk_in = slot | {"guestName": "Sam Slot", "guestEmail": "sam@example.com"}
    answer = await client(BOOK_SLOT, {"input": walk_in})
    payload = answer.data["bookSlot"]
    assert payload["errors"] == [] and payload["manageToken"]
    rid = payload["reservation"]["id"]
    seen = await client(READ, {"id": rid}, token=payload["manageToken"])
    assert seen.data["reservation"]["id"] == rid
    cancelled = await client(CANCEL, {"id": rid}, token=payload["manageToken"])
    assert cancelled.data["cancelReservation"]["reservation"]["status"] == "CANCELLED"

    # Without a name and email, or on a listing that does not allow it: sign in.
    assert (await client(BOOK_SLOT, {"input": slot})).codes == ["UNAUTHENTICATED"]
    closed = await make_slot_listing(db, host)
    other = walk_in | {"listingId": str(closed)}
    assert (await client(BOOK_SLOT, {"input": other})).codes == ["UNAUTHENTICATED"]
