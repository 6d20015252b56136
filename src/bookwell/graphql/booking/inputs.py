"""Inputs of createReservation and changeReservationDates."""

from datetime import date

import strawberry

from bookwell.graphql.booking.plain_input import plain_input


@plain_input
@strawberry.input(
    description="A stay to hold: `quantity` units of a STAY listing on every night of "
    "[startDate, endDate), in the listing's timezone."
)
class CreateReservationInput:
    listing_id: strawberry.ID = strawberry.field(
        description="The STAY listing (slot listings are booked with bookSlot)."
    )
    start_date: date = strawberry.field(
        description="The first night (check-in day); not before today in the listing's timezone."
    )
    end_date: date | None = strawberry.field(
        default=None, description="Check-out day. Give endDate or nights, not both."
    )
    nights: int | None = strawberry.field(
        default=None, description="Nights to stay, 1 to 365, instead of endDate."
    )
    quantity: int = strawberry.field(
        default=1, description="Units taken on every night, 1 to the listing's units."
    )
    guest_name: str | None = strawberry.field(
        default=None,
        description="Who stays, at most 200 characters; defaults to the signed-in user's name. "
        "Required without an account.",
    )
    guest_email: str | None = strawberry.field(
        default=None,
        description="Booking without an account (a listing with allowGuestCheckout, no "
        "token): the guest's email address, where the confirmation and its manage link go. "
        "Refused when signed in.",
    )
    guest_phone: str | None = strawberry.field(
        default=None,
        description="Booking without an account: the guest's phone number with its country "
        "code (such as +33 1 42 68 53 00), optional; kept (E.164) with the address, where the "
        "host's customers list shows it. Refused when signed in (see updateProfile).",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="1 to 200 characters. Retrying with the same key and input returns the "
        "first result again; another input answers IDEMPOTENCY_KEY_REUSED.",
    )
    adults: int | None = strawberry.field(
        default=None,
        description="Adults staying, at least 1; with children, at most the listing's "
        "maxGuests times quantity (else TOO_MANY_GUESTS).",
    )
    children: int | None = strawberry.field(
        default=None, description="Children staying (0 or more); give adults too."
    )
    special_requests: str | None = strawberry.field(
        default=None,
        description="A note to the host, plain text of at most 2000 characters (shown as "
        "text, never as markup).",
    )
    voucher_code: str | None = strawberry.field(
        default=None,
        description="A voucher code of the listing's host (any case): its discount is a "
        "DISCOUNT line item. VOUCHER_INVALID (no such code, inactive, outside its dates), "
        "VOUCHER_EXHAUSTED (used up) or VOUCHER_NOT_APPLICABLE (not for this listing).",
    )


@strawberry.input(
    description="New nights (and quantity) for a PENDING or CONFIRMED stay, priced again at "
    "today's rates under the cancellation policy agreed at booking."
)
class ChangeReservationDatesInput:
    id: strawberry.ID = strawberry.field(description="The reservation to move.")
    start_date: date = strawberry.field(
        description="The new first night; not before today in the listing's timezone."
    )
    end_date: date | None = strawberry.field(
        default=None, description="Check-out day. Give endDate or nights, not both."
    )
    nights: int | None = strawberry.field(
        default=None, description="Nights to stay, 1 to 365, instead of endDate."
    )
    quantity: int | None = strawberry.field(default=None, description="Unchanged when null.")
