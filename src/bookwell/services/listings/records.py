"""What the listings services return."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from bookwell.core.records import columns_for
from bookwell.models import (
    HostNotice,
    Listing,
    ListingKind,
    ListingPhoto,
    ListingUnit,
    PriceRule,
)


@dataclass(frozen=True, slots=True)
class ListingRecord:
    id: uuid.UUID
    created_at: datetime
    owner_id: uuid.UUID
    kind: ListingKind
    title: str
    description: str
    city: str | None
    country: str | None
    timezone: str
    nightly_price: Decimal
    currency: str
    units: int
    max_guests: int | None
    instant_book: bool
    hold_minutes: int
    approval_hours: int
    offer_minutes: int
    max_hold_nights: int
    max_hold_units: int
    max_guest_holds: int
    max_listing_holds: int
    cleaning_fee: Decimal
    free_cancellation_days: int
    late_refund_percent: int
    no_show_refund_percent: int
    slot_minutes: int
    sitting_minutes: int
    opens_at: time | None
    closes_at: time | None
    check_in_time: time
    check_out_time: time
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    latitude: Decimal | None
    longitude: Decimal | None
    archived_at: datetime | None
    # Booking without an account (issue 17.7).
    allow_guest_checkout: bool
    # Slot listings' buffers around each booking (issue 19.2, services/slots/buffers.py).
    buffer_before_minutes: int
    buffer_after_minutes: int
    # The host's copies of the guest's check-in and no-show emails (workers/notices.py).
    notify_host_on_check_in: HostNotice
    notify_host_on_no_show: HostNotice


@dataclass(frozen=True, slots=True)
class PriceRuleRecord:
    id: uuid.UUID
    created_at: datetime
    listing_id: uuid.UUID
    name: str
    start_date: date | None
    end_date: date | None
    weekdays: list[int] | None
    nightly_price: Decimal


@dataclass(frozen=True, slots=True)
class PriceRuleWithCurrency(PriceRuleRecord):
    """A rule read on its own (by id), with its listing's currency."""

    currency: str


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """A listing's table, room or item."""

    id: uuid.UUID
    listing_id: uuid.UUID | None  # None once removed from its listing
    label: str
    seats: int | None
    position: int


@dataclass(frozen=True, slots=True)
class PhotoVariant:
    """One stored size of a photo: `key` names its file in the photo storage."""

    name: str
    width: int
    height: int
    bytes: int
    key: str


@dataclass(frozen=True, slots=True)
class PhotoRecord:
    id: uuid.UUID
    created_at: datetime
    listing_id: uuid.UUID
    position: int
    alt_text: str
    content_type: str
    width: int
    height: int
    byte_size: int
    storage_key: str
    variants: list[dict[str, Any]]

    def sizes(self) -> list[PhotoVariant]:
        return [PhotoVariant(**variant) for variant in self.variants]


LISTING_COLUMNS = columns_for(ListingRecord, Listing.__table__)
RULE_COLUMNS = columns_for(PriceRuleRecord, PriceRule.__table__)
RULE_WITH_CURRENCY_COLUMNS = columns_for(
    PriceRuleWithCurrency, PriceRule.__table__, currency=Listing.currency
)
UNIT_COLUMNS = columns_for(UnitRecord, ListingUnit.__table__)
PHOTO_COLUMNS = columns_for(PhotoRecord, ListingPhoto.__table__)
