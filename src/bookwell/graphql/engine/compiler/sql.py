"""SQL text for the compiled read path: the services' SQLAlchemy expressions (columns of a
type's JSON_FIELDS, filters, visibility, room) rendered once to text, and the pieces that
concatenate a JSON answer.

JSON is written by concatenating text, not by json_build_object (which adds spaces) nor
to_json of a row (whose column names PostgreSQL cuts at 63 characters): every key is a
constant known when compiling, every value `to_json(...)::text`, which writes strings,
numbers, booleans and dates exactly as the API does for the columns the declarations allow
(a global id or a cursor, base64 that JSON never escapes, is only put between quotes).

Parameters are written `%(name)s` while building; `positional` turns a statement into
asyncpg's `$n` form and the order of its arguments.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    Cast,
    ColumnElement,
    Enum,
    FromClause,
    Integer,
    Numeric,
    String,
    Uuid,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql

from bookwell.core.json_rows import cursor_of
from bookwell.core.statements import AnyColumn
from bookwell.models.base import JSON_VERBATIM

_DIALECT = postgresql.psycopg2.dialect()  # type: ignore[attr-defined]
_PARAMETER = re.compile(r"%\((\w+)\)s|%%")


@dataclass(frozen=True, slots=True)
class Sql:
    """An SQL expression whose value is JSON text (never NULL)."""

    text: str


Piece = str | Sql  # a str is JSON text known when compiling


def quote(text: str) -> str:
    """An SQL string literal (standard_conforming_strings: only quotes are doubled); a
    percent sign is doubled as the parameter style asks."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def key(name: str) -> str:
    """A JSON object key as orjson writes it."""
    return orjson.dumps(name).decode()


def concat(pieces: Sequence[Piece]) -> str:
    """One SQL text expression of the pieces in order, constants merged."""
    merged: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    parts = [quote(p) if isinstance(p, str) else p.text for p in merged]
    if len(parts) == 1 and isinstance(merged[0], str):
        return parts[0] + "::text"
    return " || ".join(parts) if parts else "''::text"


def json_value(expression: str, *, verbatim: bool = False) -> Sql:
    """`expression`'s value as JSON; `verbatim`: text that JSON writes unescaped (see
    `verbatim`), put between quotes rather than through to_json, which looks its type up
    on every call."""
    if verbatim or _one_line_global_id(expression) or _CURSOR.fullmatch(expression):
        # base64 needs no escaping: to_json is spared
        return Sql(f"""coalesce('"' || {expression} || '"', 'null')""")
    return Sql(f"coalesce(to_json({expression})::text, 'null')")


_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # what JSON escapes in a string


def verbatim(column: AnyColumn) -> bool:
    """Whether a column's values are text that JSON writes unescaped: an enum stored as one
    of its labels (models.base.text_enum: a CHECK constraint keeps it to them), or a
    number or a uuid cast to text, or a column that says so (a stored global id)."""
    element = column.expression
    if getattr(element, "info", {}).get(JSON_VERBATIM):
        return True
    if isinstance(element.type, Enum):
        return not any(_ESCAPED.search(label) for label in element.type.enums)
    return (
        isinstance(element, Cast)
        and isinstance(element.type, String)
        and isinstance(element.clause.type, Numeric | Integer | Uuid)
    )


# core/json_rows.global_id_of as rendered: base64 of "Type:<uuid text>".
_GLOBAL_ID = re.compile(r"encode\(textsend\('(\w+):' \|\| CAST\([\w.\"]+ AS TEXT\)\), 'base64'\)")
# core/json_rows.cursor_of as rendered: a uuid's 16 bytes, 24 characters.
_CURSOR = re.compile(
    r"rtrim\(translate\(encode\(uuid_send\([\w.\"$]+\), 'base64'\), '\+/', '-_'\), '='\)"
)
_BASE64_LINE = 57  # bytes PostgreSQL's base64 writes on one line (76 characters)
_UUID_TEXT = 36


def _one_line_global_id(expression: str) -> bool:
    """A global id whose base64 has no line break, the one character of it that JSON escapes."""
    found = _GLOBAL_ID.fullmatch(expression)
    return found is not None and len(found.group(1)) + 1 + _UUID_TEXT <= _BASE64_LINE


def boolean(condition: str) -> Sql:
    return Sql(f"(CASE WHEN {condition} THEN 'true' ELSE 'false' END)")


def _compiled(element: Any) -> str:
    return str(element.compile(dialect=_DIALECT))


@cache
def _select_prefix(table_name: str) -> str:
    return f"SELECT 1 \nFROM {table_name} \nWHERE "


def expression(column: AnyColumn, table: FromClause) -> str:
    """A column expression of `table`'s current row as SQL text (bind values inlined are
    the expression's own constants, such as a global id's type name)."""
    text = str(
        select(column.label("value$"))
        .select_from(table)
        .compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True})
    )
    prefix, suffix = "SELECT ", f" AS value$ \nFROM {table.name}"  # type: ignore[attr-defined]
    if not (text.startswith(prefix) and text.endswith(suffix)):
        raise ValueError(f"cannot inline {text!r}")
    return text[len(prefix) : -len(suffix)].replace("%", "%%")


def conditions(where: Sequence[ColumnElement[bool]], table: FromClause, prefix: str) -> str | None:
    """Conditions on `table`'s rows as SQL text, their bind parameters renamed with
    `prefix` (one statement holds several pages); None when there are none."""
    if not where:
        return None
    text = _compiled(select(literal_column("1")).select_from(table).where(*where))
    start = _select_prefix(table.name)  # type: ignore[attr-defined]
    if not text.startswith(start):
        raise ValueError(f"cannot inline {text!r}")
    body = text[len(start) :]
    return _PARAMETER.sub(
        lambda m: "%%" if m.group(1) is None else f"%({prefix}{m.group(1)})s", body
    )


def positional(statement: str) -> tuple[str, tuple[str, ...]]:
    """`%(name)s` parameters as `$1`, `$2`... (each name once), and the names in order."""
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in names:
            names[name] = len(names) + 1
        return f"${names[name]}"

    return _PARAMETER.sub(number, statement), tuple(names)


def cursor(id_sql: str) -> str:
    """pagination.encode_cursor of an id given as SQL text (core/json_rows.cursor_of)."""
    return _cursor_template().replace("id$", id_sql)


@cache
def _cursor_template() -> str:
    element = select(cursor_of(literal_column("id$")).label("value$"))
    text = str(element.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))
    return text.removeprefix("SELECT ").removesuffix(" AS value$")


def statement(element: Any, prefix: str) -> str:
    """A whole SQLAlchemy statement as SQL text, its parameters renamed with `prefix`."""
    return _PARAMETER.sub(
        lambda m: "%%" if m.group(1) is None else f"%({prefix}{m.group(1)})s", _compiled(element)
    )
