"""What a listing's JSON can show, each field exactly as the API writes it: the one
declaration of those columns (the compiled read path's, graphql/engine/compiler/)."""

from sqlalchemy import Text, cast

from bookwell.core.json_rows import cursor_of, iso_datetime_of, iso_time_of
from bookwell.core.statements import AnyColumn
from bookwell.models import Listing

# What an edge can show of a listing, each exactly as the API writes it: ids and amounts as
# strings (numeric(12, 2) as text is "120.00"), enums by their names (stored as such), times
# and timestamps as time.isoformat and datetime.isoformat write them (json_rows). Not latitude
# nor longitude: Python writes 45.0 where PostgreSQL writes 45.
JSON_FIELDS: dict[str, AnyColumn] = {
    "cursor": cursor_of(Listing.id),
    "id": Listing.global_id,
    "database_id": cast(Listing.id, Text),
    "kind": Listing.kind,
    "title": Listing.title,
    "description": Listing.description,
    "city": Listing.city,
    "country": Listing.country,
    "timezone": Listing.timezone,
    "nightly_amount": cast(Listing.nightly_price, Text),
    "cleaning_amount": cast(Listing.cleaning_fee, Text),
    "currency": Listing.currency,
    "units": Listing.units,
    "max_guests": Listing.max_guests,
    "instant_book": Listing.instant_book,
    "allow_guest_checkout": Listing.allow_guest_checkout,
    "hold_minutes": Listing.hold_minutes,
    "approval_hours": Listing.approval_hours,
    "offer_minutes": Listing.offer_minutes,
    "max_hold_nights": Listing.max_hold_nights,
    "max_hold_units": Listing.max_hold_units,
    "max_guest_holds": Listing.max_guest_holds,
    "max_listing_holds": Listing.max_listing_holds,
    "free_cancellation_days": Listing.free_cancellation_days,
    "late_refund_percent": Listing.late_refund_percent,
    "no_show_refund_percent": Listing.no_show_refund_percent,
    "slot_minutes": Listing.slot_minutes,
    "sitting_minutes": Listing.sitting_minutes,
    "buffer_before_minutes": Listing.buffer_before_minutes,
    "buffer_after_minutes": Listing.buffer_after_minutes,
    "auto_no_show_after_hours": Listing.auto_no_show_after_hours,
    "opens_at": iso_time_of(Listing.opens_at),
    "closes_at": iso_time_of(Listing.closes_at),
    "address_line1": Listing.address_line1,
    "address_line2": Listing.address_line2,
    "postal_code": Listing.postal_code,
    "notify_host_on_check_in": Listing.notify_host_on_check_in,
    "notify_host_on_no_show": Listing.notify_host_on_no_show,
    "created_at": iso_datetime_of(Listing.created_at),
    "archived_at": iso_datetime_of(Listing.archived_at),
}
