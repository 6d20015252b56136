"""Builds the schema. `schema` (default settings) is what `schema.graphql` must match."""

import strawberry
from strawberry.schema.config import StrawberryConfig

from bookwell.config import Settings
from bookwell.resolvers import accounts as account_resolvers
from bookwell.resolvers import listings as listing_resolvers
from bookwell.resolvers import reservations as reservation_resolvers
from bookwell.schema.execution import ExecutionContext
from bookwell.schema.extensions import build_extensions
from bookwell.schema.listing import Availability, Listing
from bookwell.schema.pagination import Connection
from bookwell.schema.payloads import (
    ApiTokenPayload,
    AuthPayload,
    ListingPayload,
    ReservationPayload,
)
from bookwell.schema.reservation import Reservation
from bookwell.schema.user import User


@strawberry.type
class Query:
    me: User | None = strawberry.field(resolver=account_resolvers.me)
    listing: Listing | None = strawberry.field(resolver=listing_resolvers.listing)
    listings: Connection[Listing] = strawberry.field(resolver=listing_resolvers.all_listings)
    availability: Availability = strawberry.field(resolver=listing_resolvers.availability)
    search_availability: Connection[Listing] = strawberry.field(
        resolver=listing_resolvers.search_availability,
        description="Listings with `quantity` units free on every night of "
        "[startDate, startDate + nights), in a stable order.",
    )
    reservation: Reservation | None = strawberry.field(resolver=reservation_resolvers.reservation)
    reservations: Connection[Reservation] = strawberry.field(
        resolver=reservation_resolvers.all_reservations
    )


@strawberry.type
class Mutation:
    register: AuthPayload = strawberry.mutation(resolver=account_resolvers.register)
    login: AuthPayload = strawberry.mutation(resolver=account_resolvers.login)
    create_api_token: ApiTokenPayload = strawberry.mutation(
        resolver=account_resolvers.create_api_token
    )
    create_listing: ListingPayload = strawberry.mutation(resolver=listing_resolvers.create_listing)
    create_reservation: ReservationPayload = strawberry.mutation(
        resolver=reservation_resolvers.create_reservation
    )
    cancel_reservation: ReservationPayload = strawberry.mutation(
        resolver=reservation_resolvers.cancel_reservation
    )


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Strawberry logs every error by default; PublicErrors logs the unexpected ones."""


def build_schema(settings: Settings | None = None) -> Schema:
    # model_construct: the defaults, without reading the environment at import time.
    settings = settings or Settings.model_construct()
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=build_extensions(settings),
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=ExecutionContext,
    )


schema = build_schema()
