"""Typed, immutable records that services return instead of SQLAlchemy rows.

A record type names its fields once; `columns_for` selects exactly those, in the fields'
order, so a result row builds its record positionally (`Record(*row)`): no per-row dict, no
look-up by name. Each domain builds its records in one place (services/<domain>/records.py).
"""

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, FromClause

from bookwell.core.statements import AnyColumn

R = TypeVar("R")


if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def columns_for(
    record: "type[DataclassInstance]", table: FromClause, **computed: AnyColumn
) -> tuple[ColumnElement[Any], ...]:
    """What to select for `record`: per field, in order, the table's column of that name, or
    the expression `computed` gives for it (labelled with the field's name)."""
    return tuple(
        computed[field.name].label(field.name) if field.name in computed else table.c[field.name]
        for field in dataclasses.fields(record)
    )


def build_all(record: type[R], rows: Iterable[Iterable[Any]]) -> list[R]:
    """Records from rows selected with `columns_for(record, ...)`."""
    return [record(*row) for row in rows]
