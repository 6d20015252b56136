from datetime import datetime

import strawberry


@strawberry.input(
    description="A time slot to hold at a RESTAURANT, SPACE or EQUIPMENT listing: "
    "[startsAt, endsAt) of its wall-clock time, not in the past and at most 366 days ahead."
)
class BookSlotInput:
    listing_id: strawberry.ID = strawberry.field(
        description="The slot listing (STAY listings are booked with createReservation)."
    )
    starts_at: datetime = strawberry.field(
        description="With its UTC offset; a start on the listing's slot grid, in its hours."
    )
    ends_at: datetime | None = strawberry.field(
        default=None,
        description="Default: startsAt plus a restaurant's sitting, or one slot. A whole "
        "number of slots after startsAt.",
    )
    party_size: int | None = strawberry.field(
        default=None,
        description="The party: required for restaurants (the table must seat it) unless "
        "adults are given; rooms and items: at most maxGuests x quantity (else "
        "TOO_MANY_GUESTS). With adults, it must equal adults + children.",
    )
    adults: int | None = strawberry.field(
        default=None,
        description="Adults coming, at least 1. adults + children is the party: partySize "
        "defaults to it, and must equal it when both are given.",
    )
    children: int | None = strawberry.field(
        default=None, description="Children coming (0 or more); give adults too."
    )
    voucher_code: str | None = strawberry.field(
        default=None,
        description="A voucher code of the listing's host (any case): its discount is a "
        "DISCOUNT line item, before taxes. VOUCHER_INVALID (no such code, inactive, outside its "
        "dates), VOUCHER_EXHAUSTED (used up) or VOUCHER_NOT_APPLICABLE (not for this listing).",
    )
    quantity: int = strawberry.field(
        default=1, description="Rooms or items to take (a party takes one table)."
    )
    special_requests: str | None = strawberry.field(
        default=None,
        description="A note to the host, plain text of at most 2000 characters (shown as "
        "text, never as markup).",
    )
    guest_name: str | None = strawberry.field(
        default=None,
        description="Who comes, at most 200 characters; defaults to the signed-in user's name. "
        "Required without an account.",
    )
    guest_email: str | None = strawberry.field(
        default=None,
        description="Booking without an account (a listing with allowGuestCheckout, no "
        "token): the guest's email address, where the confirmation and its manage link go. "
        "With bookedByHost: the guest's address, whose booking it then is (they get its "
        "emails and manage link, and are one of your customers). Otherwise refused when "
        "signed in.",
    )
    guest_phone: str | None = strawberry.field(
        default=None,
        description="The guest's phone number with its country code (such as +33 1 42 68 53 "
        "00), optional: without an account, or with bookedByHost and guestEmail. Kept (E.164) "
        "with the guest's address, where the host's customers list shows it.",
    )
    unit_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="This table (room, item) rather than the first free one that fits: an id "
        "from Listing.bookableUnits or freeUnits. Booked only when it is free for the whole "
        "slot (else UNAVAILABLE) and, at a restaurant, seats partySize (else TABLE_TOO_SMALL); "
        "quantity must be 1. Null: assigned automatically (a party gets the smallest free "
        "table that seats it).",
    )
    booked_by_host: bool = strawberry.field(
        default=False,
        description="true: you, the listing's host (or an admin), book it for the guest named "
        "in guestName, e.g. on the phone. The reservation is yours to manage, CONFIRMED at once "
        "(paid at the venue) and outside the unpaid-hold limits; with guestEmail it is that "
        "guest's booking (never your own customer record). Anyone else: FORBIDDEN.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="1 to 200 characters. Retrying with the same key and input returns the "
        "first result again; another input answers IDEMPOTENCY_KEY_REUSED.",
    )
