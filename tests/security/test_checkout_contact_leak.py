"""Attacks on a checkout guest's contact details (review of the merge, findings 1 and 2).

A booking without an account, and a host's phone booking with the guest's address, share
one checkout `users` row per address (services/accounts/checkout.py). The attacks: a host
phone-books on their own listing with a stranger's address and reads the name and phone
that stranger gave another host (customers, Reservation.guest); anyone books without an
account with a stranger's address and a new phone, so every host's customers list shows
the attacker's number.

The defence: the name and phone a booking was made with stay on the reservation
(reservations.guest_name, guest_phone); a host's customers and Reservation.guest show a
checkout guest's from the host's own reservations (latest), never from the shared row,
which keeps no phone at all."""

from sqlalchemy import text

from bookwell.models import Role
from tests.customers.test_phone_bookings import CUSTOMERS, restaurant, slot
from tests.factories import in_days, make_token, make_user
from tests.support.guest_checkout import checkout, checkout_listing

VICTIM = "victim@example.com"
BOOK_SLOT = """
mutation($input: BookSlotInput!) {
  bookSlot(input: $input) {
    reservation { guestName guest { name email phone } }
    errors { code field }
  }
}"""

RESERVATIONS = "{ reservations(first: 10) { edges { node { guestName guest { name } } } } }"
RESERVATIONS_WITH_PAYMENT = """{ reservations(first: 10) { edges { node {
  payment { status } guest { name phone } } } } }"""


def _nodes(answer) -> list[dict]:
    assert answer.status == 200, answer.body
    return [edge["node"] for edge in answer.data["customers"]["edges"]]


async def test_a_host_never_reads_the_contact_a_guest_gave_another_host(
    client, db, host, host_token
):
    other = await make_user(db, Role.HOST, "Other Host")
    other_token = await make_token(db, other)
    b_listing = await checkout_listing(db, other)
    await checkout(
        client, b_listing, VICTIM, name="Victoria Secretname", guestPhone="+33 1 42 68 53 00"
    )
    # The attacker phone-books on their own restaurant with the victim's address only.
    a_listing = await restaurant(db, host)
    answer = await client(
        BOOK_SLOT,
        {"input": slot(a_listing, 19, bookedByHost=True, guestName="whoever", guestEmail=VICTIM)},
        token=host_token,
    )
    booked = answer.data["bookSlot"]
    assert booked["errors"] == [], booked
    assert booked["reservation"]["guest"]["name"] == "whoever"
    assert booked["reservation"]["guest"]["phone"] is None
    # Both read paths: compiled to SQL (graphql/engine/compiler/) and the ordinary one.
    for document in (RESERVATIONS, RESERVATIONS_WITH_PAYMENT):
        answer = await client(document, token=host_token)
        assert answer.status == 200, answer.body
        edges = answer.data["reservations"]["edges"]
        assert [edge["node"]["guest"]["name"] for edge in edges] == ["whoever"]
    nodes = _nodes(await client(CUSTOMERS, {"listing": None}, token=host_token))
    assert [(n["name"], n["phone"], n["bookings"]) for n in nodes] == [("whoever", None, 1)]
    assert "Secretname" not in str(nodes) and "42685300" not in str(nodes)
    # Host B still sees what the guest gave them, not what host A typed.
    nodes = _nodes(await client(CUSTOMERS, {"listing": None}, token=other_token))
    assert [(n["name"], n["phone"]) for n in nodes] == [("Victoria Secretname", "+33142685300")]


async def test_nobody_overwrites_the_phone_a_host_sees(client, db, host, host_token):
    listing = await checkout_listing(db, host)
    await checkout(
        client, listing, "victim2@example.com", name="Vic", guestPhone="+33 1 42 68 53 00"
    )
    # Another host's phone booking with the same address and their own phone.
    other = await make_user(db, Role.HOST, "Other Host")
    other_token = await make_token(db, other)
    answer = await client(
        BOOK_SLOT,
        {
            "input": slot(
                await restaurant(db, other),
                19,
                bookedByHost=True,
                guestName="Mallory",
                guestEmail="victim2@example.com",
                guestPhone="+44 20 7946 0958",
            )
        },
        token=other_token,
    )
    assert answer.data["bookSlot"]["errors"] == [], answer.body
    nodes = _nodes(await client(CUSTOMERS, {"listing": None}, token=host_token))
    assert [(n["name"], n["phone"]) for n in nodes] == [("Vic", "+33142685300")]
    # The shared row keeps no phone for anyone to overwrite.
    async with db.read() as session:
        phone = await session.scalar(
            text("SELECT phone FROM users WHERE lower(email) = 'victim2@example.com'")
        )
    assert phone is None


async def test_the_hosts_own_latest_booking_names_the_customer(client, db, host, host_token):
    """Without an account the guest's own later booking (their listing, their words) is
    what the host sees; one without a phone keeps the last phone given to that host."""
    listing = await checkout_listing(db, host)
    await checkout(client, listing, "v3@example.com", name="Vic", guestPhone="+33 1 42 68 53 00")
    await checkout(client, listing, "v3@example.com", name="Victor", start=in_days(30))
    nodes = _nodes(await client(CUSTOMERS, {"listing": None}, token=host_token))
    assert [(n["name"], n["phone"], n["bookings"]) for n in nodes] == [
        ("Victor", "+33142685300", 2)
    ]
