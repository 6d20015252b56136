import dataclasses
import uuid
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from graphql.pyutils import AwaitableOrValue

from bookwell.core.ids import global_id
from bookwell.graphql.accounts.types import User
from bookwell.graphql.context import Info
from bookwell.graphql.engine.execution import prefetched_as
from bookwell.graphql.limits.cost import costs
from bookwell.graphql.listings.pricing import Quote
from bookwell.graphql.listings.types import Listing
from bookwell.graphql.listings.units import (
    MAX_UNITS_PAGE,
    ListingUnit,
    check_units_page,
    reservation_units,
)
from bookwell.graphql.payments.types import Payment, reservation_payment
from bookwell.graphql.reviews.types import Review, reservation_review
from bookwell.graphql.shared.enums import ReservationStatus
from bookwell.graphql.shared.errors import UserError
from bookwell.graphql.shared.money import Money
from bookwell.graphql.shared.node import Node
from bookwell.services.booking.records import ReservationRecord

# A column a page did not read (Reservation.price_snapshot); the field loads it on demand.
NOT_LOADED = object()


# A reservation's units, unless `first` says otherwise: a slot booking takes a few tables or
# items; one host's booking of a 10,000-item listing need not come whole in every page.
RESERVATION_UNITS_PAGE = 20


@strawberry.type(
    description="A booking of a listing's units: a stay's nights [startDate, endDate), or a time "
    "slot [startsAt, endsAt). Seen by its guest, the listing's host and admins."
)
class Reservation(Node):
    database_id: uuid.UUID = strawberry.field(
        description="The reservation's UUIDv7 as stored (sortable by creation time), for SQL "
        "and analysts; inputs accept it wherever they take this reservation's id."
    )
    guest_name: str = strawberry.field(
        description='Who stays or comes, as given at booking; "Blocked: <event>" for a calendar '
        "block."
    )
    start_date: date = strawberry.field(
        description="The first night (check-in day) in the listing's timezone; a slot's local date."
    )
    end_date: date = strawberry.field(
        description="Check-out day: the range is [startDate, endDate)."
    )
    nights: int = strawberry.field(description="endDate - startDate: 1 for a slot.")
    quantity: int = strawberry.field(
        description="Units taken: on every night of a stay, or for the whole slot (a party: 1 "
        "table)."
    )
    status: ReservationStatus = strawberry.field(
        description="Where it is in its life; PENDING, CONFIRMED and ACTIVE hold the units."
    )
    total_price: Money = strawberry.field(
        description="What the whole booking costs: all its nights or slots, units and fees."
    )
    created_at: datetime = strawberry.field(description="When it was booked.")
    expires_at: datetime | None = strawberry.field(
        description="A PENDING hold gives its units back at this instant unless confirmed "
        "(a paid hold awaiting the host: approvalHours after payment); null when not PENDING."
    )
    confirmed_at: datetime | None = strawberry.field(
        description="When it became CONFIRMED; null until then."
    )
    checked_in_at: datetime | None = strawberry.field(
        description="When the guest checked in (ACTIVE); null until then."
    )
    checked_out_at: datetime | None = strawberry.field(
        description="When the guest checked out (COMPLETED); null until then."
    )
    cancelled_at: datetime | None = strawberry.field(
        description="When it was CANCELLED; null unless it was."
    )
    cancel_reason: str | None = strawberry.field(
        description="Why, as whoever cancelled said (at most 500 characters); null if not given."
    )
    starts_at: datetime | None = strawberry.field(
        description="Time-slot reservations: [startsAt, endsAt); null for stays."
    )
    ends_at: datetime | None = strawberry.field(
        description="Time-slot reservations: the end of [startsAt, endsAt) (excluded); null for "
        "stays."
    )
    party_size: int | None = strawberry.field(
        description="Slot bookings: the party (a restaurant's table seats it); adults + children "
        "when they were given."
    )
    adults: int | None = strawberry.field(description="Adults on the booking; null: not given.")
    children: int | None = strawberry.field(description="Children on the booking; null: not given.")
    special_requests: str | None = strawberry.field(
        description="The guest's note to the host: plain text (show it as text, never as "
        "markup); null: none."
    )
    # NOT_LOADED when the record came from a page (services/booking/records.py: LISTED_COLUMNS).
    price_snapshot: strawberry.Private[Any]
    listing_id: strawberry.Private[uuid.UUID]
    guest_id: strawberry.Private[uuid.UUID | None]
    # Filled by a connection's look-ahead (graphql/listings/prefetch.py); else the fields return an
    # awaitable from the dataloaders (graphql-core awaits it): they name their GraphQL type with
    # `graphql_type`.
    prefetched: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    @strawberry.field(
        description="The listing booked.",
        metadata=prefetched_as(lambda arguments: "listing"),
        graphql_type=Listing,
    )
    def listing(self, info: Info) -> AwaitableOrValue[Listing]:
        return self.prefetched.get("listing") or self._load_listing(info)

    async def _load_listing(self, info: Info) -> Listing:
        return Listing.from_row(await info.context.loaders.listing.load(self.listing_id))

    @strawberry.field(
        description="The guest's account; null for a calendar block, which has no guest.",
        metadata=prefetched_as(lambda arguments: "guest"),
        graphql_type=User | None,
    )
    def guest(self, info: Info) -> AwaitableOrValue[User | None]:
        if "guest" in self.prefetched or self.guest_id is None:
            return self.prefetched.get("guest")
        return self._load_guest(info, self.guest_id)

    async def _load_guest(self, info: Info, guest_id: uuid.UUID) -> User | None:
        row = await info.context.loaders.user.load(guest_id)
        return User.as_booked(row, self.guest_name) if row else None

    @strawberry.field(
        description="What the guest paid; UNPAID with the total until then.",
        metadata=prefetched_as(lambda arguments: "payment"),
        graphql_type=Payment,
    )
    def payment(self, info: Info) -> AwaitableOrValue[Payment]:
        if "payment" in self.prefetched:
            return self.prefetched["payment"]
        return reservation_payment(info, self.database_id, self.total_price)

    @strawberry.field(description="The guest's review of this stay, if there is one.")
    async def review(self, info: Info) -> Review | None:
        return await reservation_review(info, self.database_id)

    @strawberry.field(
        description="The price as agreed at booking (or at the last change of dates), "
        "line by line, with its cancellation policy.",
        graphql_type=Quote | None,
    )
    def price(self, info: Info) -> AwaitableOrValue[Quote | None]:
        if self.price_snapshot is NOT_LOADED:
            return self._load_price(info)
        return Quote.of(self.price_snapshot) if self.price_snapshot else None

    async def _load_price(self, info: Info) -> Quote | None:
        snapshot = await info.context.loaders.price_snapshot.load(self.database_id)
        return Quote.of(snapshot) if snapshot else None

    @strawberry.field(
        description="Time-slot reservations: the table, rooms or items taken, in position "
        f"order: the first {RESERVATION_UNITS_PAGE} unless `first` (1 to {MAX_UNITS_PAGE}) "
        "says otherwise.",
        metadata=costs(default_page=RESERVATION_UNITS_PAGE, largest_page=MAX_UNITS_PAGE),
    )
    async def units(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(
                description=f"At most this many units, 1 to {MAX_UNITS_PAGE} "
                f"(default {RESERVATION_UNITS_PAGE})."
            ),
        ] = None,
    ) -> list[ListingUnit]:
        check_units_page(first, None)
        if self.starts_at is None:
            return []
        return (await reservation_units(info, self.database_id))[: first or RESERVATION_UNITS_PAGE]

    @classmethod
    def from_row(cls, row: ReservationRecord) -> "Reservation":
        snapshot = row.price_snapshot
        return cls(
            id=global_id("Reservation", row.id),
            database_id=row.id,
            guest_name=row.guest_name,
            start_date=row.start_date,
            end_date=row.end_date,
            nights=(row.end_date - row.start_date).days,
            quantity=row.quantity,
            status=row.status,
            total_price=Money.of(row.total_amount, row.currency),
            created_at=row.created_at,
            expires_at=row.expires_at,
            confirmed_at=row.confirmed_at,
            checked_in_at=row.checked_in_at,
            checked_out_at=row.checked_out_at,
            cancelled_at=row.cancelled_at,
            cancel_reason=row.cancel_reason,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            party_size=row.party_size,
            adults=row.adults,
            children=row.children,
            special_requests=row.special_requests,
            price_snapshot=NOT_LOADED if snapshot is None else snapshot,
            listing_id=row.listing_id,
            guest_id=row.guest_id,
        )


@strawberry.type(
    description="What a mutation of a reservation answers: the reservation as it is now, or "
    "why not."
)
class ReservationPayload:
    reservation: Reservation | None = strawberry.field(
        default=None,
        description="The reservation after the change; null when errors is not empty.",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed (the mutation's description lists the codes); empty on "
        "success.",
    )
