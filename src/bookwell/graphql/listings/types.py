import dataclasses
import uuid
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry
from graphql.pyutils import AwaitableOrValue

from bookwell.core.ids import global_id
from bookwell.core.pagination import (
    DEFAULT_NESTED_RESERVATIONS,
    DEFAULT_NESTED_REVIEWS,
    MAX_NESTED_RESERVATIONS,
    PageRequest,
    page_request,
)
from bookwell.graphql.accounts.types import User
from bookwell.graphql.context import Info
from bookwell.graphql.engine.execution import prefetched_as
from bookwell.graphql.limits.cost import costs, stay_nights
from bookwell.graphql.listings.availability import (
    AVAILABILITY_COST,
    Availability,
    availability_key,
    load_availability,
)
from bookwell.graphql.listings.host_controls import HostControlFields, HostNoticeFields
from bookwell.graphql.listings.no_show_policy import NoShowPolicyField
from bookwell.graphql.listings.photos import ListingPhoto, photos_of
from bookwell.graphql.listings.pricing import CancellationPolicy, Quote
from bookwell.graphql.listings.quotes import quote_listing
from bookwell.graphql.listings.slot_quotes import SlotQuoteField
from bookwell.graphql.listings.units import (
    DEFAULT_UNITS,
    MAX_UNITS_PAGE,
    ListingUnit,
    check_units_page,
    listing_units,
)
from bookwell.graphql.reviews.types import (
    ListingRating,
    Review,
    listing_rating,
    listing_reviews,
)
from bookwell.graphql.shared.enums import ListingKind
from bookwell.graphql.shared.errors import UserError
from bookwell.graphql.shared.money import Money
from bookwell.graphql.shared.node import Node
from bookwell.graphql.shared.pagination import After, Before, Connection, First, Last
from bookwell.services.listings.records import ListingRecord

if TYPE_CHECKING:
    from bookwell.graphql.booking.types import Reservation


__all__ = ["Availability", "Listing", "ListingPayload", "availability_key", "load_availability"]

# A quote reads its listing's terms (batched) and prices each night: weighed as that many
# objects and a few more.
QUOTE_WEIGHT = 5


def nested_page(
    first: int | None, after: str | None, last: int | None = None, before: str | None = None
) -> PageRequest:
    """The page of a listing's reservations that Listing.reservations' arguments ask for."""
    return page_request(
        first,
        after,
        last,
        before,
        default=DEFAULT_NESTED_RESERVATIONS,
        largest=MAX_NESTED_RESERVATIONS,
    )


def _reservations_key(arguments: dict[str, Any]) -> tuple:
    """Where Listing.reservations finds a prefetched page (graphql/listings/prefetch.py)."""
    page = nested_page(*(arguments.get(name) for name in ("first", "after", "last", "before")))
    return ("reservations", page)


def _availability_key(arguments: dict[str, Any]) -> tuple:
    """Where Listing.availability finds a prefetched answer (graphql/listings/prefetch.py)."""
    return ("availability", arguments["startDate"], arguments["endDate"], arguments["quantity"])


@strawberry.type(
    description="Something to book, owned by a host: a STAY's units by the night, or a "
    "restaurant's tables, a space's rooms or equipment items by time slot. Anyone may read it."
)
class Listing(Node, NoShowPolicyField, HostControlFields, HostNoticeFields, SlotQuoteField):
    database_id: uuid.UUID = strawberry.field(
        description="The listing's UUIDv7 as stored (sortable by creation time), for SQL and "
        "analysts; listingId arguments accept it as well as `id`."
    )
    kind: ListingKind = strawberry.field(
        description="What it rents out, and so how it is booked: nights or time slots."
    )
    title: str = strawberry.field(description="Its name, 1 to 200 characters.")
    description: str = strawberry.field(description="The host's text about it; may be empty.")
    city: str | None = strawberry.field(description="The city guests search by; null: none given.")
    country: str | None = strawberry.field(description="ISO 3166 two-letter code.")
    timezone: str = strawberry.field(description="IANA name; dates are nights in this zone.")
    nightly_price: Money = strawberry.field(
        description="Base price: per night and unit for a STAY (price rules may override some "
        "nights), per slot and unit for a SPACE or EQUIPMENT, per sitting for a RESTAURANT."
    )
    units: int = strawberry.field(description="Identical units: rooms, tables, slots, items.")
    max_guests: int | None = strawberry.field(
        description="Most guests one unit takes; null: no limit."
    )
    created_at: datetime = strawberry.field(description="When the host created it.")
    allow_guest_checkout: bool = strawberry.field(description="Bookable without an account.")
    instant_book: bool = strawberry.field(
        description="Payment confirms a booking at once; otherwise the host confirms it."
    )
    hold_minutes: int = strawberry.field(
        description="How long a new booking holds its units unpaid before it expires."
    )
    approval_hours: int = strawberry.field(
        description="Without instant booking: how long the host has to confirm a paid booking."
    )
    offer_minutes: int = strawberry.field(
        description="How long a waitlist offer holds its units for the guest."
    )
    max_hold_nights: int = strawberry.field(description="Most nights one unpaid hold may take.")
    max_hold_units: int = strawberry.field(description="Most units one unpaid hold may take.")
    max_guest_holds: int = strawberry.field(description="Most unpaid holds of one guest here.")
    max_listing_holds: int = strawberry.field(
        description="The most unpaid holds this listing carries at once, all guests together."
    )
    cleaning_fee: Money = strawberry.field(description="Per unit and stay.")
    cancellation_policy: CancellationPolicy = strawberry.field(
        description="What cancelling a booking made now refunds; each booking keeps the policy "
        "it was made under."
    )
    slot_minutes: int = strawberry.field(
        description="Slot listings: start times are this many minutes apart, and spaces and "
        "equipment are booked in whole slots."
    )
    sitting_minutes: int = strawberry.field(description="Restaurants: how long a table is held.")
    opens_at: time | None = strawberry.field(
        description="Slot listings: local opening time; null: open all day."
    )
    closes_at: time | None = strawberry.field(
        description="Local closing time; at or before opensAt means on the next day."
    )
    address_line1: str | None = strawberry.field(description="Street and number; null: none.")
    address_line2: str | None = strawberry.field(description="More of the address; null: none.")
    postal_code: str | None = strawberry.field(description="Postal code; null: none given.")
    latitude: float | None = strawberry.field(description="Degrees north; null: not placed.")
    longitude: float | None = strawberry.field(description="Degrees east; null: not placed.")
    archived_at: datetime | None = strawberry.field(
        description="When its host archived it: out of search, no new bookings (existing ones "
        "carry on); null: listed."
    )
    buffer_before_minutes: int = strawberry.field(
        description="Slot listings: minutes units "
        "stay taken before each booking (bookings' buffered times never overlap on a unit)."
    )
    buffer_after_minutes: int = strawberry.field(
        description="Slot listings: minutes units stay taken after each booking."
    )
    uuid: strawberry.Private[UUID]  # the field's name hides the module in the class body
    owner_id: strawberry.Private[UUID]
    # Nested objects loaded in bulk by a connection's look-ahead (graphql/listings/prefetch.py).
    # The fields below answer from here when they can, else they return an awaitable from the
    # dataloaders (graphql-core awaits it): each names its GraphQL type with `graphql_type`.
    prefetched: strawberry.Private[dict[Any, Any]] = dataclasses.field(default_factory=dict)

    @strawberry.field(
        description="The host who owns it.",
        metadata=prefetched_as(lambda arguments: "owner"),
        graphql_type=User,
    )
    def owner(self, info: Info) -> AwaitableOrValue[User]:
        return self.prefetched.get("owner") or self._load_owner(info)

    async def _load_owner(self, info: Info) -> User:
        return User.from_row(await info.context.loaders.user.load(self.owner_id))

    @strawberry.field(
        description="Whether `quantity` units are free on every night of [startDate, endDate) "
        "(STAY listings; slot listings: Query.searchSlots).",
        # Its `nights` list is as long as [startDate, endDate).
        metadata=prefetched_as(_availability_key) | AVAILABILITY_COST,
        graphql_type=Availability,
    )
    def availability(
        self,
        info: Info,
        start_date: Annotated[date, strawberry.argument(description="The first night.")],
        end_date: Annotated[
            date,
            strawberry.argument(
                description="The check-out day, after startDate: at most 365 nights."
            ),
        ],
        quantity: Annotated[
            int, strawberry.argument(description="Units wanted on every night, at least 1.")
        ] = 1,
    ) -> AwaitableOrValue[Availability]:
        found = self.prefetched.get(("availability", start_date, end_date, quantity))
        return found or self._load_availability(info, start_date, end_date, quantity)

    async def _load_availability(
        self, info: Info, start_date: date, end_date: date, quantity: int
    ) -> Availability:
        found = await load_availability(info, self.uuid, start_date, end_date, quantity)
        assert found is not None  # this listing exists
        return found

    @strawberry.field(
        description="The reservations on this listing that you may see (its host and admins "
        "see all, a guest their own, anonymous callers none), newest first: 10 unless "
        "`first` or `last` (1 to 50) says otherwise.",
        metadata=prefetched_as(_reservations_key),
        graphql_type=Connection[
            Annotated["Reservation", strawberry.lazy("bookwell.graphql.booking.types")]
        ],
    )
    def reservations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> AwaitableOrValue[Connection["Reservation"]]:
        page = nested_page(first, after, last, before)
        found = self.prefetched.get(("reservations", page))
        return found if found is not None else self._load_reservations(info, page)

    async def _load_reservations(self, info: Info, page: PageRequest) -> Connection["Reservation"]:
        from bookwell.graphql.booking.types import Reservation

        found = await info.context.loaders.newest_reservations.load((self.uuid, page))
        count = info.context.loaders.reservation_count.load
        return Connection.of(found, Reservation.from_row, lambda: count(self.uuid))

    @strawberry.field(description="Average and number of ratings (batched across listings).")
    async def rating(self, info: Info) -> ListingRating:
        return await listing_rating(info, self.uuid)

    @strawberry.field(
        description="Guests' reviews of this listing (public), newest first: 10 unless "
        "`first` or `last` (1 to 100) says otherwise."
    )
    async def reviews(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Review]:
        page = page_request(first, after, last, before, default=DEFAULT_NESTED_REVIEWS)
        return await listing_reviews(info, self.uuid, page)

    @strawberry.field(description="Its photos in the host's order, with their sizes' URLs.")
    async def photos(self, info: Info) -> list[ListingPhoto]:
        return await photos_of(info, self.uuid)

    @strawberry.field(
        description="What a stay would cost today, line by line, without holding anything "
        "(STAY listings; a slot listing's price is slotQuote's).",
        # Priced night by night: a year-long quote is a year of work.
        metadata=costs(weight=lambda arguments: QUOTE_WEIGHT + stay_nights(arguments)),
    )
    async def quote(
        self,
        info: Info,
        start_date: Annotated[date, strawberry.argument(description="The first night.")],
        end_date: Annotated[
            date | None,
            strawberry.argument(description="Check-out day. Give endDate or nights, not both."),
        ] = None,
        nights: Annotated[
            int | None, strawberry.argument(description="Nights, 1 to 365, instead of endDate.")
        ] = None,
        quantity: Annotated[
            int, strawberry.argument(description="Units on every night, at least 1.")
        ] = 1,
        voucher_code: Annotated[
            str | None,
            strawberry.argument(
                description="A voucher code of the host: its discount as a DISCOUNT line (an "
                "error VOUCHER_INVALID, VOUCHER_EXHAUSTED or VOUCHER_NOT_APPLICABLE if not). "
                "Nothing is reserved: the code may be used up by the time you book."
            ),
        ] = None,
        adults: Annotated[
            int | None,
            strawberry.argument(
                description="Adults staying (1 to 1000), as createReservation takes them: a "
                "PER_PERSON_NIGHT tax counts adults + children; null: one person per unit."
            ),
        ] = None,
        children: Annotated[
            int | None,
            strawberry.argument(description="Children staying (0 or more); give adults too."),
        ] = None,
    ) -> Quote:
        return await quote_listing(
            info, self, start_date, end_date, nights, quantity, voucher_code, adults, children
        )

    @strawberry.field(
        description="Slot listings: the tables (with seats), rooms or items bookings take, in "
        "position order: 100 unless `first` (1 to 1000) says otherwise; page on with "
        "afterPosition.",
        metadata=costs(default_page=DEFAULT_UNITS, largest_page=MAX_UNITS_PAGE),
    )
    async def bookable_units(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(description="At most this many units, 1 to 1000 (default 100)."),
        ] = None,
        after_position: Annotated[
            int | None,
            strawberry.argument(
                description="Only units whose position is greater: the last position of the "
                "previous page (default 0, from the first unit)."
            ),
        ] = None,
    ) -> list[ListingUnit]:
        page = check_units_page(first, after_position)
        if self.kind is ListingKind.STAY:
            return []
        return await listing_units(info, self.uuid, *page)

    @classmethod
    def from_row(cls, row: ListingRecord) -> "Listing":
        return cls(
            id=global_id("Listing", row.id),
            database_id=row.id,
            kind=row.kind,
            title=row.title,
            description=row.description,
            city=row.city,
            country=row.country,
            timezone=row.timezone,
            nightly_price=Money.of(row.nightly_price, row.currency),
            units=row.units,
            max_guests=row.max_guests,
            created_at=row.created_at,
            allow_guest_checkout=row.allow_guest_checkout,
            instant_book=row.instant_book,
            hold_minutes=row.hold_minutes,
            approval_hours=row.approval_hours,
            offer_minutes=row.offer_minutes,
            max_hold_nights=row.max_hold_nights,
            max_hold_units=row.max_hold_units,
            max_guest_holds=row.max_guest_holds,
            max_listing_holds=row.max_listing_holds,
            cleaning_fee=Money.of(row.cleaning_fee, row.currency),
            cancellation_policy=CancellationPolicy(
                free_cancellation_days=row.free_cancellation_days,
                late_refund_percent=row.late_refund_percent,
                no_show_refund_percent=row.no_show_refund_percent,
            ),
            slot_minutes=row.slot_minutes,
            sitting_minutes=row.sitting_minutes,
            opens_at=row.opens_at,
            closes_at=row.closes_at,
            address_line1=row.address_line1,
            address_line2=row.address_line2,
            postal_code=row.postal_code,
            latitude=None if row.latitude is None else float(row.latitude),
            longitude=None if row.longitude is None else float(row.longitude),
            archived_at=row.archived_at,
            buffer_before_minutes=row.buffer_before_minutes,
            buffer_after_minutes=row.buffer_after_minutes,
            notify_host_on_check_in=row.notify_host_on_check_in,
            notify_host_on_no_show=row.notify_host_on_no_show,
            uuid=row.id,
            owner_id=row.owner_id,
        )


@strawberry.type(
    description="What a mutation of a listing answers: the listing as it is now, or why not."
)
class ListingPayload:
    listing: Listing | None = strawberry.field(
        default=None, description="The listing after the change; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed (the mutation's description lists the codes); empty on "
        "success.",
    )
