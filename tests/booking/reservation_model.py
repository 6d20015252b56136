"""The reservation lifecycle in plain Python: what tests/booking/test_lifecycle_model.py
expects each step to answer, and the database to hold after it."""

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from bookwell.core.errors import ErrorCode
from bookwell.models import ReservationStatus

PENDING = ReservationStatus.PENDING
CONFIRMED = ReservationStatus.CONFIRMED
ACTIVE = ReservationStatus.ACTIVE
COMPLETED = ReservationStatus.COMPLETED
CANCELLED = ReservationStatus.CANCELLED
EXPIRED = ReservationStatus.EXPIRED
HOLDING = (PENDING, CONFIRMED, ACTIVE)
INVALID_STATE = ErrorCode.INVALID_STATE


@dataclass
class Booking:
    listing: int
    start: date
    end: date
    quantity: int
    status: ReservationStatus = PENDING
    paid: bool = False
    overdue: bool = False  # a PENDING hold whose expires_at has passed, not yet marked

    @property
    def live_hold(self) -> bool:
        return self.status is PENDING and not self.overdue

    def nights(self) -> list[date]:
        return [self.start + timedelta(n) for n in range((self.end - self.start).days)]


@dataclass
class Model:
    """Two listings: 0 books instantly (payment confirms), 1 waits for the host."""

    units: list[int]
    instant: list[bool]
    today: date
    bookings: dict[uuid.UUID, Booking] = field(default_factory=dict)

    def taken(self, listing: int, *, skip: set[uuid.UUID] = frozenset()) -> dict[date, int]:
        nights: dict[date, int] = {}
        for rid, b in self.bookings.items():
            if b.listing == listing and b.status in HOLDING and rid not in skip:
                for night in b.nights():
                    nights[night] = nights.get(night, 0) + b.quantity
        return nights

    def fits(self, wanted: Booking, skip: set[uuid.UUID]) -> bool:
        taken = self.taken(wanted.listing, skip=skip)
        units = self.units[wanted.listing]
        return all(taken.get(n, 0) + wanted.quantity <= units for n in wanted.nights())

    def overdue_on(self, listing: int | None) -> set[uuid.UUID]:
        return {
            rid
            for rid, b in self.bookings.items()
            if b.status is PENDING and b.overdue and listing in (None, b.listing)
        }

    # What each transition answers: None when it succeeds, else the refusal's code.

    def in_the_way(self, wanted: Booking, *, besides: uuid.UUID | None = None) -> set[uuid.UUID]:
        """Overdue holds on the listing that share a night with `wanted`."""
        return {
            rid
            for rid in self.overdue_on(wanted.listing)
            if rid != besides
            and self.bookings[rid].start < wanted.end
            and self.bookings[rid].end > wanted.start
        }

    def to_book(self, wanted: Booking) -> tuple[ErrorCode | None, set[uuid.UUID]]:
        """The refusal, and the holds expired on the way: a booking expires the overdue
        holds in its way in its own transaction, so they never refuse it (and stay as they
        were when it is refused for another reason)."""
        if wanted.quantity > self.units[wanted.listing]:
            return ErrorCode.INVALID_INPUT, set()
        lapsed = self.in_the_way(wanted)
        if self.fits(wanted, skip=lapsed):
            return None, lapsed
        return ErrorCode.UNAVAILABLE, set()

    def to_pay(self, b: Booking) -> ErrorCode | None:
        # Paying what is paid answers the payment again, whatever became of the stay.
        return None if b.paid or b.live_hold else INVALID_STATE

    def to_confirm(self, b: Booking) -> ErrorCode | None:
        if not b.live_hold:
            return INVALID_STATE
        return None if b.paid else ErrorCode.PAYMENT_REQUIRED

    def to_cancel(self, b: Booking) -> ErrorCode | None:
        # A hold past its deadline but not yet marked EXPIRED can still be cancelled.
        return None if b.status in (PENDING, CONFIRMED) else INVALID_STATE

    def to_change(self, rid: uuid.UUID, wanted: Booking) -> tuple[ErrorCode | None, set[uuid.UUID]]:
        """As to_book: the overdue holds in the new nights' way expire with the change."""
        b = self.bookings[rid]
        if not (b.live_hold or b.status is CONFIRMED):
            return INVALID_STATE, set()
        if wanted.quantity > self.units[b.listing]:
            return ErrorCode.INVALID_INPUT, set()
        lapsed = self.in_the_way(wanted, besides=rid)
        if self.fits(wanted, skip={rid} | lapsed):
            return None, lapsed
        return ErrorCode.UNAVAILABLE, set()

    def to_check_in(self, b: Booking) -> ErrorCode | None:
        arrived = b.status is CONFIRMED and b.start <= self.today < b.end
        return None if arrived else INVALID_STATE

    def to_check_out(self, b: Booking) -> ErrorCode | None:
        return None if b.status is ACTIVE else INVALID_STATE

    def checked_out(self, b: Booking) -> None:
        """Leaving early keeps the nights slept (at least one); the rest are free."""
        b.status = COMPLETED
        b.end = min(b.end, max(self.today, b.start + timedelta(1)))
