"""Per-request dataloaders: every nested read is batched into one query per field and level.

Session policy: no AsyncSession is shared within a request. Strawberry resolves sibling
fields concurrently, so each batch (and each root resolver) opens its own short session from
the pool and closes it when its query is done.
"""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.engine import Row

from bookwell.db import Database
from bookwell.services import accounts, availability, listings, reservations
from bookwell.services.availability import Availability
from bookwell.services.principal import Principal
from bookwell.services.stays import Stay

K = TypeVar("K")
V = TypeVar("V")

# (listing id, start, end, quantity)
AvailabilityKey = tuple[uuid.UUID, date, date, int]
# (listing id, how many)
NewestKey = tuple[uuid.UUID, int]


def _by_id(rows: Iterable[Row], ids: Sequence[uuid.UUID]) -> list[Row | None]:
    found = {row.id: row for row in rows}
    return [found.get(id_) for id_ in ids]


def _grouped(keys: Sequence[K], group: Callable[[K], Any]) -> dict[Any, list[tuple[int, K]]]:
    groups: dict[Any, list[tuple[int, K]]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[group(key)].append((position, key))
    return groups


class Loaders:
    def __init__(self, db: Database, viewer: Principal | None):
        self._db = db
        self._viewer = viewer
        self.user = DataLoader(self._users)
        self.listing = DataLoader(self._listings)
        self.availability = DataLoader(self._availability)
        self.newest_reservations = DataLoader(self._newest_reservations)

    async def _read(self, query: Callable[..., Awaitable[V]], **kwargs: Any) -> V:
        async with self._db.read() as session:
            return await query(session=session, **kwargs)

    async def _users(self, ids: Sequence[uuid.UUID]) -> list[Row | None]:
        return _by_id(await self._read(accounts.users_by_ids, ids=ids), ids)

    async def _listings(self, ids: Sequence[uuid.UUID]) -> list[Row | None]:
        return _by_id(await self._read(listings.listings_by_ids, ids=ids), ids)

    async def _availability(self, keys: Sequence[AvailabilityKey]) -> list[Availability | None]:
        answers: list[Availability | None] = [None] * len(keys)
        for (start, end, quantity), members in _grouped(keys, lambda k: k[1:]).items():
            found = await self._read(
                availability.availability,
                listing_ids=[key[0] for _, key in members],
                stay=Stay(start, end),
                quantity=quantity,
            )
            for position, key in members:
                answers[position] = found.get(key[0])
        return answers

    async def _newest_reservations(self, keys: Sequence[NewestKey]) -> list[list[Row]]:
        answers: list[list[Row]] = [[] for _ in keys]
        if self._viewer is None:
            return answers
        for first, members in _grouped(keys, lambda k: k[1]).items():
            found = await self._read(
                reservations.first_reservations_of_listings,
                viewer=self._viewer,
                listing_ids=[key[0] for _, key in members],
                first=first,
            )
            for position, key in members:
                answers[position] = found[key[0]]
        return answers
