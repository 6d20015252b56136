"""Query.availability as a scalar subquery over services/listings/availability.py's
FREE_UNITS statement (the one the ordinary path's loader runs), for one listing."""

from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property

from graphql import FieldNode, GraphQLField
from sqlalchemy import Table

from bookwell.core.errors import DomainError
from bookwell.core.ids import database_id_of
from bookwell.core.json_rows import global_id_of
from bookwell.graphql.engine.compiler.arguments import Arguments
from bookwell.graphql.engine.compiler.parts import Binder, Binding, Column, Decline, Obj, Variants
from bookwell.graphql.engine.compiler.sql import Piece, Sql, boolean, expression, statement
from bookwell.models import Listing
from bookwell.services.listings.availability import FREE_UNITS
from bookwell.services.listings.stays import check_quantity, stay


@cache
def _listing_id() -> str:
    """The listing's global id from the row's id (the row is not the listings table's:
    it has no stored global_id)."""
    table = Listing.__table__
    assert isinstance(table, Table)
    return expression(global_id_of("Listing", Listing.id), table)


def fields(prefix: str) -> dict[str, Column | Sql]:
    """Availability's fields over FREE_UNITS' row (id, timezone, free) named `listings`."""
    p = prefix
    listing_id = _listing_id()
    today_there = "CAST(timezone(listings.timezone, now()) AS DATE)"
    return {
        "listingId": Column(listing_id),
        "startDate": Column(f"%({p}start)s::date"),
        "endDate": Column(f"%({p}end)s::date"),
        "quantity": Column(f"%({p}quantity)s::integer"),
        "freeUnits": Column("listings.free"),
        "available": boolean(
            f"listings.free >= %({p}quantity)s::integer AND %({p}start)s::date >= {today_there}"
        ),
    }


@dataclass(frozen=True)
class Fixed:
    """An SQL expression that needs no binding (a field of the availability row)."""

    sql: Sql

    def binders(self) -> list[Binder]:
        return []

    def pieces(self, variants: Variants) -> list[Piece]:
        return [self.sql]


@dataclass(frozen=True)
class Availability:
    prefix: str
    definition: GraphQLField
    node: FieldNode
    obj: Obj

    @cached_property
    def arguments(self) -> Arguments:
        return Arguments(self.definition, self.node)

    def binders(self) -> list[Binder]:
        return [self.bind, *self.obj.binders()]

    def bind(self, binding: Binding) -> None:
        arguments = binding.arguments(self.arguments)
        listing_id = database_id_of(arguments.get("listingId"), "Listing")
        start, end = arguments.get("startDate"), arguments.get("endDate")
        quantity = arguments.get("quantity", 1)
        if listing_id is None or not isinstance(start, date) or not isinstance(end, date):
            raise Decline  # NOT_FOUND, from the ordinary path
        try:
            check_quantity(quantity)
            checked = stay(start, end)
        except DomainError:
            raise Decline from None
        p = self.prefix
        binding.params |= {
            p + "ids": [listing_id],
            p + "start": checked.start,
            p + "end": checked.end,
            p + "quantity": quantity,
        }

    def pieces(self, variants: Variants) -> list[Piece]:
        inner = statement(FREE_UNITS, self.prefix)
        return [Sql(f"(SELECT {self.obj.sql(variants)} FROM ({inner}) AS listings)")]
