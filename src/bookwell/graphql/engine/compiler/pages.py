"""Connections as one scalar subquery each: a keyset page of rows (page_sql.py) written as
`{"edges": [...], "pageInfo": {...}}` with the cursors computed in SQL."""

import enum
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, Protocol, cast

from graphql import FieldNode, GraphQLField
from sqlalchemy import Uuid, bindparam

from bookwell.core.errors import DomainError
from bookwell.core.ids import database_id_of
from bookwell.core.pagination import (
    DEFAULT_NESTED_RESERVATIONS,
    MAX_NESTED_RESERVATIONS,
    PageRequest,
    PageShape,
    page_request,
)
from bookwell.graphql.engine.compiler.arguments import Arguments
from bookwell.graphql.engine.compiler.page_sql import ListedPage, NumberedPage, Page
from bookwell.graphql.engine.compiler.parts import Binder, Binding, Const, Decline, Obj, Variants
from bookwell.graphql.engine.compiler.sql import Piece, Sql, concat, conditions, key
from bookwell.models import Listing, Reservation
from bookwell.services.booking.visibility import seen_by
from bookwell.services.listings.availability import has_room, room_params
from bookwell.services.listings.listings import (
    ListingFilter,
    filter_conditions,
    filter_params,
    parse_money,
)
from bookwell.services.listings.stays import stay


class Source(Protocol):
    """Where a connection's rows come from."""

    table: str
    descending: bool  # the connection's order: newest first

    def bind(self, binding: Binding, prefix: str) -> tuple[PageRequest, Hashable, bool]:
        """The page asked for, the variant of the conditions, and whether the viewer sees
        nothing at all (an anonymous caller's reservations: an empty page without a query)."""
        ...

    def where(self, variant: Hashable, prefix: str) -> Sequence[str]: ...


def _page(arguments: dict[str, Any], **limits: int) -> PageRequest:
    try:
        return page_request(
            arguments.get("first"),
            arguments.get("after"),
            arguments.get("last"),
            arguments.get("before"),
            **limits,
        )
    except DomainError:
        raise Decline from None  # the ordinary path reports it


@dataclass(frozen=True)
class Listings:
    """Query.listings, or Query.searchAvailability (`search`): services/listings."""

    definition: GraphQLField
    node: FieldNode
    search: bool
    table = "listings"
    descending = False

    @cached_property
    def arguments(self) -> Arguments:
        return Arguments(self.definition, self.node)

    def bind(self, binding: Binding, prefix: str) -> tuple[PageRequest, Hashable, bool]:
        arguments = binding.arguments(self.arguments)
        page = _page(arguments)
        try:
            shape, params = filter_params(_listing_filter(arguments.get("filter")))
            if self.search:
                wanted = stay(arguments["startDate"], nights=arguments["nights"])
                params |= room_params(wanted, arguments.get("quantity", 1))
        except (DomainError, KeyError, TypeError):
            raise Decline from None
        for name, value in params.items():
            binding.params[prefix + name] = value.value if isinstance(value, enum.Enum) else value
        return page, shape, False

    def where(self, variant: Hashable, prefix: str) -> Sequence[str]:
        assert isinstance(variant, frozenset)
        return _listing_conditions(variant, self.search, prefix)


@cache
def _listing_conditions(shape: frozenset[str], search: bool, prefix: str) -> tuple[str, ...]:
    found = [*filter_conditions(shape), *([has_room()] if search else [])]
    text = conditions(found, Listing.__table__, prefix)
    return () if text is None else (text,)


# ListingFilter's GraphQL fields the compiler reads.
_FILTER_FIELDS = {
    "city": "city",
    "country": "country",
    "kind": "kind",
    "minPrice": "min_price",
    "maxPrice": "max_price",
    "minGuests": "min_guests",
    "text": "text",
    "archived": "archived",
}
# Decimal strings, parsed as the input type parses them (graphql/listings/inputs.py: an
# empty one is no bound; a mistake is the ordinary path's error to report).
_PRICES = ("minPrice", "maxPrice")


def _listing_filter(value: Any) -> ListingFilter | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Decline
    fields: dict[str, Any] = {}
    for name, item in value.items():
        if item is None:
            continue
        if name in _PRICES:
            if item == "":
                continue
            item = parse_money(item, name)
        field = _FILTER_FIELDS.get(name)
        if field is None:
            raise Decline
        fields[field] = item
    return ListingFilter(**fields)


@dataclass(frozen=True)
class ListingReservations:
    """Listing.reservations: the page the viewer may see (services/booking/visibility.py)."""

    definition: GraphQLField
    node: FieldNode
    table = "reservations"
    descending = True

    @cached_property
    def arguments(self) -> Arguments:
        return Arguments(self.definition, self.node)

    def bind(self, binding: Binding, prefix: str) -> tuple[PageRequest, Hashable, bool]:
        arguments = binding.arguments(self.arguments)
        page = _page(
            arguments, default=DEFAULT_NESTED_RESERVATIONS, largest=MAX_NESTED_RESERVATIONS
        )
        viewer = binding.viewer
        if viewer is None:
            return page, "nobody", True
        if viewer.reservation_scope is not None:
            raise Decline  # a manage link's bearer: graphql/loaders.py decides
        if viewer.is_admin:
            return page, "all", False
        binding.params[prefix + "viewer"] = viewer.user_id
        return page, "seen", False

    def where(self, variant: Hashable, prefix: str) -> list[str]:
        found = ["reservations.listing_id = listings.id"]
        if variant == "seen":
            found.append(_seen_by(prefix))
        return found


@dataclass(frozen=True)
class Reservations:
    """Query.reservations: a signed-in viewer's (services/booking/reservations.py's
    list_reservations), newest first, perhaps of one listing or in one status."""

    definition: GraphQLField
    node: FieldNode
    table = "reservations"
    descending = True

    @cached_property
    def arguments(self) -> Arguments:
        return Arguments(self.definition, self.node)

    def bind(self, binding: Binding, prefix: str) -> tuple[PageRequest, Hashable, bool]:
        arguments = binding.arguments(self.arguments)
        page = _page(arguments)
        viewer = binding.viewer
        if viewer is None or viewer.reservation_scope is not None:
            raise Decline  # refused, or a manage link's one booking: the ordinary path
        listing, status = arguments.get("listingId"), arguments.get("status")
        if listing is not None:
            listing = database_id_of(listing, "Listing")
            if listing is None:
                raise Decline  # NOT_FOUND, from the ordinary path
            binding.params[prefix + "listing"] = listing
        if status is not None:
            if not isinstance(status, enum.Enum):
                raise Decline
            binding.params[prefix + "status"] = status.value  # stored as its name
        if not viewer.is_admin:
            binding.params[prefix + "viewer"] = viewer.user_id
        return page, (viewer.is_admin, listing is not None, status is not None), False

    def where(self, variant: Hashable, prefix: str) -> list[str]:
        assert isinstance(variant, tuple)
        everything, of_listing, in_status = variant
        found = [] if everything else [_seen_by(prefix)]
        if of_listing:
            found.append(f"reservations.listing_id = %({prefix}listing)s")
        if in_status:
            found.append(f"reservations.status = %({prefix}status)s")
        return found


@cache
def _seen_by(prefix: str) -> str:
    text = conditions([seen_by(bindparam("viewer", type_=Uuid))], Reservation.__table__, prefix)
    assert text is not None
    return text


@dataclass(frozen=True)
class Edges:
    edge: Obj


PAGE_INFO_FIELDS = {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}


@dataclass(frozen=True)
class PageInfo:
    """(response key, PageInfo field name or a Const for __typename)."""

    entries: tuple[tuple[str, str | Const], ...]


@dataclass(frozen=True)
class Count:
    """totalCount: the rows the page's conditions match, cursors aside, counted in SQL."""


@dataclass(frozen=True)
class Connection:
    prefix: str
    source: Source
    entries: tuple[tuple[str, Const | Edges | PageInfo | Count], ...]

    def binders(self) -> list[Binder]:
        edges = [e.edge for _, e in self.entries if isinstance(e, Edges)]
        return [self.bind, *[binder for edge in edges for binder in edge.binders()]]

    def bind(self, binding: Binding) -> None:
        page, variant, nothing = self.source.bind(binding, self.prefix)
        p = self.prefix
        binding.params[p + "size"] = page.size
        binding.params[p + "limit"] = page.limit
        if page.after is not None:
            binding.params[p + "after"] = page.after
        if page.before is not None:
            binding.params[p + "before"] = page.before
        binding.variants.append((page.shape, variant, nothing))

    def pieces(self, variants: Variants) -> list[Piece]:
        shape, variant, nothing = cast(tuple[PageShape, Hashable, bool], next(variants))
        has_after, has_before, backward = shape
        t, p = self.source.table, self.prefix
        where = [] if nothing else list(self.source.where(variant, p))
        if nothing:
            where.append("false")
        matching = " AND ".join(f"({w})" for w in where) or "true"
        if has_after:
            where.append(f"{t}.id {'<' if self.source.descending else '>'} %({p}after)s")
        if has_before:
            where.append(f"{t}.id {'>' if self.source.descending else '<'} %({p}before)s")
        condition = " AND ".join(f"({w})" for w in where) or "true"
        page = Page(t, p, condition, self.source.descending, backward)
        asked = {i for _, e in self.entries if isinstance(e, PageInfo) for _, i in e.entries}
        edges = [e.edge for _, e in self.entries if isinstance(e, Edges)]
        if len(edges) == 1 and not {"startCursor", "endCursor"} & asked:
            more_asked = ("hasPreviousPage" if backward else "hasNextPage") in asked
            listed = ListedPage(page, more_asked)
            written = self._written(variants, listed, matching, nothing, shape)
            return [Sql(listed.select(concat(written)))]
        numbered = NumberedPage(page)
        written = self._written(variants, numbered, matching, nothing, shape)
        return [Sql(f"(SELECT {concat(written)} FROM ({numbered.rows}) AS {t} GROUP BY ())")]

    def _written(
        self,
        variants: Variants,
        page: "ListedPage | NumberedPage",
        matching: str,
        nothing: bool,
        shape: PageShape,
    ) -> list[Piece]:
        has_after, has_before, backward = shape
        after_given, before_given = (
            Sql(f"'{str(given and not nothing).lower()}'") for given in (has_after, has_before)
        )
        flags = {
            "hasNextPage": lambda: before_given if backward else page.more(),
            "hasPreviousPage": lambda: page.more() if backward else after_given,
            "startCursor": lambda: page.end(first=True),
            "endCursor": lambda: page.end(first=False),
        }
        t = self.source.table
        written: list[Piece] = ["{"]
        for index, (name, entry) in enumerate(self.entries):
            written.append(("," if index else "") + key(name) + ":")
            if isinstance(entry, Const):
                written.append(entry.json)
            elif isinstance(entry, Count):
                counted = f"(SELECT count(*) FROM {t} WHERE {matching})::text"
                written.append("0" if nothing else Sql(counted))
            elif isinstance(entry, Edges):
                written += ["[", page.edges(entry.edge, variants), "]"]
            else:
                written.append("{")
                for position, (info_key, info) in enumerate(entry.entries):
                    written.append(("," if position else "") + key(info_key) + ":")
                    written.append(info.json if isinstance(info, Const) else flags[info]())
                written.append("}")
        written.append("}")
        return written
