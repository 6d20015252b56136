"""Whether a listing has room: the Availability type and its batched loading; whether the
host's booking rules let the stay be booked, and each night's free units and restrictions."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import strawberry
from aiodataloader import DataLoader

from bookwell.core.ids import global_id
from bookwell.graphql.context import Info
from bookwell.graphql.limits.cost import costs, stay_nights
from bookwell.graphql.shared.errors import UserError
from bookwell.services.listings import availability as availability_service
from bookwell.services.listings import booking_rules
from bookwell.services.listings.availability import NightFree
from bookwell.services.listings.pricing import ListingTerms, Terms
from bookwell.services.listings.stays import check_quantity, stay

# Fields answering an Availability: its `nights` list is as long as their window.
AVAILABILITY_COST = costs(items=stay_nights)


def availability_key(start_date: date, end_date: date, quantity: int) -> tuple[date, date, int]:
    """The checked range and quantity of an availability question (DomainError if bad)."""
    check_quantity(quantity)
    checked = stay(start_date, end_date)
    return checked.start, checked.end, quantity


@strawberry.type(
    description="One night of an availability window: its free units, and the host's "
    "booking rules for a stay arriving on it (its season's, else the listing's), as channel "
    "managers show them per day. A stay is held to the rules of its own arrival day: "
    "Availability.violations answers for the whole stay."
)
class AvailabilityNight:
    day: date = strawberry.field(
        name="date", description="The night (its evening's date), in the listing's timezone."
    )
    free_units: int = strawberry.field(description="Units nobody has taken on that night.")
    closed_to_arrival: bool = strawberry.field(
        description="No stay may start on this day now: it is past, inside the minimum notice "
        "(minNoticeHours), beyond the booking window (bookingWindowDays), or not one of the "
        "arrivalWeekdays."
    )
    closed_to_departure: bool = strawberry.field(
        description="A stay may not end on this day: not one of the departureWeekdays."
    )
    min_nights: int | None = strawberry.field(
        description="The fewest nights of a stay arriving on this day; null: no minimum."
    )
    max_nights: int | None = strawberry.field(
        description="The most nights of a stay arriving on this day; null: no maximum."
    )


@strawberry.type(
    description="Whether a listing has `quantity` units free on every night of "
    "[startDate, endDate), in its timezone."
)
class Availability:
    listing_id: strawberry.ID = strawberry.field(description="The listing asked about.")
    start_date: date = strawberry.field(description="The first night asked about.")
    end_date: date = strawberry.field(
        description="The check-out day: the nights are [startDate, endDate)."
    )
    quantity: int = strawberry.field(description="Units asked for on every night.")
    available: bool = strawberry.field(
        description="quantity units are free on every night, and the stay is not in the past."
    )
    free_units: int = strawberry.field(description="The fewest units free on any night.")
    listing_uuid: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description="`available`, and the host's booking rules let this very stay be booked "
        "now (`violations` is empty): what createReservation would accept."
    )
    async def bookable(self, info: Info) -> bool:
        return self.available and not await self._violations(info)

    @strawberry.field(
        description="The booking rules this very stay breaks now, as createReservation would "
        'answer them: RULE_VIOLATED, the rule in `field` (such as ["minNights"]) and '
        "`message`; empty when the rules allow it."
    )
    async def violations(self, info: Info) -> list[UserError]:
        return [UserError.from_domain(found.error()) for found in await self._violations(info)]

    @strawberry.field(description="Each night of [startDate, endDate), in date order.")
    async def nights(self, info: Info) -> list[AvailabilityNight]:
        key = (self.listing_uuid, self.start_date, self.end_date)
        free: list[NightFree] = await _fresh(info, info.context.loaders.nightly_free_units, key)
        terms = await self._terms(info)
        now = datetime.now(UTC)
        nights = []
        for night in free:
            day = booking_rules.day_rules(
                terms.booking_rules,
                night.night,
                now,
                terms.timezone,
                check_in=terms.check_in_time,
            )
            nights.append(
                AvailabilityNight(
                    day=night.night,
                    free_units=night.free_units,
                    closed_to_arrival=day.closed_to_arrival,
                    closed_to_departure=day.closed_to_departure,
                    min_nights=day.min_nights,
                    max_nights=day.max_nights,
                )
            )
        return nights

    async def _terms(self, info: Info) -> Terms:
        loader = info.context.loaders.quote_terms
        found: ListingTerms | None = await _fresh(info, loader, self.listing_uuid)
        assert found is not None  # the listing was read with this availability
        return found.terms

    async def _violations(self, info: Info) -> list[booking_rules.Violation]:
        terms = await self._terms(info)
        return booking_rules.violations(
            terms.booking_rules,
            self.start_date,
            self.end_date,
            datetime.now(UTC),
            terms.timezone,
            check_in=terms.check_in_time,
        )

    @classmethod
    def of(cls, found: availability_service.Availability) -> "Availability":
        return cls(
            listing_id=global_id("Listing", found.listing_id),
            start_date=found.start_date,
            end_date=found.end_date,
            quantity=found.quantity,
            available=found.available,
            free_units=found.free_units,
            listing_uuid=found.listing_id,
        )


async def _fresh(info: Info, loader: DataLoader, key: Any) -> Any:
    """The loader's answer, batched; over a websocket read anew each time: its loaders live
    as long as the connection, and each availabilityChanged answer must see the change."""
    if info.context.request is None:
        loader.clear(key)
    return await loader.load(key)


async def load_availability(
    info: Info, listing_id: uuid.UUID, start_date: date, end_date: date, quantity: int
) -> Availability | None:
    """Checked range, batched with every other availability asked in this request."""
    key = availability_key(start_date, end_date, quantity)
    found = await info.context.loaders.availability.load((listing_id, *key))
    return Availability.of(found) if found else None
