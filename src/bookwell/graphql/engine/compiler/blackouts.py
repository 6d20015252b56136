"""Listing.blackouts: those in force, earliest first, at most `first` (services/calendar/
blackout_json.py), shown to the listing's owner and admins only; null for anyone else, as
graphql/listings/blackouts.py answers."""

from dataclasses import dataclass
from functools import cache, cached_property

from graphql import FieldNode, GraphQLField

from bookwell.core.errors import DomainError
from bookwell.graphql.engine.compiler.arguments import Arguments
from bookwell.graphql.engine.compiler.parts import Binder, Binding, Decline, Obj, Variants
from bookwell.graphql.engine.compiler.sql import Piece, Sql, expression
from bookwell.models import Reservation
from bookwell.services.calendar.blackout_json import check_blackouts_page, in_force_now
from bookwell.services.calendar.blackouts import IN_FORCE_ORDER


@cache
def _in_force() -> str:
    table = Reservation.__table__
    return " AND ".join(f"({expression(c, table)})" for c in in_force_now())  # type: ignore[arg-type]


@cache
def _order() -> str:
    return ", ".join(expression(c, Reservation.__table__) for c in IN_FORCE_ORDER)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Blackouts:
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
        try:
            first = check_blackouts_page(arguments.get("first"))
        except DomainError:
            raise Decline from None  # the ordinary path reports it
        binding.params[self.prefix + "first"] = first
        viewer = binding.viewer
        if viewer is None:
            binding.variants.append("nobody")
        elif viewer.is_admin:
            binding.variants.append("all")
        else:
            binding.params[self.prefix + "viewer"] = viewer.user_id
            binding.variants.append("owner")

    def pieces(self, variants: Variants) -> list[Piece]:
        seen_by = next(variants)
        inner, p = self.obj.sql(variants), self.prefix
        order = _order()
        rows = (
            f"SELECT reservations.* FROM reservations WHERE reservations.listing_id ="
            f" listings.id AND {_in_force()} ORDER BY {order} LIMIT %({p}first)s"
        )
        listed = (
            f"(SELECT '[' || coalesce(string_agg({inner}, ',' ORDER BY {order}), '') || ']'"
            f" FROM ({rows}) AS reservations)"
        )
        if seen_by == "nobody":
            return ["null"]
        if seen_by == "all":
            return [Sql(listed)]
        owner = f"listings.owner_id = %({p}viewer)s"
        return [Sql(f"(CASE WHEN {owner} THEN {listed} ELSE 'null' END)")]
