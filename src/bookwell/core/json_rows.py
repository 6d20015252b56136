"""Rows that PostgreSQL writes as JSON text in the shape the API answers
(graphql/engine/json_pages.py).

A shape maps each output key, in order, to a column of a vocabulary (a dict of SQL
expressions written exactly as the API writes them), a nested shape, or a constant. The row
comes back as compact JSON (`to_json` of a row whose column names are the keys): text to send
as it is, with no row decoded nor object built in Python.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    String,
    Text,
    case,
    cast,
    func,
    literal,
    select,
)

from bookwell.core.statements import AnyColumn


@dataclass(frozen=True)
class Constant:
    value: str


# Output key -> a vocabulary name, a nested object, or a constant; keys keep their order.
# Keys are column labels: at most MAX_KEY_LENGTH characters (PostgreSQL cuts longer names).
JsonShape = dict[str, "str | Constant | JsonShape"]
MAX_KEY_LENGTH = 63
# The same, hashable: statements are built once per shape.
ShapeKey = tuple[tuple[str, "str | Constant | ShapeKey"], ...]


def shape_key(shape: JsonShape) -> ShapeKey:
    return tuple((k, shape_key(v) if isinstance(v, dict) else v) for k, v in shape.items())


def cursor_of(column: AnyColumn) -> ColumnElement[Any]:
    """pagination.encode_cursor in SQL: the id's 16 bytes in URL-safe base64, unpadded."""
    encoded = func.encode(func.uuid_send(column), "base64")
    return func.rtrim(func.translate(encoded, "+/", "-_"), "=")


def global_id_of(type_name: str, column: AnyColumn) -> ColumnElement[Any]:
    """ids.global_id in SQL: base64 of "Type:uuid" (short enough that PostgreSQL's base64,
    which breaks lines every 76 characters, writes one line)."""
    text = literal(f"{type_name}:", String) + cast(column, Text)
    # textsend: the text's bytes (ASCII: the same in every encoding), where convert_to(text,
    # 'UTF8') also looks the encoding up by name and checks the bytes, on every row
    return func.encode(func.textsend(text), "base64")


def iso_time_of(column: AnyColumn) -> ColumnElement[Any]:
    """time.isoformat() in SQL: HH:MM:SS, and .ffffff only when there are microseconds
    (PostgreSQL's own text drops trailing zeros of the fraction)."""
    whole = func.to_char(column, "HH24:MI:SS", type_=Text)
    fraction = func.to_char(column, ".US", type_=Text)
    return case((fraction == ".000000", whole), else_=whole.concat(fraction))


def iso_datetime_of(column: AnyColumn) -> ColumnElement[Any]:
    """datetime.isoformat() in SQL of a timestamptz as asyncpg reads it (in UTC, whatever the
    session's TimeZone): YYYY-MM-DDTHH:MM:SS, .ffffff only when there are microseconds, then
    +00:00 (the DateTime scalar serializes with isoformat)."""
    utc = func.timezone("UTC", column, type_=Text)
    whole = func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS', type_=Text)
    fraction = func.to_char(utc, ".US", type_=Text)
    offset = literal("+00:00", String)
    return case(
        (fraction == ".000000", whole.concat(offset)), else_=whole.concat(fraction).concat(offset)
    )


def json_record(
    shape: ShapeKey, vocabulary: Mapping[str, AnyColumn], correlate: FromClause
) -> ColumnElement[Any]:
    """A row of `correlate`'s current row whose column names are the shape's keys: to_json
    writes it compactly with the keys in order (json_build_object would add spaces)."""
    columns = []
    for key, value in shape:
        column: AnyColumn
        if isinstance(value, tuple):
            column = json_record(value, vocabulary, correlate)
        elif isinstance(value, Constant):
            column = literal(value.value, String)
        else:
            column = vocabulary[value]
        columns.append(column.label(key))
    # Named so that no column can be: a GraphQL name has no "$" (a column `s` of a row
    # named s would be read instead of the row).
    row = select(*columns).correlate(correlate).subquery("row$")
    return select(row.table_valued()).scalar_subquery()
