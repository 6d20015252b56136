"""Keyset pagination with opaque cursors (the Relay connection model): the cursor is the id
of a row, and a page is the rows after and/or before cursors, `first` from the start of that
range or `last` from its end."""

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam

from bookwell.core.errors import invalid
from bookwell.core.statements import AnyColumn

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# Pages nested in each listing of a page: Listing.reservations and Listing.reviews.
MAX_NESTED_RESERVATIONS = 50
DEFAULT_NESTED_RESERVATIONS = 10
DEFAULT_NESTED_REVIEWS = 10
T = TypeVar("T")
# (after given, before given, backward): what a statement built once must provide for.
PageShape = tuple[bool, bool, bool]


@dataclass(frozen=True, slots=True)
class PageRequest:
    size: int
    after: uuid.UUID | None = None
    before: uuid.UUID | None = None
    # `last`: the page ends at the range's end, so rows are read from there.
    backward: bool = False

    @property
    def limit(self) -> int:
        """One row more than asked: the extra one only tells that there is more."""
        return self.size + 1

    @property
    def shape(self) -> PageShape:
        return (self.after is not None, self.before is not None, self.backward)

    def params(self) -> dict[str, Any]:
        """Bind parameters of a statement built by `keyset(..., bound=True)`."""
        return {"after": self.after, "before": self.before, "limit": self.limit}


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    rows: Sequence[T]
    has_next_page: bool
    has_previous_page: bool = False


def page_request(
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    *,
    default: int = DEFAULT_PAGE_SIZE,
    largest: int = MAX_PAGE_SIZE,
) -> PageRequest:
    """The page a connection's arguments ask for; `default` rows from the start when neither
    first nor last is given."""
    if first is not None and last is not None:
        raise invalid("last", "Give first or last, not both.")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 1 <= size <= largest:
            raise invalid(name, f"{name} must be between 1 and {largest}.")
    return PageRequest(
        size=last if last is not None else first if first is not None else default,
        after=decode_cursor(after, "after") if after else None,
        before=decode_cursor(before, "before") if before else None,
        backward=last is not None,
    )


def page_of(rows: Sequence[T], request: PageRequest) -> Page[T]:
    """`rows` were read with `keyset`: in reading order, one more than asked if there is
    more. The page is in the connection's own order, whichever end it was read from."""
    more = len(rows) > request.size
    rows = rows[: request.size]
    if request.backward:
        return Page(rows[::-1], request.before is not None, more)
    return Page(rows, more, request.after is not None)


def keyset(
    stmt: Select[Any],
    key: AnyColumn,
    request: PageRequest | PageShape,
    *,
    descending: bool = False,
    bound: bool = False,
) -> Select[Any]:
    """`stmt` narrowed to the page's range of `key` (the connection's order: ascending, or
    newest first when `descending`), read from the end the page starts at, `limit` rows.
    `bound`: the cursors and limit are bind parameters (request.params()), for statements
    built once per PageShape."""
    shape = request if isinstance(request, tuple) else request.shape
    has_after, has_before, backward = shape
    after: Any
    before: Any
    limit: Any
    if bound or isinstance(request, tuple):
        after, before, limit = bindparam("after"), bindparam("before"), bindparam("limit")
    else:
        after, before, limit = request.after, request.before, request.limit
    if has_after:
        stmt = stmt.where(key < after if descending else key > after)
    if has_before:
        stmt = stmt.where(key > before if descending else key < before)
    reading_descending = descending != backward
    return stmt.order_by(key.desc() if reading_descending else key).limit(limit)


def encode_cursor(id_: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(id_.bytes).decode().rstrip("=")


def decode_cursor(cursor: str, argument: str = "after") -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError):
        raise invalid(argument, "Not a cursor from this API.") from None
