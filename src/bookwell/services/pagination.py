"""Keyset pagination with opaque cursors: the cursor is the id of the last row seen."""

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bookwell.services.errors import invalid

MAX_PAGE_SIZE = 100
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int
    after: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    rows: Sequence[T]
    has_next_page: bool


def page_request(first: int, after: str | None) -> PageRequest:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise invalid("first", f"first must be between 1 and {MAX_PAGE_SIZE}.")
    return PageRequest(first, decode_cursor(after) if after else None)


def page_of(rows: Sequence[T], request: PageRequest) -> Page[T]:
    """`rows` was fetched with LIMIT first + 1: the extra row only tells that there is more."""
    return Page(rows[: request.first], len(rows) > request.first)


def encode_cursor(id_: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(id_.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError):
        raise invalid("after", "Not a cursor from this API.") from None
