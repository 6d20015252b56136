"""bookSlot with or without an account (issue 17.7): restaurant guests rarely sign up.

Signed in, bookSlot books as before (graphql/slots/resolvers.py). Without a token, on a
listing that allows guest checkout, `guestName` and `guestEmail` stand in for the account,
as for createReservation (graphql/booking/checkout.py), and the answer carries the
booking's manage token and link."""

import dataclasses
from collections.abc import Awaitable
from typing import Annotated

import strawberry

from bookwell.core.errors import DomainError, InputErrors, invalid
from bookwell.flows import slots as slot_flows
from bookwell.graphql.booking.checkout import (
    CreateReservationPayload,
    answer_checkout,
    as_signed_in,
    check_checkout_input,
    origin_of,
)
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import parse_id
from bookwell.graphql.shared.errors import INPUT, user_errors
from bookwell.graphql.slots import resolvers as slot_resolvers
from bookwell.graphql.slots.inputs import BookSlotInput
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.slots import slots


async def book_slot(
    info: Info,
    input: Annotated[BookSlotInput, strawberry.argument(description="The slot to hold.")],
) -> CreateReservationPayload:
    signed_in = await as_signed_in(
        info,
        input.guest_email,
        lambda: slot_resolvers.book_slot(info, input),
        guest_phone=input.guest_phone,
        by_host=input.booked_by_host,
    )
    if signed_in is not None:
        return signed_in
    assert input.guest_email is not None
    try:
        data = _new_slot_booking(input)
    except DomainError as error:
        return CreateReservationPayload(errors=user_errors(error, INPUT))
    assert input.guest_name is not None
    # The guest's phone goes with this booking only (not their address's shared row).
    data = dataclasses.replace(data, origin=origin_of(info), guest_phone=input.guest_phone)

    def book(guest: Principal) -> Awaitable[ReservationRecord]:
        return slot_flows.book_slot(
            info.context.db, guest=guest, data=data, idempotency_key=input.idempotency_key
        )

    return await answer_checkout(
        info,
        email=input.guest_email,
        name=input.guest_name,
        listing_id=data.listing_id,
        book=book,
    )


def _new_slot_booking(input: BookSlotInput) -> slots.NewSlotBooking:
    """The slot asked for, after the checks that need no database: all mistakes at once.
    (The same fields as graphql/slots/resolvers.py book_slot passes.)"""
    found = InputErrors()
    listing_id = found.check(parse_id, input.listing_id, "listing", "listingId")
    unit_id = None
    if input.unit_id is not None:
        unit_id = found.check(parse_id, input.unit_id, "unit", "unitId")
    if input.booked_by_host:
        found.add(invalid("bookedByHost", "A host's booking for a guest needs the host's token."))
    found.check(
        slots.check_slot_booking_input,
        party_size=input.party_size,
        quantity=input.quantity,
        guest_name=input.guest_name,
        idempotency_key=input.idempotency_key,
        special_requests=input.special_requests,
        adults=input.adults,
        children=input.children,
    )
    found.check(
        check_checkout_input,
        guest_name=input.guest_name,
        guest_email=input.guest_email,
        idempotency_key=input.idempotency_key,
        guest_phone=input.guest_phone,
    )
    found.raise_if_any()
    assert listing_id is not None
    return slots.NewSlotBooking(
        listing_id=listing_id,
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        party_size=input.party_size,
        quantity=input.quantity,
        guest_name=input.guest_name,
        special_requests=input.special_requests,
        adults=input.adults,
        children=input.children,
        voucher_code=input.voucher_code,
        unit_id=unit_id,
    )
