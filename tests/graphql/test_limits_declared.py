"""What the rate limiter guards is declared on each mutation (graphql/schema.py:
`extensions=[RateLimited(...)]`), not listed in graphql/limits/: the schema is walked for
mutations that book without a limit, and a mutation declared limited is guarded by that
declaration alone. The limits themselves are tested in tests/test_limits_rate.py."""

from types import SimpleNamespace

import strawberry
from graphql import GraphQLNamedType, GraphQLObjectType, OperationType, get_named_type

from bookwell.core.config import Settings
from bookwell.core.rate_limits import MemoryRateLimiter
from bookwell.graphql.limits.rate_limiting import CODE, RateLimited, RateLimits, guarded_fields
from bookwell.graphql.schema import build_schema

# Mutations that touch a booking but neither create nor move one, so take no booking limit:
# each changes the state of a booking that exists (and was counted when it was made).
CHANGES_STATE_ONLY = {
    "cancelReservation": "frees the nights",
    "confirmReservation": "the host accepts a paid booking",
    "checkIn": "the host marks an arrival",
    "checkOut": "the host marks a departure",
    "markNoShow": "the host marks a guest who never came (frees the units)",
    "leaveWaitlist": "frees a place in the queue",
    "revokeManageLink": "stops the manage links of a booking made without an account",
}
BOOKING_TYPES = {"Reservation", "WaitlistEntry"}


def _payload_touches_bookings(payload: GraphQLNamedType) -> bool:
    if not isinstance(payload, GraphQLObjectType):
        return False
    return any(get_named_type(f.type).name in BOOKING_TYPES for f in payload.fields.values())


def test_every_mutation_that_books_declares_a_booking_limit():
    schema = build_schema()
    guarded = guarded_fields(schema)[OperationType.MUTATION]
    mutation = schema._schema.mutation_type
    assert mutation is not None
    touching = {
        name
        for name, field in mutation.fields.items()
        if _payload_touches_bookings(get_named_type(field.type))
    }
    assert touching >= {"createReservation", "bookSlot", "changeReservationDates"}
    unlimited = {
        name for name in touching - CHANGES_STATE_ONLY.keys() if guarded.get(name) != "booking"
    }
    assert not unlimited, (
        f"{sorted(unlimited)} create or move bookings without a rate limit: declare "
        'extensions=[RateLimited("booking")] on them in graphql/schema.py (or, if they only '
        "change a booking's state, add them to CHANGES_STATE_ONLY with the reason)"
    )
    assert CHANGES_STATE_ONLY.keys() <= touching, "CHANGES_STATE_ONLY names a mutation gone"


def test_the_declared_limits_are_the_ones_the_api_has_always_had():
    guarded = guarded_fields(build_schema())
    assert guarded[OperationType.MUTATION] == {
        "register": "login",
        "login": "login",
        "createReservation": "booking",
        "bookSlot": "booking",
        "payReservation": "booking",
        "changeReservationDates": "booking",
        "joinWaitlist": "booking",
        "createListing": "listing",  # tests/security/test_expensive_fields_cost_nothing.py
        "importCalendar": "calendar_import",
    }
    assert guarded[OperationType.QUERY] == guarded[OperationType.SUBSCRIPTION] == {}


@strawberry.type
class _Query:
    ok: bool = True


@strawberry.type
class _Mutation:
    @strawberry.mutation(extensions=[RateLimited("booking")])
    async def reserve_a_boat(self) -> bool:
        return True

    @strawberry.mutation
    async def wave(self) -> bool:
        return True


async def test_declaring_a_new_mutation_is_all_it_takes_to_guard_it():
    schema = strawberry.Schema(query=_Query, mutation=_Mutation, extensions=[RateLimits])
    settings = Settings.model_construct(booking_limit_per_ip=2, booking_limit_per_principal=2)
    context = SimpleNamespace(
        rate_limiter=MemoryRateLimiter(),
        settings=settings,
        request=None,
        response=None,
        principal=None,
    )
    for _ in range(3):  # not declared: never counted
        assert (await schema.execute("mutation { wave }", context_value=context)).errors is None
    both = "mutation { a: reserveABoat b: reserveABoat }"
    assert (await schema.execute(both, context_value=context)).data == {"a": True, "b": True}
    refused = await schema.execute("mutation { reserveABoat }", context_value=context)
    assert refused.data is None
    assert refused.errors is not None and refused.errors[0].extensions["code"] == CODE
