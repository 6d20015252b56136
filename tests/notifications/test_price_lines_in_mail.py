"""A booking's discount and taxes appear in its emails, read from its price snapshot."""

from decimal import Decimal

from sqlalchemy import select

from bookwell.flows import booking as booking_flows
from bookwell.mail import compose
from bookwell.models import OutboxMessage, TaxKind, VoucherKind
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.listings import taxes as listing_taxes
from bookwell.services.listings.charges import Tax
from bookwell.services.vouchers import vouchers
from bookwell.workers.notices import notices_for
from tests.factories import in_days, make_listing
from tests.notifications.notices import PUBLIC_URL, SENDER


async def test_the_confirmation_shows_the_discount_and_each_tax(db, host, guest):
    listing_id = await make_listing(db, host, title="Taxed loft")
    async with db.transaction() as session:
        await listing_taxes.set_listing_taxes(
            session=session,
            principal=host,
            listing_id=listing_id,
            taxes=[
                Tax("VAT", TaxKind.PERCENT, inclusive=True, rate=Decimal("7")),
                Tax("Tourist tax", TaxKind.PER_PERSON_NIGHT, False, amount=Decimal("2.50")),
            ],
        )
        new = vouchers.NewVoucher("WELCOME", VoucherKind.PERCENT, Decimal("10"))
        await vouchers.create_voucher(session=session, principal=host, new=new)
    data = NewReservation(listing_id, in_days(12), nights=2, voucher_code="welcome")
    booked = await booking_flows.book(db, guest=guest, data=data)
    assert booked.total_amount == Decimal("185.00")  # 200 - 20 + 5.00 tourist tax

    async with db.read() as session:
        outbox_id = (
            await session.execute(
                select(OutboxMessage.id).where(OutboxMessage.reservation_id == booked.id)
            )
        ).scalar_one()
        notices = await notices_for(session, outbox_id)
    assert {notice.role for notice in notices} == {"guest", "host"}
    for notice in notices:
        message = compose(notice, sender=SENDER, public_url=PUBLIC_URL)
        _shows_the_price_lines(message.get_body(("plain",)).get_content())
        _shows_the_price_lines(message.get_body(("html",)).get_content())


def _shows_the_price_lines(body: str) -> None:
    assert "Voucher WELCOME (10%)" in body and "-20.00 USD" in body
    # 7/107 of the 180.00 left after the discount: in the price already.
    assert "VAT (7%) included" in body and "11.78 USD" in body
    assert "Tourist tax (1 person(s) x 2 night(s))" in body and "5.00 USD" in body
    assert "185.00 USD" in body
