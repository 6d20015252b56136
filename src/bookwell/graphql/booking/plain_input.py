"""Input types made of scalars only, built from their GraphQL value in one step.

Strawberry converts an input field by field (`convert_argument`), resolving each field's type
annotation on every request: for createReservation's input that was two dozen recursive
calls a booking, a tenth of its Python (issue 18). graphql-core has already parsed every
scalar by then, so for these types the conversion is only a renaming of the keys; Strawberry's
`from_input` hook lets a type build itself, and the plan of the renaming is made once.
"""

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryOptional, get_object_definition

T = TypeVar("T", bound=type)

# Types whose value graphql-core's parsing already made what the field holds.
_PARSED = frozenset({str, int, float, bool, date, datetime, Decimal, strawberry.ID})


def plain_input(cls: T) -> T:
    """Build `cls` (a @strawberry.input of scalar fields) from its input value at once,
    exactly as Strawberry would (fields without a default start as None)."""
    definition = get_object_definition(cls, strict=True)
    plan: list[tuple[str, str]] | None = None
    required = {
        field.python_name: None
        for field in definition.fields
        if field.default_value is dataclasses.MISSING
        and field.default_factory is dataclasses.MISSING
    }

    def made_plan(context: InputContext) -> list[tuple[str, str]]:
        names = []
        for field in definition.fields:
            kind = field.resolve_type(type_definition=definition)
            if isinstance(kind, StrawberryOptional):
                kind = kind.of_type
            if kind not in _PARSED:
                raise TypeError(f"{cls.__name__}.{field.python_name} is not a plain scalar")
            names.append((context.config.name_converter.from_field(field), field.python_name))
        return names

    def from_input(built: type, value: Mapping[str, Any], context: InputContext) -> Any:
        nonlocal plan
        if plan is None:
            plan = made_plan(context)
        kwargs = dict(required)
        for graphql_name, python_name in plan:
            if graphql_name in value:
                kwargs[python_name] = value[graphql_name]
        return built(**kwargs)

    definition.from_input = from_input
    return cls
