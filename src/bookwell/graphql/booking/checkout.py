"""createReservation with or without an account, and revokeManageLink (issue 17.7).

Signed in, createReservation books as before (graphql/booking/resolvers.py). Without a
token, on a listing that allows guest checkout, `guestName` and `guestEmail` stand in for
the account (flows/checkout.py), and the answer carries the booking's manage token and
link. Anywhere else, no token is UNAUTHENTICATED as for every other booking."""

import dataclasses
import ipaddress
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from bookwell.core.errors import DomainError, DomainErrors, InputErrors, invalid
from bookwell.flows import booking, checkout
from bookwell.graphql.booking import resolvers as reservation_resolvers
from bookwell.graphql.booking.inputs import CreateReservationInput
from bookwell.graphql.booking.types import Reservation, ReservationPayload
from bookwell.graphql.context import Info
from bookwell.graphql.limits.checkout_limits import limit_checkout_bookings
from bookwell.graphql.shared.common import errors_as_data, parse_id, require_principal
from bookwell.graphql.shared.errors import INPUT, UserError, user_errors
from bookwell.services.accounts.accounts import check_account_input, checked_name
from bookwell.services.accounts.phones import normalized_phone
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.manage_tokens import ManageTokens
from bookwell.services.booking.origins import Origin
from bookwell.services.booking.records import ReservationRecord

# A replay by the same address answers the booking's manage token: a key of a booking
# without an account must be hard to guess (a UUID is), not just unique to one client.
MIN_CHECKOUT_KEY = 16


@strawberry.type(
    description="What createReservation answers: the hold, or why not; booked without an "
    "account, also the link that manages it."
)
class CreateReservationPayload:
    reservation: Reservation | None = strawberry.field(
        default=None, description="The hold made; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing was booked (the mutation's description lists the codes); "
        "empty on success.",
    )
    manage_token: str | None = strawberry.field(
        default=None,
        description="Booked without an account: the token that views, pays, changes or "
        "cancels this one booking, sent as `Authorization: Bearer <manageToken>`. Valid until "
        "the booking's end plus BOOKWELL_MANAGE_TOKEN_GRACE_DAYS, or until revoked "
        "(revokeManageLink). Keep it secret. Null when signed in.",
    )
    manage_url: str | None = strawberry.field(
        default=None,
        description="Booked without an account: the page that manages the booking "
        "(BOOKWELL_MANAGE_URL_TEMPLATE with the token), also sent in the confirmation email. "
        "Null when signed in.",
    )


def manage_tokens(info: Info) -> ManageTokens:
    settings = info.context.settings
    return ManageTokens.like(
        info.context.access_tokens,
        grace_days=settings.manage_token_grace_days,
        url_template=settings.manage_url_template,
    )


async def create_reservation(
    info: Info,
    input: Annotated[CreateReservationInput, strawberry.argument(description="The stay to hold.")],
) -> CreateReservationPayload:
    signed_in = await as_signed_in(
        info,
        input.guest_email,
        lambda: reservation_resolvers.create_reservation(info, input),
        guest_phone=input.guest_phone,
    )
    return signed_in or await _book_without_account(info, input)


async def as_signed_in(
    info: Info,
    guest_email: str | None,
    book: Callable[[], Awaitable[ReservationPayload]],
    *,
    guest_phone: str | None = None,
    by_host: bool = False,
) -> CreateReservationPayload | None:
    """With a token, the booking `book` makes as before (guestEmail and guestPhone refused
    unless a host books for a guest: the booking is the account's); None to book without an
    account; UNAUTHENTICATED with neither."""
    if info.context.principal is not None:
        given = [("guestEmail", guest_email), ("guestPhone", guest_phone)]
        errors = [
            invalid(
                field,
                f"Signed in, the booking is yours: {field} is for booking without an account "
                "(or a host's booking for a guest).",
            )
            for field, value in given
            if value is not None and not by_host
        ]
        if errors:
            return CreateReservationPayload(errors=user_errors(DomainErrors(errors), INPUT))
        booked = await book()
        return CreateReservationPayload(reservation=booked.reservation, errors=booked.errors)
    if guest_email is None:
        require_principal(info)  # UNAUTHENTICATED, as always without a token
    return None


def check_checkout_input(
    *,
    guest_name: str | None,
    guest_email: str | None,
    idempotency_key: str | None,
    guest_phone: str | None = None,
) -> None:
    """The guest's name, address, phone and key, beside the booking's own checks."""
    found = InputErrors()
    found.check(_as_field, "guestName", checked_name, guest_name or "")
    found.check(_as_field, "guestEmail", _checked_email, guest_email or "")
    if guest_phone is not None:
        found.check(normalized_phone, guest_phone, "guestPhone")
    key = idempotency_key
    if key is not None and len(key.strip()) < MIN_CHECKOUT_KEY:
        found.add(
            invalid(
                "idempotencyKey",
                f"Without an account, an idempotency key needs {MIN_CHECKOUT_KEY} characters "
                "or more (a UUID, say).",
            )
        )
    found.raise_if_any()


def _checked_email(email: str) -> str:
    return check_account_input(email=email, password=None, name="guest")[0]


def _as_field(field: str, check: Callable[[str], str], value: str) -> None:
    """An account check, blaming the booking input's own field."""
    try:
        check(value)
    except DomainError as error:
        raise invalid(field, error.errors[0].message) from None


async def _book_without_account(
    info: Info, input: CreateReservationInput
) -> CreateReservationPayload:
    assert input.guest_email is not None
    try:
        check_checkout_input(
            guest_name=input.guest_name,
            guest_email=input.guest_email,
            idempotency_key=input.idempotency_key,
            guest_phone=input.guest_phone,
        )
        data = reservation_resolvers._new_reservation(input)  # the signed-in checks
    except DomainError as error:
        return CreateReservationPayload(errors=user_errors(error, INPUT))
    assert input.guest_name is not None

    # The guest's phone goes with this booking only (not their address's shared row).
    data = dataclasses.replace(data, origin=origin_of(info), guest_phone=input.guest_phone)

    def book(guest: Principal) -> Awaitable[ReservationRecord]:
        return booking.book(
            info.context.db, guest=guest, data=data, idempotency_key=input.idempotency_key
        )

    return await answer_checkout(
        info,
        email=input.guest_email,
        name=input.guest_name,
        listing_id=data.listing_id,
        book=book,
    )


def origin_of(info: Info) -> Origin:
    """The caller's IP address (the one a trusted proxy names: app.py), whose unpaid holds
    without an account are capped; one that is not an IP address counts as 0.0.0.0."""
    request = info.context.request
    host = request.client.host if request is not None and request.client else ""
    try:
        ip = str(ipaddress.ip_address(host))
    except ValueError:
        ip = "0.0.0.0"
    return Origin(ip, info.context.settings.checkout_unpaid_holds_per_ip)


async def answer_checkout(
    info: Info,
    *,
    email: str,
    name: str,
    listing_id: uuid.UUID,
    book: checkout.Book,
) -> CreateReservationPayload:
    """Book without an account (after the input's checks) and answer it: the booking and
    its manage link, its refusal, or UNAUTHENTICATED when the listing does not allow it."""
    await limit_checkout_bookings(info.context, email)
    tokens = manage_tokens(info)
    booked, errors = await errors_as_data(
        checkout.book_without_account(
            info.context.db,
            email=email,
            name=name,
            listing_id=listing_id,
            book=book,
            tokens=tokens,
        ),
        INPUT,
    )
    if errors:
        return CreateReservationPayload(errors=errors)
    if booked is None:
        require_principal(info)  # the listing does not take bookings without an account
    assert booked is not None
    return CreateReservationPayload(
        reservation=Reservation.from_row(booked.reservation),
        manage_token=booked.manage_token,
        manage_url=tokens.url(booked.manage_token),
    )


async def revoke_manage_link(
    info: Info,
    id: Annotated[
        strawberry.ID, strawberry.argument(description="The reservation whose links to revoke.")
    ],
) -> ReservationPayload:
    principal = require_principal(info)
    try:
        reservation_id = parse_id(id, "reservation")
    except DomainError as error:
        return ReservationPayload(errors=user_errors(error))
    row, errors = await errors_as_data(
        checkout.revoke_manage_links(
            info.context.db, principal=principal, reservation_id=reservation_id
        )
    )
    return ReservationPayload(reservation=Reservation.from_row(row) if row else None, errors=errors)
