"""ORM models, one module per aggregate. Importing this package registers every table."""

from bookwell.models.base import Base, new_id
from bookwell.models.listing import CAPACITY_CONSTRAINT, Listing, ListingKind, ListingNight
from bookwell.models.reservation import (
    HOLDING_STATUSES,
    IdempotencyKey,
    Reservation,
    ReservationStatus,
)
from bookwell.models.user import ApiToken, Role, User

__all__ = [
    "CAPACITY_CONSTRAINT",
    "HOLDING_STATUSES",
    "ApiToken",
    "Base",
    "IdempotencyKey",
    "Listing",
    "ListingKind",
    "ListingNight",
    "Reservation",
    "ReservationStatus",
    "Role",
    "User",
    "new_id",
]
