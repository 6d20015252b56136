"""createBlackout and deleteBlackout (flows/calendar.py, services/calendar/blackouts.py)."""

from datetime import date, datetime
from typing import Annotated

import strawberry

from bookwell.core.errors import DomainError, InputErrors
from bookwell.core.ids import global_id
from bookwell.flows import calendar as calendar_flows
from bookwell.graphql.context import Info
from bookwell.graphql.listings.blackouts import Blackout
from bookwell.graphql.shared.common import errors_as_data, parse_id, require_principal
from bookwell.graphql.shared.errors import INPUT, UserError, user_errors
from bookwell.services.calendar.blackout_conflicts import BlackoutConflict
from bookwell.services.calendar.blackout_input import NewBlackout


@strawberry.input(
    description="Dates of a STAY (startDate, endDate) or hours of a restaurant, space or "
    "equipment listing (startsAt, endsAt) to close, for every unit or some."
)
class CreateBlackoutInput:
    listing_id: strawberry.ID = strawberry.field(description="Your listing.")
    start_date: date | None = strawberry.field(
        default=None, description="Stays: the first night closed, today or later."
    )
    end_date: date | None = strawberry.field(
        default=None,
        description="Stays: the day after the last night closed (at most 366 nights).",
    )
    starts_at: datetime | None = strawberry.field(
        default=None,
        description="Slot listings: when the closed hours begin, with a UTC offset; any "
        "minute, not only the slot grid.",
    )
    ends_at: datetime | None = strawberry.field(
        default=None,
        description="Slot listings: when they end (exclusive), in the future, at most 366 "
        "days after startsAt.",
    )
    units: int | None = strawberry.field(
        default=None,
        description="How many units to close, 1 to the listing's units; null: all of them. "
        "Slot listings close the first free units in their order (a restaurant's smallest "
        "tables first).",
    )
    reason: str | None = strawberry.field(
        default=None,
        description="Why, for you (maintenance, a private event), at most 200 characters; "
        'default "Closed".',
    )


@strawberry.type(
    description="What createBlackout answers: the blackout, or why not and which bookings "
    "are in its way (they are reported, never moved)."
)
class BlackoutPayload:
    blackout: Blackout | None = strawberry.field(
        default=None, description="The blackout made (or deleted); null on errors."
    )
    conflicting_reservation_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="With BLACKOUT_CONFLICT: the (global) ids of the reservations holding "
        "units the blackout needs, at most 20, earliest first; read them with nodes(ids:).",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


async def create_blackout(
    info: Info,
    input: Annotated[CreateBlackoutInput, strawberry.argument(description="What to close.")],
) -> BlackoutPayload:
    principal = require_principal(info)
    try:
        listing_id = parse_id(input.listing_id, "listing", "listingId")
    except DomainError as error:
        return BlackoutPayload(errors=user_errors(error, INPUT))
    data = NewBlackout(
        listing_id=listing_id,
        start_date=input.start_date,
        end_date=input.end_date,
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        units=input.units,
        reason=input.reason,
    )
    try:
        made = await calendar_flows.create_blackout(info.context.db, principal=principal, data=data)
    except BlackoutConflict as conflict:
        return BlackoutPayload(
            conflicting_reservation_ids=[
                global_id("Reservation", row.id) for row in conflict.reservations
            ],
            errors=user_errors(conflict, INPUT),
        )
    except DomainError as error:
        return BlackoutPayload(errors=user_errors(error, INPUT))
    return BlackoutPayload(blackout=Blackout.from_record(made))


async def delete_blackout(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The blackout to delete.")],
) -> BlackoutPayload:
    principal = require_principal(info)
    found = InputErrors()
    blackout_id = found.check(parse_id, id, "blackout", type_name="Blackout")
    if (error := found.as_error()) is not None:
        return BlackoutPayload(errors=user_errors(error))
    assert blackout_id is not None
    deleted, errors = await errors_as_data(
        calendar_flows.delete_blackout(
            info.context.db, principal=principal, blackout_id=blackout_id
        )
    )
    return BlackoutPayload(
        blackout=Blackout.from_record(deleted) if deleted else None, errors=errors
    )
