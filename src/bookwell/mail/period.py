"""When a booking begins and ends, as aware datetimes in its listing's timezone."""

from dataclasses import dataclass
from datetime import datetime

from bookwell.core.zones import zone_info
from bookwell.mail.notice import Booking


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime


def period_of(booking: Booking) -> Period:
    """A slot's own range; a stay from check-in on its first day to check-out on its last."""
    zone = zone_info(booking.timezone)
    if booking.starts_at is not None and booking.ends_at is not None:
        return Period(booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone))
    return Period(
        datetime.combine(booking.start_date, booking.check_in_time, zone),
        datetime.combine(booking.end_date, booking.check_out_time, zone),
    )
