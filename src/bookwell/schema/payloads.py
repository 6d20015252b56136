import strawberry

from bookwell.schema.errors import UserError
from bookwell.schema.listing import Listing
from bookwell.schema.pricing import PriceRule
from bookwell.schema.reservation import Reservation
from bookwell.schema.user import User


@strawberry.type(
    description="What register and login answer: an access token and its user, or why not."
)
class AuthPayload:
    access_token: str | None = strawberry.field(
        default=None,
        description="A token for the header `Authorization: Bearer <token>`, valid for an hour "
        "by default; null when errors is not empty.",
    )
    user: User | None = strawberry.field(
        default=None, description="The signed-in user; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why not: INVALID_INPUT, EMAIL_TAKEN or FORBIDDEN (register), "
        "INVALID_CREDENTIALS (login); empty on success.",
    )


@strawberry.type(description="What createApiToken answers: the new token, or why not.")
class ApiTokenPayload:
    token: str | None = strawberry.field(
        default=None,
        description="A long-lived token for `Authorization: Bearer <token>`, shown once: keep it "
        "safe. Null when errors is not empty.",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why not (INVALID_INPUT: a name of 1 to 200 characters); empty on success.",
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


@strawberry.type(description="What addPriceRule answers: the new rule, or why not.")
class PriceRulePayload:
    price_rule: PriceRule | None = strawberry.field(
        default=None, description="The new rule; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed (NOT_FOUND, FORBIDDEN, INVALID_INPUT, INVALID_DATES); "
        "empty on success.",
    )
