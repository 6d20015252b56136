"""Email addresses longer than SMTP carries (attacker review, suspicion 4): signup, a
booking without an account (guestEmail) and a host's phone booking took addresses up to
320 characters, which no mail server delivers (RFC 5321: a path of at most 256 octets, so
an address of 254, its local part at most 64): accounts and customers nobody can reach,
and a bounce for every notice. Each is refused INVALID_INPUT on its own field."""

from tests.accounts.test_auth import register
from tests.customers.test_phone_bookings import BOOK_SLOT, restaurant, slot
from tests.support.guest_checkout import checkout_listing, try_checkout


def address(length: int, local: int = 64) -> str:
    """An address of `length` characters whose local part has `local`."""
    domain = length - local - 1 - len(".test")
    return "a" * local + "@" + "b" * domain + ".test"


TOO_LONG = address(255)
LOCAL_TOO_LONG = address(100, local=65)


async def test_signup_refuses_an_address_over_254_characters(client):
    for email in (TOO_LONG, LOCAL_TOO_LONG):
        refused = await register(client, email)
        assert refused["accessToken"] is None
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("INVALID_INPUT", ["input", "email"])
        ]
    longest = await register(client, address(254))
    assert longest["errors"] == [], longest


async def test_a_booking_without_an_account_refuses_it(client, db, host):
    listing_id = await checkout_listing(db, host)
    answer = await try_checkout(client, listing_id, TOO_LONG)
    payload = answer.data["createReservation"]
    assert payload["reservation"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", ["input", "guestEmail"])
    ]


async def test_a_hosts_phone_booking_refuses_it(client, db, host, host_token):
    listing_id = await restaurant(db, host)
    fields = slot(listing_id, 19, bookedByHost=True, guestName="Paula", guestEmail=TOO_LONG)
    answer = await client(BOOK_SLOT, {"input": fields}, token=host_token)
    payload = answer.data["bookSlot"]
    assert payload["reservation"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", ["input", "guestEmail"])
    ]
