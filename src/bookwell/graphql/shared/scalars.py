"""Strawberry's own Date, DateTime, Time and UUID scalars, described in booking terms.

Only the descriptions differ: parsing and serializing are Strawberry's, so every answer and
accepted input stays the same."""

import dataclasses
import datetime as dt
import uuid

from strawberry.schema.types.base_scalars import (
    DateDefinition,
    DateTimeDefinition,
    TimeDefinition,
    UUIDDefinition,
)
from strawberry.types.scalar import ScalarDefinition


def _described(definition: ScalarDefinition, description: str) -> ScalarDefinition:
    # implementation=None: a GraphQL type built from the original must not be reused.
    return dataclasses.replace(definition, description=description, implementation=None)


DESCRIBED_SCALARS: dict[object, ScalarDefinition] = {
    dt.date: _described(
        DateDefinition,
        "A calendar date, YYYY-MM-DD (ISO 8601). A stay's dates are nights in the listing's "
        "timezone: startDate is the first night, endDate the check-out day.",
    ),
    dt.datetime: _described(
        DateTimeDefinition,
        "An instant: ISO 8601 date and time with its UTC offset, such as "
        "2031-01-04T19:00:00+01:00. Inputs must carry the offset.",
    ),
    dt.time: _described(
        TimeDefinition,
        "A wall-clock time of day, HH:MM:SS (ISO 8601) without an offset: local time in the "
        "listing's timezone.",
    ),
    uuid.UUID: _described(
        UUIDDefinition,
        "A UUID in its usual text form (8-4-4-4-12 hex digits): a databaseId, a UUIDv7 whose "
        "order is the order of creation.",
    ),
}
