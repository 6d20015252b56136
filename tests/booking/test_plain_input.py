"""createReservation's input built in one step (graphql/booking/plain_input.py) is the value
Strawberry's own field-by-field conversion makes, for every field given or left out."""

from datetime import date

import pytest
import strawberry
from strawberry.types.arguments import convert_argument

from bookwell.graphql.booking.inputs import CreateReservationInput
from bookwell.graphql.booking.plain_input import plain_input
from bookwell.graphql.schema import schema

GIVEN = {
    "listingId": "TGlzdGluZzox",
    "startDate": date(2027, 3, 1),
    "endDate": date(2027, 3, 4),
    "nights": 3,
    "quantity": 2,
    "guestName": "Ada",
    "guestEmail": "ada@example.com",
    "guestPhone": "+33 1 42 68 53 00",
    "idempotencyKey": "k-1",
    "adults": 2,
    "children": 0,
    "specialRequests": "late arrival",
    "voucherCode": "SPRING",
}


def converted(value: dict, *, own: bool) -> CreateReservationInput:
    definition = CreateReservationInput.__strawberry_definition__
    hook = definition.from_input
    if not own:
        definition.from_input = None
    try:
        return convert_argument(
            value, CreateReservationInput, schema.schema_converter.scalar_registry, schema.config
        )
    finally:
        definition.from_input = hook


@pytest.mark.parametrize(
    "value",
    [
        GIVEN,
        {"listingId": "x", "startDate": date(2027, 3, 1), "quantity": 1},
        {"listingId": "x", "startDate": date(2027, 3, 1), "nights": None, "guestName": None},
        {key: value for key, value in GIVEN.items() if key not in ("endDate", "adults")},
    ],
)
def test_the_same_value_as_strawberrys_conversion(value: dict) -> None:
    assert CreateReservationInput.__strawberry_definition__.from_input is not None
    ours, theirs = converted(value, own=True), converted(value, own=False)
    assert type(ours) is type(theirs)
    assert vars(ours) == vars(theirs)


def test_refuses_a_type_with_a_field_that_is_not_a_plain_scalar() -> None:
    @strawberry.input
    class Inner:
        a: int

    @plain_input
    @strawberry.input
    class Outer:
        inner: Inner

    with pytest.raises(TypeError, match=r"Outer\.inner"):
        convert_argument(
            {"inner": {"a": 1}},
            Outer,
            schema.schema_converter.scalar_registry,
            schema.config,
        )
