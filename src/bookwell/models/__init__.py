"""ORM models, one module per aggregate. Importing this package registers every table."""

from bookwell.models.base import Base, new_id
from bookwell.models.booking_rules import BookingRule
from bookwell.models.listing import (
    CAPACITY_CONSTRAINT,
    HostNotice,
    Listing,
    ListingKind,
    ListingNight,
)
from bookwell.models.listing_photo import ListingPhoto
from bookwell.models.money import ListingTax, TaxKind, Voucher, VoucherKind
from bookwell.models.outbox import NotificationLog, OutboxMessage
from bookwell.models.payment import Payment, PaymentStatus
from bookwell.models.pricing import PriceRule
from bookwell.models.reservation import (
    HOLDING_STATUSES,
    CheckoutOrigin,
    IdempotencyKey,
    Reservation,
    ReservationStatus,
)
from bookwell.models.review import Review
from bookwell.models.slot import (
    CURRENT_UNIT_CONSTRAINT,
    NO_OVERLAP_CONSTRAINT,
    ListingUnit,
    ReservationUnit,
)
from bookwell.models.user import ApiToken, Role, User
from bookwell.models.waitlist import WaitlistEntry, WaitlistStatus
from bookwell.models.webhook import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "CAPACITY_CONSTRAINT",
    "CURRENT_UNIT_CONSTRAINT",
    "HOLDING_STATUSES",
    "NO_OVERLAP_CONSTRAINT",
    "ApiToken",
    "Base",
    "BookingRule",
    "CheckoutOrigin",
    "DeliveryStatus",
    "HostNotice",
    "IdempotencyKey",
    "Listing",
    "ListingKind",
    "ListingNight",
    "ListingPhoto",
    "ListingTax",
    "ListingUnit",
    "NotificationLog",
    "OutboxMessage",
    "Payment",
    "PaymentStatus",
    "PriceRule",
    "Reservation",
    "ReservationStatus",
    "ReservationUnit",
    "Review",
    "Role",
    "TaxKind",
    "User",
    "Voucher",
    "VoucherKind",
    "WaitlistEntry",
    "WaitlistStatus",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "new_id",
]
