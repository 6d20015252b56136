"""Per-request dataloaders: every nested read is batched into one query per field and level.

Session policy: no AsyncSession is shared within a request. Strawberry resolves sibling
fields concurrently, so each batch (and each root resolver) opens its own short session from
the pool and closes it when its query is done.
"""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date
from functools import cached_property
from typing import Any, Protocol, TypeVar

from aiodataloader import DataLoader

from bookwell.core.db import Database
from bookwell.core.json_rows import JsonShape
from bookwell.core.pagination import Page, PageRequest
from bookwell.services.accounts import accounts
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.records import UserRecord
from bookwell.services.booking import no_show, reservation_json, reservations
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.calendar import blackouts as blackouts_service
from bookwell.services.calendar.blackouts import BlackoutRecord
from bookwell.services.listings import availability, booking_rules_store, listings, photos, pricing
from bookwell.services.listings import terms as listing_terms
from bookwell.services.listings.availability import Availability, NightFree
from bookwell.services.listings.booking_rules_store import BookingRuleRecord
from bookwell.services.listings.pricing import ListingTerms
from bookwell.services.listings.records import (
    ListingRecord,
    PhotoRecord,
    PriceRuleRecord,
    UnitRecord,
)
from bookwell.services.listings.stays import Stay
from bookwell.services.listings.units import units_of_listings, units_of_reservations
from bookwell.services.payments.records import PaymentRecord, payments_of_reservations
from bookwell.services.reviews import reviews as reviews_service
from bookwell.services.reviews.records import ReviewRecord
from bookwell.services.reviews.reviews import Rating

K = TypeVar("K")
V = TypeVar("V")


class HasId(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


R = TypeVar("R", bound=HasId)

# (listing id, start, end, quantity)
AvailabilityKey = tuple[uuid.UUID, date, date, int]
# (listing id, first night, check-out day)
NightsKey = tuple[uuid.UUID, date, date]
# (listing id, at most this many units, after this position)
UnitsKey = tuple[uuid.UUID, int, int]
# (listing id, which page of its reservations or reviews)
PageKey = tuple[uuid.UUID, PageRequest]


def _by_id(rows: Iterable[R], ids: Sequence[uuid.UUID]) -> list[R | None]:
    found = {row.id: row for row in rows}
    return [found.get(id_) for id_ in ids]


def _grouped(keys: Sequence[K], group: Callable[[K], Any]) -> dict[Any, list[tuple[int, K]]]:
    groups: dict[Any, list[tuple[int, K]]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[group(key)].append((position, key))
    return groups


class Loaders:
    """Each DataLoader is made on first use: most requests need one or two of the dozen."""

    def __init__(self, db: Database, viewer: Principal | None):
        self._db = db
        self._viewer = viewer

    @cached_property
    def user(self) -> DataLoader:
        return DataLoader(self._users)

    @cached_property
    def listing(self) -> DataLoader:
        return DataLoader(self._listings)

    @cached_property
    def availability(self) -> DataLoader:
        return DataLoader(self._availability)

    @cached_property
    def nightly_free_units(self) -> DataLoader:
        return DataLoader(self._nightly_free_units)

    @cached_property
    def newest_reservations(self) -> DataLoader:
        return DataLoader(self._newest_reservations)

    @cached_property
    def reservation_count(self) -> DataLoader:
        return DataLoader(self._reservation_counts)

    @cached_property
    def payment(self) -> DataLoader:
        return DataLoader(self._payments)

    @cached_property
    def price_rules(self) -> DataLoader:
        return DataLoader(self._price_rules)

    @cached_property
    def booking_rules(self) -> DataLoader:
        return DataLoader(self._booking_rules)

    @cached_property
    def rating(self) -> DataLoader:
        return DataLoader(self._ratings)

    @cached_property
    def reviews(self) -> DataLoader:
        return DataLoader(self._reviews)

    @cached_property
    def reservation_review(self) -> DataLoader:
        return DataLoader(self._reservation_reviews)

    @cached_property
    def listing_units(self) -> DataLoader:
        return DataLoader(self._listing_units)

    @cached_property
    def quote_terms(self) -> DataLoader:
        return DataLoader(self._quote_terms)

    @cached_property
    def reservation_units(self) -> DataLoader:
        return DataLoader(self._reservation_units)

    @cached_property
    def price_snapshot(self) -> DataLoader:
        return DataLoader(self._price_snapshots)

    @cached_property
    def no_show_policy(self) -> DataLoader:
        return DataLoader(self._no_show_policies)

    @cached_property
    def listing_photos(self) -> DataLoader:
        return DataLoader(self._listing_photos)

    @cached_property
    def blackouts(self) -> DataLoader:
        return DataLoader(self._blackouts)

    def release(self) -> None:
        """Forget every loader and its cached answers. Each loader's batch function is a
        method of this object, a reference cycle: without this, the request's rows wait for
        the cyclic collector instead of going when the answer is sent (Context.release).
        A loader asked for afterwards is made anew."""
        for name, loader in list(vars(self).items()):
            if isinstance(loader, DataLoader):
                loader.clear_all()
                del self.__dict__[name]

    async def reservation_edges_as_json(
        self,
        listing_ids: Sequence[uuid.UUID],
        page: PageRequest,
        shape: JsonShape,
    ) -> dict[uuid.UUID, reservation_json.JsonPage]:
        """A page of each listing's reservations, its edges as JSON (graphql/engine/json_pages.py).
        Not a loader: the look-ahead asks once for a whole page of listings, and text is not
        shared. On a Core connection: a row per listing needs no ORM session."""
        if self._viewer is None:
            return dict.fromkeys(listing_ids, reservation_json.EMPTY)
        async with self._db.read_connection() as connection:
            return await reservation_json.reservation_edges_as_json(
                connection=connection,
                viewer=self._viewer,
                listing_ids=listing_ids,
                page=page,
                shape=shape,
            )

    async def _read(self, query: Callable[..., Awaitable[V]], **kwargs: Any) -> V:
        async with self._db.read() as session:
            return await query(session=session, **kwargs)

    async def users_now(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, UserRecord]:
        """Users by id, read at once: for a caller that holds every id it needs."""
        return {row.id: row for row in await self._read(accounts.users_by_ids, ids=list(ids))}

    async def _users(self, ids: Sequence[uuid.UUID]) -> list[UserRecord | None]:
        found = await self.users_now(ids)
        return [found.get(id_) for id_ in ids]

    async def _listings(self, ids: Sequence[uuid.UUID]) -> list[ListingRecord | None]:
        return _by_id(await self._read(listings.listings_by_ids, ids=ids), ids)

    async def _listing_photos(self, listing_ids: Sequence[uuid.UUID]) -> list[list[PhotoRecord]]:
        found = await self._read(photos.photos_of_listings, listing_ids=listing_ids)
        return [found.get(listing_id, []) for listing_id in listing_ids]

    async def _price_rules(self, listing_ids: Sequence[uuid.UUID]) -> list[list[PriceRuleRecord]]:
        found = await self._read(listing_terms.rules_of_listings, listing_ids=listing_ids)
        return [found[listing_id] for listing_id in listing_ids]

    async def _blackouts(self, listing_ids: Sequence[uuid.UUID]) -> list[list[BlackoutRecord]]:
        found = await self._read(blackouts_service.blackouts_of, listing_ids=list(listing_ids))
        return [found[listing_id] for listing_id in listing_ids]

    async def _booking_rules(
        self, listing_ids: Sequence[uuid.UUID]
    ) -> list[list[BookingRuleRecord]]:
        found = await self._read(booking_rules_store.rule_rows_of_listings, listing_ids=listing_ids)
        return [found[listing_id] for listing_id in listing_ids]

    async def _no_show_policies(self, listing_ids: Sequence[uuid.UUID]) -> list[int | None]:
        found = await self._read(no_show.policies, listing_ids=list(listing_ids))
        return [found.get(listing_id) for listing_id in listing_ids]

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

    async def _nightly_free_units(self, keys: Sequence[NightsKey]) -> list[list[NightFree]]:
        """One query per range asked, for all listings asking it."""
        answers: list[list[NightFree]] = [[] for _ in keys]
        for (start, end), members in _grouped(keys, lambda k: k[1:]).items():
            found = await self._read(
                availability.free_units_by_night,
                listing_ids=[key[0] for _, key in members],
                stay=Stay(start, end),
            )
            for position, key in members:
                answers[position] = found.get(key[0], [])
        return answers

    async def _newest_reservations(self, keys: Sequence[PageKey]) -> list[Page[ReservationRecord]]:
        answers: list[Page[ReservationRecord]] = [Page(rows=(), has_next_page=False)] * len(keys)
        if self._viewer is None:
            return answers
        for page, members in _grouped(keys, lambda k: k[1]).items():
            found = await self._read(
                reservations.pages_of_listings,
                viewer=self._viewer,
                listing_ids=[key[0] for _, key in members],
                page=page,
            )
            for position, key in members:
                answers[position] = found[key[0]]
        return answers

    async def _reservation_counts(self, listing_ids: Sequence[uuid.UUID]) -> list[int]:
        if self._viewer is None:
            return [0] * len(listing_ids)
        found = await self._read(
            reservations.count_of_listings, viewer=self._viewer, listing_ids=listing_ids
        )
        return [found[listing_id] for listing_id in listing_ids]

    async def _ratings(self, listing_ids: Sequence[uuid.UUID]) -> list[Rating]:
        found = await self._read(reviews_service.ratings_of_listings, listing_ids=listing_ids)
        return [found[listing_id] for listing_id in listing_ids]

    async def _reviews(self, keys: Sequence[PageKey]) -> list[Page[ReviewRecord]]:
        answers: list[Page[ReviewRecord]] = [Page(rows=(), has_next_page=False)] * len(keys)
        for page, members in _grouped(keys, lambda k: k[1]).items():
            found = await self._read(
                reviews_service.newest_reviews_of_listings,
                listing_ids=[key[0] for _, key in members],
                page=page,
            )
            for position, key in members:
                answers[position] = found[key[0]]
        return answers

    async def _reservation_reviews(self, ids: Sequence[uuid.UUID]) -> list[ReviewRecord | None]:
        found = await self._read(reviews_service.reviews_of_reservations, reservation_ids=ids)
        return [found.get(id_) for id_ in ids]

    async def _payments(self, reservation_ids: Sequence[uuid.UUID]) -> list[PaymentRecord | None]:
        """Keyed by reservation id; only reached from reservations the viewer may see."""
        found = await self._read(payments_of_reservations, reservation_ids=reservation_ids)
        return [found.get(id_) for id_ in reservation_ids]

    async def _price_snapshots(self, reservation_ids: Sequence[uuid.UUID]) -> list[dict | None]:
        found = await self._read(reservations.price_snapshots, ids=reservation_ids)
        return [found.get(id_) for id_ in reservation_ids]

    async def _listing_units(self, keys: Sequence[UnitsKey]) -> list[list[UnitRecord]]:
        """One query per page asked (first, after position) for all listings asking it."""
        answers: list[list[UnitRecord]] = [[] for _ in keys]
        for (first, after), members in _grouped(keys, lambda key: key[1:]).items():
            found = await self._read(
                units_of_listings,
                listing_ids=[key[0] for _, key in members],
                first=first,
                after_position=after,
            )
            for position, key in members:
                answers[position] = found[key[0]]
        return answers

    async def _quote_terms(self, listing_ids: Sequence[uuid.UUID]) -> list[ListingTerms | None]:
        found = await self._read(pricing.terms_of_listings, listing_ids=listing_ids)
        return [found.get(listing_id) for listing_id in listing_ids]

    async def _reservation_units(
        self, reservation_ids: Sequence[uuid.UUID]
    ) -> list[list[UnitRecord]]:
        found = await self._read(units_of_reservations, reservation_ids=reservation_ids)
        return [found[reservation_id] for reservation_id in reservation_ids]
