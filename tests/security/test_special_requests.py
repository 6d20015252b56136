"""Special requests are a guest's free text that lands in the host's inbox: a huge one is
refused before anything is written, and markup in one reaches the HTML email escaped (never
as tags or a link the host might follow)."""

from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bookwell.core.errors import DomainError
from bookwell.mail import compose
from bookwell.services.booking.guests import Guests
from bookwell.services.booking.reservations import NewReservation, create_reservation
from tests.factories import book, in_days, make_listing, try_book_over_graphql
from tests.notifications.notices import BERLIN_STAY, PUBLIC_URL, SENDER, notice

ATTACK = '<script>alert(1)</script><a href="https://evil.example/login">Verify your payout</a>'


async def test_a_huge_special_request_is_refused_and_nothing_is_booked(
    client, db, host, guest_token
):
    listing_id = await make_listing(db, host)
    refused = await try_book_over_graphql(
        client, guest_token, listing_id, in_days(20), specialRequests="A" * 100_000
    )
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("INVALID_INPUT", ["input", "specialRequests"])
    ]
    async with db.read() as session:
        count = await session.execute(
            text("SELECT count(*) FROM reservations WHERE listing_id = :id"), {"id": listing_id}
        )
        assert count.scalar_one() == 0


async def test_the_service_and_the_database_refuse_a_huge_request(db, host, guest):
    listing_id = await make_listing(db, host)
    data = NewReservation(listing_id, in_days(20), nights=2, guests=Guests(1, None, "B" * 2001))
    with pytest.raises(DomainError) as refused:
        async with db.transaction() as session:
            await create_reservation(session=session, guest=guest, data=data)
    assert refused.value.field == ("specialRequests",)
    booked = await book(db, guest, listing_id, in_days(30), nights=2)
    with pytest.raises(IntegrityError, match="special_requests_length"):
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE reservations SET special_requests = repeat('x', 2001) WHERE id = :id"),
                {"id": booked.id},
            )


def test_markup_in_special_requests_is_escaped_in_the_html_email():
    booking = replace(BERLIN_STAY, adults=2, special_requests=ATTACK)
    message = compose(
        notice("reservation.created", "host", booking=booking),
        sender=SENDER,
        public_url=PUBLIC_URL,
    )
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and '<a href="https://evil.example' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "evil.example" in html  # shown, as text
    plain = message.get_body(("plain",)).get_content()
    assert ATTACK in plain  # the text part is text: shown as sent
