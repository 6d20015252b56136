from datetime import date

import strawberry

from bookwell.schema.enums import ListingKind, Role
from bookwell.services.listings import ListingFilter as DomainListingFilter
from bookwell.services.listings import NewListing, parse_money


@strawberry.input
class ListingFilter:
    city: str | None = None
    country: str | None = None
    kind: ListingKind | None = None
    min_price: str | None = None
    max_price: str | None = None
    min_guests: int | None = None
    text: str | None = strawberry.field(default=None, description="In the title or description.")

    def to_domain(self) -> DomainListingFilter:
        return DomainListingFilter(
            city=self.city,
            country=self.country,
            kind=self.kind,
            min_price=parse_money(self.min_price, "minPrice") if self.min_price else None,
            max_price=parse_money(self.max_price, "maxPrice") if self.max_price else None,
            min_guests=self.min_guests,
            text=self.text,
        )


@strawberry.input
class RegisterInput:
    email: str
    password: str
    name: str
    role: Role = Role.GUEST


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class CreateListingInput:
    kind: ListingKind = ListingKind.STAY
    title: str
    description: str = ""
    city: str | None = None
    country: str | None = None
    timezone: str = "UTC"
    nightly_price: str
    currency: str = "USD"
    units: int = 1
    max_guests: int | None = None

    def to_domain(self) -> NewListing:
        return NewListing(
            kind=self.kind,
            title=self.title,
            description=self.description,
            city=self.city,
            country=self.country,
            timezone=self.timezone,
            nightly_price=self.nightly_price,
            currency=self.currency,
            units=self.units,
            max_guests=self.max_guests,
        )


@strawberry.input
class CreateReservationInput:
    listing_id: strawberry.ID
    start_date: date
    end_date: date | None = strawberry.field(
        default=None, description="Check-out day. Give endDate or nights, not both."
    )
    nights: int | None = None
    quantity: int = 1
    guest_name: str | None = strawberry.field(
        default=None, description="Defaults to the signed-in user's name."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key and input returns the first result again.",
    )
