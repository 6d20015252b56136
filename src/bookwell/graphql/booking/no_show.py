"""The no-show mutations (flows/outcomes.py): the host marks a guest who never came, and
sets when the scheduler should do it by itself."""

from typing import Annotated

import strawberry

from bookwell.core.errors import InputErrors
from bookwell.core.ids import global_id
from bookwell.flows import outcomes
from bookwell.graphql.booking.types import Reservation, ReservationPayload
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import errors_as_data, parse_id, require_principal
from bookwell.graphql.shared.errors import UserError, user_errors
from bookwell.services.booking.no_show import MAX_GRACE_HOURS

GRACE = (
    f"Hours (1 to {MAX_GRACE_HOURS}) after a reservation begins (check-in time, or a slot's "
    "start) by which a CONFIRMED reservation nobody checked in becomes NO_SHOW, marked by the "
    "scheduler (or at its end, if that comes first). Set, the listing tracks arrivals: the "
    "clock no longer checks its guests in by itself; the host does (checkIn). Null (the "
    "default): off, and the clock checks guests in at the start."
)


@strawberry.type(description="What setNoShowPolicy answers: the listing's setting, or why not.")
class NoShowPolicyPayload:
    listing_id: strawberry.ID | None = strawberry.field(
        default=None, description="The listing's global id; null when errors is not empty."
    )
    auto_no_show_after_hours: int | None = strawberry.field(
        default=None, description=f"The setting as stored now. {GRACE}"
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


async def mark_no_show(
    info: Info,
    id: Annotated[
        strawberry.ID,
        strawberry.argument(description="The CONFIRMED (or clock-checked-in) reservation."),
    ],
) -> ReservationPayload:
    principal = require_principal(info)
    found = InputErrors()
    reservation_id = found.check(parse_id, id, "reservation")
    if (error := found.as_error()) is not None:
        return ReservationPayload(errors=user_errors(error))
    assert reservation_id is not None
    row, errors = await errors_as_data(
        outcomes.mark_no_show(
            info.context.db,
            principal=principal,
            reservation_id=reservation_id,
            provider=info.context.payments,
        )
    )
    return ReservationPayload(reservation=Reservation.from_row(row) if row else None, errors=errors)


async def set_no_show_policy(
    info: Info,
    listing_id: Annotated[strawberry.ID, strawberry.argument(description="Your listing.")],
    auto_no_show_after_hours: Annotated[int | None, strawberry.argument(description=GRACE)] = None,
) -> NoShowPolicyPayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_uuid = found.check(parse_id, listing_id, "listing", "listingId")
    if (error := found.as_error()) is not None:
        return NoShowPolicyPayload(errors=user_errors(error))
    assert listing_uuid is not None
    hours, errors = await errors_as_data(
        outcomes.set_no_show_policy(
            info.context.db,
            principal=principal,
            listing_id=listing_uuid,
            auto_no_show_after_hours=auto_no_show_after_hours,
        )
    )
    if errors:
        return NoShowPolicyPayload(errors=errors)
    return NoShowPolicyPayload(
        listing_id=global_id("Listing", listing_uuid),
        auto_no_show_after_hours=hours,
    )
