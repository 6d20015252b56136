from collections.abc import Mapping
from enum import Enum

import strawberry

from bookwell import models
from bookwell.core.errors import ErrorCode as DomainErrorCode


def describe_enum(
    domain: type[Enum], *, name: str, description: str, values: Mapping[str, str]
) -> None:
    """Make the domain enum itself a GraphQL enum (`strawberry.enum` marks the class in
    place), with a description for each value. The domain enums are StrEnums, whose members
    cannot be `strawberry.enum_value(...)`, so the descriptions go on the GraphQL definition;
    the values themselves stay the domain's. The GraphQL modules name the domain class
    (`ListingKind = models.ListingKind`), so annotations see a class."""
    unknown = set(values) - set(domain.__members__)
    if unknown:
        raise ValueError(f"{name} has no value {', '.join(sorted(unknown))}")
    enum = strawberry.enum(domain, name=name, description=description)
    # strawberry sets __strawberry_definition__ at run time; its typing of the class omits it
    for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values.get(value.name)


# The GraphQL enums are the domain's own enums, so the two can never drift apart.
ListingKind = models.ListingKind
describe_enum(
    ListingKind,
    name="ListingKind",
    description="What a listing rents out, which decides how it is booked: by the night "
    "(STAY) or by time slot (the others).",
    values={
        "STAY": "Rooms or homes booked by the night with createReservation: nights "
        "[startDate, endDate) in the listing's timezone.",
        "RESTAURANT": "Tables booked with bookSlot: one table per party (the smallest free one "
        "that seats partySize), held for sittingMinutes.",
        "SPACE": "Rooms (meeting rooms, studios) booked with bookSlot in whole slots of "
        "slotMinutes, `quantity` rooms at once.",
        "EQUIPMENT": "Items (bikes, tools) booked with bookSlot in whole slots of slotMinutes, "
        "`quantity` items at once.",
    },
)
ReservationStatus = models.ReservationStatus
describe_enum(
    ReservationStatus,
    name="ReservationStatus",
    description="Where a reservation is in its life: PENDING, then CONFIRMED, ACTIVE and "
    "COMPLETED, or CANCELLED, EXPIRED or NO_SHOW. PENDING, CONFIRMED and ACTIVE hold their units.",
    values={
        "PENDING": "A hold: its units are taken until expiresAt. Paying confirms it on an "
        "instant-book listing; otherwise, paid, it waits up to approvalHours for the host.",
        "CONFIRMED": "Booked (paid or free, and accepted): holds its units. Calendar blocks "
        "imported with importCalendar are CONFIRMED too.",
        "ACTIVE": "Checked in (by the host, or at the listing's check-in time): holds its units "
        "until check-out.",
        "COMPLETED": "Checked out: the stay or slot is over. An early check-out frees the nights "
        "not slept; a COMPLETED stay may be reviewed.",
        "CANCELLED": "Cancelled by the guest or the host (or a block whose event left its "
        "calendar): the units were freed at once, and a refund follows the cancellation policy.",
        "EXPIRED": "A hold neither paid nor confirmed by expiresAt: its units were freed at once, "
        "and anything paid was refunded in full.",
        "NO_SHOW": "The guest never came: marked by the host (markNoShow) or, on a listing with "
        "autoNoShowAfterHours, by the scheduler when nobody checked in by then. Its units "
        "were freed at once; nothing of the price is refunded.",
    },
)
HostNotice = models.HostNotice
describe_enum(
    HostNotice,
    name="HostNotice",
    description="Whether a listing's host gets a copy of the email its guest gets when a "
    "booking becomes ACTIVE (notifyHostOnCheckIn) or NO_SHOW (notifyHostOnNoShow).",
    values={
        "ALWAYS": "A copy whoever made the change: the host, an admin or the scheduler.",
        "WHEN_AUTOMATIC": "A copy only when the scheduler made the change (at check-in time, or "
        "autoNoShowAfterHours after the start), not the host: the default.",
        "NEVER": "No copy; the guest is told all the same.",
    },
)
Role = models.Role
describe_enum(
    Role,
    name="Role",
    description="What a user may see and do.",
    values={
        "GUEST": "Books, pays, cancels and reviews; sees their own reservations only.",
        "HOST": "A guest who also creates listings, and sees and manages the reservations on "
        "them and their reports.",
        "ADMIN": "Sees and may manage every listing, reservation and report. Made with "
        "`bookwell user create --admin`, never by register.",
    },
)
ErrorCode = DomainErrorCode
describe_enum(
    ErrorCode,
    name="ErrorCode",
    description="Why an operation was refused: the `code` of a mutation payload's UserError, "
    "or of a GraphQL error's `extensions` when a query or a missing sign-in is refused.",
    values={
        "INVALID_INPUT": "An input breaks a rule (a length, a range such as first between 1 and "
        "100, a money amount, a cursor not from this API); `field` names it.",
        "INVALID_DATES": "No valid range: endDate and nights both or neither, endDate not after "
        "startDate, over 365 nights, a start before today in the listing's timezone, or a slot "
        "time off the listing's grid or hours, or past.",
        "INVALID_STATE": "The object's state does not allow it: e.g. paying an expired hold, "
        "confirming a CANCELLED reservation, checking in before the first night, reviewing a "
        "stay not COMPLETED, waitlisting a range that has room.",
        "NOT_FOUND": "No object with that id that you may see: others' reservations and "
        "waitlist entries are NOT_FOUND, never FORBIDDEN.",
        "UNAVAILABLE": "Not `quantity` units free for the whole range or slot (PostgreSQL's "
        "capacity check refused it); nothing was booked or changed.",
        "FORBIDDEN": "You may see the object but not do this: e.g. a guest confirming a booking, "
        "someone else changing a listing, a guest asking for a report, registering as ADMIN.",
        "UNAUTHENTICATED": "The operation needs a signed-in user and the request had no "
        "`Authorization: Bearer <token>`: a GraphQL error answered with HTTP 401.",
        "EMAIL_TAKEN": "register: that email address has an account already (any case).",
        "INVALID_CREDENTIALS": "login: wrong email or password (never says which).",
        "IDEMPOTENCY_KEY_REUSED": "This idempotencyKey was used before by you with a different "
        "input (or to pay another reservation); nothing was done.",
        "PAYMENT_REQUIRED": "The guest has not paid yet (confirmReservation), or new dates cost "
        "more than was paid (changeReservationDates: cancel and book them instead).",
        "PAYMENT_FAILED": "The payment was declined or the payment service did not answer (the "
        "hold stays: pay again with a new idempotencyKey), or a refund failed (nothing changed).",
        "ALREADY_EXISTS": "It exists already: the stay has a review, or you are on the waitlist "
        "for that range.",
        "HOLD_LIMIT": "An unpaid hold would pass one of the listing's hold limits, which the "
        "message names: maxHoldNights or maxHoldUnits (one hold's nights or units), "
        "maxGuestHolds or maxListingHolds (unpaid holds at once); nothing was held.",
        "TABLE_TOO_SMALL": "bookSlot: the table chosen with unitId seats fewer people than "
        "partySize; choose a larger one (see Listing.bookableUnits) or leave unitId out.",
        "UNITS_IN_USE": "updateListing: fewer units than are booked on some nights, which the "
        "message names (at most 10); nothing changed.",
        "HAS_BOOKINGS": "The listing has bookings that forbid it: deleting a listing that was "
        "ever booked (archive it instead), or changing the timezone or currency while "
        "bookings are upcoming.",
        "LISTING_ARCHIVED": "The listing is archived: it takes no new bookings or quotes "
        "(its host may unarchive it).",
        "INVALID_IMAGE": "The upload is not a JPEG, PNG or WebP image that can be read.",
        "IMAGE_TOO_LARGE": "The image has more bytes or pixels than the server accepts (the "
        "message says how many).",
        "BLACKOUT_CONFLICT": "createBlackout: bookings hold units the blackout asks for; one "
        "error per booking, naming it (at most 20), also listed in the payload's conflicts. "
        "Nothing changed and no booking was moved.",
        "RULE_VIOLATED": "The dates or time break one of the listing's booking rules (its own or "
        "a season's); `field` ends with the rule (minNights, maxNights, minNoticeHours, "
        "bookingWindowDays, arrivalWeekdays, departureWeekdays) and the message names it.",
        "TOO_MANY_GUESTS": "adults + children (or partySize) pass the listing's maxGuests per "
        "unit times the units booked; book more units or fewer guests.",
        "VOUCHER_INVALID": "voucherCode: the listing's host has no such code, or it is "
        "deactivated or outside its validFrom/validUntil; nothing was booked.",
        "VOUCHER_EXHAUSTED": "voucherCode: every use of the code is taken (by bookings not "
        "cancelled or expired); nothing was booked.",
        "VOUCHER_NOT_APPLICABLE": "voucherCode: the code is for other listings of its host.",
        "GUEST_EMAIL_LIMIT": "bookSlot with bookedByHost: each booking emails guestEmail, so a "
        "host books for one address at most 5 times a day and names at most 500 addresses a "
        "day; nothing was booked (book without guestEmail).",
    },
)
TaxKind = models.TaxKind
describe_enum(
    TaxKind,
    name="TaxKind",
    description="How a listing's tax is computed.",
    values={
        "PERCENT": "`rate` percent of the price (nights and fees, after any discount).",
        "PER_PERSON_NIGHT": "`amount` per person and night, such as a tourist tax; the "
        "persons are the booking's (or quote's) adults + children, one per unit booked when "
        "they are not given.",
    },
)
VoucherKind = models.VoucherKind
describe_enum(
    VoucherKind,
    name="VoucherKind",
    description="What a voucher takes off the nights' price.",
    values={
        "PERCENT": "`value` percent of the nights.",
        "FIXED": "`value` in the listing's currency, at most the nights' price.",
    },
)
