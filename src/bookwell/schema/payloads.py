import strawberry

from bookwell.schema.errors import UserError
from bookwell.schema.listing import Listing
from bookwell.schema.pricing import PriceRule
from bookwell.schema.reservation import Reservation
from bookwell.schema.user import User


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiTokenPayload:
    token: str | None = strawberry.field(default=None, description="Shown once; keep it safe.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ListingPayload:
    listing: Listing | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReservationPayload:
    reservation: Reservation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PriceRulePayload:
    price_rule: PriceRule | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
